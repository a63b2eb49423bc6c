"""Bad input and permission hunt on the registry: what a careless or malicious user tried through the pages
and the API, and what the platform must answer — a field-level message, nothing half-saved, never a 500,
and a 404 outside the user's scope. Each test here was written against a real finding before its fix."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from bangfu.core.identity import synthetic_resident_id
from bangfu.registry.models import (
    AssetDeclaration,
    Attachment,
    Consent,
    Household,
    Member,
    NoticeObjection,
    PublicNotice,
    State,
)
from bangfu.registry.services import restructure
from bangfu.registry.tests.factories import PDF_BYTES, make_household

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def api_for(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


def new_body(tree, sequence=123, **head):
    number = synthetic_resident_id("440106", dt.date(1979, 3, 8), sequence)
    return {"org": tree.grassroots.pk, "division": "440106", "archive_level": 4,
            "head": {"name": "李四光", "identity_number": number, **head}}


def fields(response) -> dict:
    return response.json().get("fields", {})


def archive_counts():
    return Household.objects.count(), Member.objects.count()


# --- transitions API: JSON values of the wrong shape ----------------------------------------------------


@pytest.mark.parametrize("value", [["2026-01-05"], {"date": "2026-01-05"}, 20260105, True])
def test_transition_api_refuses_non_text_values_with_a_field_message(tree, grassroots_cadre, value):
    """A JSON list, object, number or boolean where a date is expected was a 500 (the form called .strip())."""
    household = make_household(tree.grassroots, state=State.PUBLIC_NOTICE)
    Consent.objects.create(household=household, kind="public_notice", signed_on=TODAY - dt.timedelta(days=3),
                           signed_by_name="张三", notice_place="community", notice_content="masked name")
    response = api_for(grassroots_cadre).post(f"/api/v1/households/{household.pk}/transitions/",
                                              {"action": "notice_start", "starts_on": value}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert "starts_on" in fields(response)
    assert PublicNotice.objects.count() == 0


def test_transition_api_refuses_a_list_for_a_text_field(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.ACTIVE)
    response = api_for(grassroots_cadre).post(f"/api/v1/households/{household.pk}/transitions/",
                                              {"action": "review", "reviewed_on": str(TODAY), "note": ["a", "b"]},
                                              format="json")
    assert response.status_code == 400
    assert "note" in fields(response)


def test_transition_api_still_takes_a_list_of_members_for_a_split(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.ACTIVE, size=3)
    leaving = list(household.members.filter(is_head=False).values_list("pk", flat=True))
    response = api_for(grassroots_cadre).post(
        f"/api/v1/households/{household.pk}/transitions/",
        {"action": "split", "members": leaving, "new_head": leaving[0], "reason": "分户"}, format="json")
    assert response.status_code == 200, response.json()
    assert Household.objects.filter(split_from=household).count() == 1


# --- public notice dates ---------------------------------------------------------------------------------


def test_notice_start_far_in_the_future_is_a_field_error_not_a_500(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.PUBLIC_NOTICE)
    Consent.objects.create(household=household, kind="public_notice", signed_on=TODAY, signed_by_name="张三",
                           notice_place="community", notice_content="masked name")
    api = api_for(grassroots_cadre)
    url = f"/api/v1/households/{household.pk}/transitions/"
    for starts_on in ("9999-12-31", str(TODAY + dt.timedelta(days=31))):
        response = api.post(url, {"action": "notice_start", "starts_on": starts_on}, format="json")
        assert response.status_code == 400, response.content[:300]
        assert "starts_on" in fields(response)
    assert PublicNotice.objects.count() == 0
    # A notice planned for next week is fine.
    response = api.post(url, {"action": "notice_start", "starts_on": str(TODAY + dt.timedelta(days=7))},
                        format="json")
    assert response.status_code == 200, response.json()


# --- API list filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["members", "attachments"])
def test_list_filter_with_an_id_beyond_any_integer_is_a_400_not_a_500(tree, grassroots_cadre, endpoint):
    response = api_for(grassroots_cadre).get(f"/api/v1/{endpoint}/?household=99999999999999999999")
    assert response.status_code == 400, response.content[:300]
    assert "household" in fields(response)


# --- household facts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["division", "registration_division"])
def test_unknown_division_code_through_the_api_gets_the_forms_message(tree, grassroots_cadre, field):
    body = {**new_body(tree), field: "999999"}
    with translation.override("zh-hans"):
        response = api_for(grassroots_cadre).post("/api/v1/households/", body, format="json",
                                                  HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert fields(response)[field] == [zh("Unknown division code.")]
    assert archive_counts() == (0, 0)


def test_no_new_archive_in_a_dissolved_union(tree, grassroots_cadre, login, client):
    tree.grassroots.__class__.objects.filter(pk=tree.grassroots.pk).update(is_active=False)
    response = api_for(grassroots_cadre).post("/api/v1/households/", new_body(tree), format="json")
    assert response.status_code == 400
    assert "org" in fields(response)
    login(grassroots_cadre)
    from bangfu.registry.tests.test_archive import create_post

    response = client.post("/households/new/", create_post(tree))
    assert response.status_code == 200
    assert "org" in response.context["form"].errors
    assert archive_counts() == (0, 0)


# --- members: dates and documents that cannot be -------------------------------------------------------


@pytest.mark.parametrize(("extra", "field"), [
    ({"work_started_on": "1970-01-01"}, "work_started_on"),
    ({"labour_relation_since": "1975-06-01"}, "labour_relation_since"),
    ({"school_entry_year": 1960}, "school_entry_year"),
])
def test_dates_before_the_birth_are_refused(tree, grassroots_cadre, extra, field):
    """The head is born 1979-03-08 (from the ID number)."""
    response = api_for(grassroots_cadre).post("/api/v1/households/", new_body(tree, **extra), format="json")
    assert response.status_code == 400, response.json()
    assert f"head.{field}" in fields(response)
    assert archive_counts() == (0, 0)


def test_birth_certificate_only_for_a_child_without_an_id_card(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.DRAFT)
    api = api_for(grassroots_cadre)
    adult = {"household": household.pk, "name": "王五", "relation": "spouse", "document_type": "birth_cert",
             "identity_number": "A123456789", "sex": "F", "birth_date": "1985-02-03"}
    response = api.post("/api/v1/members/", adult, format="json")
    assert response.status_code == 400
    assert "document_type" in fields(response)
    assert household.members.count() == 1
    # The head cannot be switched to a birth certificate either.
    head = household.members.get(is_head=True)
    response = api.patch(f"/api/v1/members/{head.pk}/", {"document_type": "birth_cert",
                                                         "identity_number": "A123456780"}, format="json")
    assert response.status_code == 400
    head.refresh_from_db()
    assert head.document_type == "resident_id"
    # A newborn's birth certificate is accepted.
    baby = {**adult, "relation": "child", "birth_date": str(TODAY - dt.timedelta(days=40))}
    response = api.post("/api/v1/members/", baby, format="json")
    assert response.status_code == 201, response.json()


def test_a_refused_id_number_is_the_only_message(tree, grassroots_cadre):
    """A wrong check character used to add two more errors ("enter the sex", "enter the birth date")."""
    number = synthetic_resident_id("440106", dt.date(1979, 3, 8), 123)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    body = new_body(tree)
    body["head"]["identity_number"] = wrong
    response = api_for(grassroots_cadre).post("/api/v1/households/", body, format="json")
    assert response.status_code == 400
    assert set(fields(response)) == {"head.identity_number"}
    # Without any number at all, the missing sex and birth date are still asked for.
    body["head"].update(identity_number="B123456789", document_type="birth_cert")
    response = api_for(grassroots_cadre).post("/api/v1/households/", body, format="json")
    assert {"head.sex", "head.birth_date"} <= set(fields(response))


# --- implausible dates of records ------------------------------------------------------------------------


def test_consent_and_asset_dates_from_the_year_one_are_refused(tree, grassroots_cadre, login, client):
    household = make_household(tree.grassroots, state=State.DRAFT)
    login(grassroots_cadre)
    response = client.post(f"/households/{household.pk}/consents/",
                           {"kind": "sensitive_data", "signed_on": "0001-01-01", "signed_by_name": "张三"})
    assert response.status_code == 200
    assert "signed_on" in response.context["form"].errors
    assert Consent.objects.count() == 0
    response = client.post(f"/households/{household.pk}/assets/",
                           {"residential_homes": "1", "savings": "0", "net_investment_assets": "0",
                            "declared_on": "0201-05-04"})
    assert response.status_code == 200
    assert "declared_on" in response.context["form"].errors
    assert AssetDeclaration.objects.get(household=household).declared_on is None


def test_home_visit_authorisation_from_the_year_one_is_refused(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.HOME_VISIT, applied_on=TODAY)
    response = api_for(grassroots_cadre).post(
        f"/api/v1/households/{household.pk}/transitions/",
        {"action": "home_visit", "visited_on": str(TODAY), "visitors": "李四", "findings": "属实",
         "authorisation_signed_on": "0001-01-01", "authorisation_signed_by": "张三"}, format="json")
    assert response.status_code == 400
    assert "authorisation_signed_on" in fields(response)
    household.refresh_from_db()
    assert household.state == State.HOME_VISIT and Consent.objects.count() == 0


def test_exit_and_review_cannot_predate_the_activation(tree, grassroots_cadre):
    activated = TODAY - dt.timedelta(days=100)
    household = make_household(tree.grassroots, state=State.ACTIVE, activated_on=activated)
    api = api_for(grassroots_cadre)
    url = f"/api/v1/households/{household.pk}/transitions/"
    response = api.post(url, {"action": "review", "reviewed_on": str(activated - dt.timedelta(days=1)),
                              "note": "复核"}, format="json")
    assert response.status_code == 400
    assert "reviewed_on" in fields(response)
    response = api.post(url, {"action": "exit", "reason": "death", "on": "0001-01-01"}, format="json")
    assert response.status_code == 400
    assert "on" in fields(response)
    household.refresh_from_db()
    assert household.state == State.ACTIVE and household.review_due_on is None


# --- over-long text ------------------------------------------------------------------------------------


def test_over_long_lifecycle_text_is_a_field_error(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.PUBLIC_NOTICE)
    notice = PublicNotice.objects.create(household=household, starts_on=TODAY, ends_on=TODAY + dt.timedelta(days=7),
                                         place="community")
    response = api_for(grassroots_cadre).post(
        f"/api/v1/households/{household.pk}/transitions/",
        {"action": "notice_objection", "received_on": str(TODAY), "content": "举报" * 50_000}, format="json")
    assert response.status_code == 400
    assert "content" in fields(response)
    assert NoticeObjection.objects.filter(notice=notice).count() == 0


def test_over_long_remarks_on_the_page_as_in_the_api(tree, grassroots_cadre, login, client):
    household = make_household(tree.grassroots, state=State.DRAFT)
    login(grassroots_cadre)
    response = client.post(f"/households/{household.pk}/edit/", {"division": "440106", "remarks": "x" * 2001})
    assert response.status_code == 200
    assert "remarks" in response.context["form"].errors
    household.refresh_from_db()
    assert household.remarks == ""


# --- restructuring: the service refuses what the form hides ----------------------------------------------


def test_change_of_head_refuses_self_as_the_former_heads_relation(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.ACTIVE, size=2)
    child = household.members.get(is_head=False)
    with pytest.raises(ValidationError) as error:
        restructure.household_change_head(household, actor=grassroots_cadre, new_head=child, reason="户主去世",
                                          old_head_relation="self")
    assert "old_head_relation" in error.value.message_dict
    assert household.members.filter(relation="self").count() == 1


# --- files ---------------------------------------------------------------------------------------------


def test_a_very_long_file_name_keeps_its_extension(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.DRAFT)
    response = api_for(grassroots_cadre).post(
        "/api/v1/attachments/",
        {"household": household.pk, "kind": "id_hukou", "file": SimpleUploadedFile("长" * 300 + ".pdf", PDF_BYTES)},
        format="multipart")
    assert response.status_code == 201, response.json()
    name = Attachment.objects.get().original_name
    assert name.endswith(".pdf") and len(name) <= 200


# --- who may see the staff pages -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["worker_user", "provider_user"])
def test_notice_list_is_a_staff_page(request, tree, login, persona):
    from bangfu.portal.tests.conftest import verified_client

    user = request.getfixturevalue(persona)
    client = verified_client(user) if user.kind == "worker" else login(user)  # workers sign in on the portal
    assert client.get("/households/notices/").status_code == 404


def test_staff_sees_the_notice_list(tree, grassroots_cadre, login, client):
    login(grassroots_cadre)
    assert client.get("/households/notices/").status_code == 200


# --- a sanity net: nothing above may end in a 500 ----------------------------------------------------------


def test_pages_answer_404_for_ids_beyond_any_integer(tree, grassroots_cadre, login):
    client = Client(raise_request_exception=False)
    login_client = login(grassroots_cadre)
    client.cookies = login_client.cookies
    household = make_household(tree.grassroots, state=State.DRAFT)
    huge = "99999999999999999999"
    for url in (f"/households/{huge}/", f"/households/{huge}/edit/", f"/households/{household.pk}/members/{huge}/edit/",
                f"/households/{household.pk}/attachments/{huge}/download/", f"/households/{huge}/print/card/"):
        assert client.get(url).status_code == 404, url


def test_a_file_just_over_the_limit_does_not_read_as_the_limit(tree, grassroots_cadre, settings):
    settings.BANGFU_MAX_UPLOAD_MB = 1
    household = make_household(tree.grassroots, state=State.DRAFT)
    content = PDF_BYTES + b"0" * (1024 * 1024)  # 1 MB and a few hundred bytes
    with translation.override("en"):
        response = api_for(grassroots_cadre).post(
            "/api/v1/attachments/", {"household": household.pk, "kind": "id_hukou",
                                     "file": SimpleUploadedFile("a.pdf", content)},
            format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert fields(response)["file"] == ["The file is 1.1 MB; at most 1 MB is accepted."]
    assert Attachment.objects.count() == 0
