"""The worker's pages: they render for the worker, show only their own household (masked), and refuse anything
of another household with a 404 or a clear error — nothing saved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bangfu.audit.models import AccessLogEntry
from bangfu.portal.tests.conftest import verified_client
from bangfu.registry.models import Attachment, Household, HouseholdCause, State
from bangfu.registry.tests.factories import PDF_BYTES, PNG_BYTES
from bangfu.services.actions.requests import request_fulfil, request_take
from bangfu.services.models import Feedback, Match, MatchRound, MatchState, ServiceRequest
from bangfu.services.tests.factories import make_item, make_offer, make_provider, make_request

PAGES = ["/portal/", "/portal/archive/", "/portal/application/", "/portal/menu/", "/portal/requests/",
         "/portal/offers/", "/portal/matches/", "/portal/eligibility/"]


@pytest.fixture
def services(tree, household, other_household):
    item = make_item(code="training-electrician", kind="training")
    provider = make_provider(tree.grassroots, name="好帮手公司")
    offer = make_offer(provider, item, tree.grassroots, title="电工培训班")
    far = make_offer(make_provider(tree.other_grassroots, name="远方公司"), item, tree.other_grassroots,
                     title="锦江电工班")
    mine = make_request(household, item, preferences="我的愿望")
    theirs = make_request(other_household, item, preferences="别人的愿望")
    match_round = MatchRound.objects.create(org=tree.grassroots, state="solved", solution_version=1)
    my_match = Match.objects.create(round=match_round, request=mine, offer=offer, units=1, unit_weight=10,
                                    explanation={"need_score": "88.5"}, solution_version=1)
    their_match = Match.objects.create(round=match_round, request=theirs, offer=offer, units=1, unit_weight=9,
                                       explanation={}, solution_version=1)
    return {"item": item, "offer": offer, "far": far, "mine": mine, "theirs": theirs, "my_match": my_match,
            "their_match": their_match}


def test_every_page_renders_for_the_worker_with_own_data_only(me, my_client, household, neighbour, services):
    for url in PAGES:
        response = my_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "李别人" not in body and "李*" not in body and "别人的愿望" not in body, url
        assert "锦江电工班" not in body, url
    assert "电工培训班" in my_client.get("/portal/offers/").content.decode()
    assert my_client.get(f"/portal/requests/{services['mine'].pk}/").status_code == 200
    assert my_client.get(f"/portal/offers/{services['offer'].pk}/").status_code == 200
    assert my_client.get(f"/portal/menu/{services['item'].pk}/order/").status_code == 200


def test_archive_is_masked_and_its_read_logged(me, my_client, household):
    head = household.members.get(is_head=True)
    head.set_phone("13812345678")
    head.health, head.diagnosis = "cancer", "肺癌晚期"
    head.save()
    household.need_score = Decimal("77.25")
    household.save(update_fields=["need_score"])
    body = my_client.get("/portal/archive/").content.decode()
    assert "王*" in body and "王自己" not in body
    assert head.identity_masked in body and head.identity_number not in body
    assert "138****5678" in body and "13812345678" not in body
    assert "77.25" not in body and "肺癌" not in body and "cancer" not in body
    assert AccessLogEntry.objects.filter(user=me, action="view", object_id=str(household.pk)).exists()


def test_another_households_objects_are_404(me, my_client, neighbour, services):
    assert my_client.get(f"/portal/requests/{services['theirs'].pk}/").status_code == 404
    assert my_client.post(f"/portal/requests/{services['theirs'].pk}/", {"rating": 5}).status_code == 404
    assert my_client.get(f"/portal/offers/{services['far'].pk}/").status_code == 404
    for answer in ("accept", "decline"):
        response = my_client.post(f"/portal/matches/{services['their_match'].pk}/{answer}/", {"reason": "x"})
        assert response.status_code == 404
    assert Match.objects.get(pk=services["their_match"].pk).state == MatchState.PROPOSED
    body = my_client.get("/portal/matches/").content.decode()
    assert body.count('data-testid="match-card"') == 1 and "88.5" not in body  # no need score either


def test_ordering_for_someone_else_is_refused(me, my_client, household, other_household, services):
    item = services["item"]
    before = ServiceRequest.objects.count()
    other_head = other_household.members.get(is_head=True)
    head = household.members.get(is_head=True)
    response = my_client.post(f"/portal/menu/{item.pk}/order/", {
        "household": other_household.pk, "member": head.pk, "quantity": 1, "urgency": 1}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Choose a household you may order for." in response.content.decode()
    response = my_client.post(f"/portal/menu/{item.pk}/order/", {
        "household": household.pk, "member": other_head.pk, "quantity": 1, "urgency": 1})
    assert response.status_code == 200 and "member" in response.context["form"].errors
    assert ServiceRequest.objects.count() == before
    # For their own household it goes through.
    ok = my_client.post(f"/portal/menu/{item.pk}/order/", {
        "household": household.pk, "member": head.pk, "quantity": 2, "urgency": 2, "preferences": "周末"})
    created = ServiceRequest.objects.latest("id")
    assert ok.status_code == 302 and ok["Location"] == f"/portal/requests/{created.pk}/"
    assert created.household_id == household.pk and created.via_portal and created.requested_by_id == me.pk


def test_accept_and_decline_matches(me, my_client, services, tree, household):
    my_client.post(f"/portal/matches/{services['my_match'].pk}/accept/")
    assert Match.objects.get(pk=services["my_match"].pk).state == MatchState.WORKER_ACCEPTED
    other_request = make_request(household, services["item"])
    match_round = services["my_match"].round
    second = Match.objects.create(round=match_round, request=other_request, offer=services["offer"], units=1,
                                  unit_weight=5, explanation={}, solution_version=1)
    my_client.post(f"/portal/matches/{second.pk}/decline/", {"reason": "时间不合适"})
    second.refresh_from_db()
    assert second.state == MatchState.DECLINED and second.decline_reason == "时间不合适"


def test_feedback_on_fulfilled_request(me, my_client, services, grassroots_cadre):
    request = services["mine"]
    assert my_client.get(f"/portal/requests/{request.pk}/").context["form"] is None  # not delivered yet
    request_take(grassroots_cadre, request)
    request_fulfil(grassroots_cadre, request, note="已培训")
    page = my_client.get(f"/portal/requests/{request.pk}/")
    assert page.context["form"] is not None
    my_client.post(f"/portal/requests/{request.pk}/", {"rating": 4, "comment": "很好"})
    feedback = Feedback.objects.get(request=request)
    assert (feedback.rating, feedback.comment, feedback.given_by_id) == (4, "很好", me.pk)


def test_evidence_upload_checks_the_bytes(me, my_client, household):
    Household.objects.filter(pk=household.pk).update(state=State.APPLIED)
    fake = my_client.post("/portal/application/", {
        "step": "evidence", "kind": "id_hukou", "file": SimpleUploadedFile("scan.pdf", b"MZ\x90\x00not a pdf")})
    assert fake.status_code == 200 and "file" in fake.context["evidence_form"].errors
    renamed = my_client.post("/portal/application/", {
        "step": "evidence", "kind": "id_hukou", "file": SimpleUploadedFile("scan.pdf", PNG_BYTES)})
    assert "file" in renamed.context["evidence_form"].errors
    assert not Attachment.objects.filter(household=household).exists()
    ok = my_client.post("/portal/application/", {
        "step": "evidence", "kind": "id_hukou", "file": SimpleUploadedFile("户口本.pdf", PDF_BYTES)})
    assert ok.status_code == 302
    attachment = Attachment.objects.get(household=household)
    assert attachment.content_type == "application/pdf" and attachment.uploaded_by_id == me.pk
    Household.objects.filter(pk=household.pk).update(state=State.ACTIVE)
    late = my_client.post("/portal/application/", {
        "step": "evidence", "kind": "id_hukou", "file": SimpleUploadedFile("b.png", PNG_BYTES)})
    assert late.status_code == 200 and Attachment.objects.filter(household=household).count() == 1


def test_draft_causes_and_submit(me, my_client, household):
    Household.objects.filter(pk=household.pk).update(state=State.DRAFT)
    HouseholdCause.objects.filter(household=household).delete()
    my_client.post("/portal/application/submit/")
    assert Household.objects.get(pk=household.pk).state == State.DRAFT  # no main cause yet
    my_client.post("/portal/application/", {"step": "causes", "main": "6", "secondary": ["3"]})
    assert set(HouseholdCause.objects.filter(household=household).values_list("code", "is_main")) == {
        ("6", True), ("3", False)}
    my_client.post("/portal/application/submit/")
    household.refresh_from_db()
    assert household.state == State.APPLIED and household.applied_by_union is False
    body = my_client.get("/portal/application/").content.decode()
    assert 'class="current"' in body


def test_precheck_uses_the_engine(me, my_client, household, settings):
    from bangfu.funds.tests.factories import set_line

    set_line("440106")
    response = my_client.post("/portal/eligibility/", {
        "division": "440106", "head_birth_date": "1980-05-17", "head_work_status": "laid_off",
        "others": "2012-09-01 student", "monthly_income": "300", "main_cause": "3"})
    assert response.status_code == 200
    result = response.context["result"]
    assert result is not None and result["reasons"]
    bad = my_client.post("/portal/eligibility/", {
        "division": "999999", "head_birth_date": "1980-05-17", "monthly_income": "300", "main_cause": "3"})
    assert bad.context["result"] is None and "division" in bad.context["form"].errors


def test_neighbour_sees_none_of_mine(me, neighbour, services):
    client = verified_client(neighbour)
    assert client.get(f"/portal/requests/{services['mine'].pk}/").status_code == 404
    assert client.post(f"/portal/matches/{services['my_match'].pk}/accept/").status_code == 404
    assert "我的愿望" not in client.get("/portal/requests/").content.decode()
