"""Importing the check centre's result file: the happy path, the indicators, the step, and every bad input refused
whole with a clear message and nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bangfu.accounts.roles import Role
from bangfu.audit.models import Job
from bangfu.econcheck.models import CheckResult, RequestState, ResultImport
from bangfu.econcheck.tests.factories import authorised, result_csv, result_xlsx, row, sent_request
from bangfu.econcheck.tests.test_requests import api
from bangfu.funds.tests.factories import set_line
from bangfu.registry.models import LevelOpinion, State, TimelineEvent
from bangfu.registry.tests.factories import PNG_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(tree, grassroots_cadre):
    set_line("440106", Decimal("1100"))
    household = authorised(tree.grassroots, size=2, name="钱多多")
    check_request = sent_request(grassroots_cadre, [household])
    items = list(check_request.items.select_related("member").order_by("seq"))
    return check_request, household, items


def upload(client, check_request, content: bytes, name: str):
    return client.post(f"/economic-checks/{check_request.pk}/results/",
                       {"file": SimpleUploadedFile(name, content)})


def nothing_written(check_request, state=RequestState.SENT):
    check_request.refresh_from_db()
    assert check_request.state == state
    assert not CheckResult.objects.exists() and not ResultImport.objects.exists()
    assert not TimelineEvent.objects.filter(kind="econcheck_results").exists()


def test_happy_path_attaches_results_and_shows_the_indicators(sent, grassroots_cadre, signed_in_en):
    check_request, household, (head, child) = sent
    content = result_csv([
        row(head, homes="2", vehicles="1", deposits="300,000.00", si="4,200.50", remarks="有车"),
        row(child, id_number=child.identity_masked, dibao="是", since="2025-06-01"),
    ])
    client = signed_in_en(grassroots_cadre)
    response = upload(client, check_request, content, "结果.csv")
    assert response.status_code == 302, response.content.decode()[:2000]
    check_request.refresh_from_db()
    assert check_request.state == RequestState.RECEIVED
    results = {r.item_id: r for r in CheckResult.objects.all()}
    assert results[head.pk].deposits_fen == 30_000_000 and results[head.pk].homes == 2
    assert results[head.pk].social_insurance_base_fen == 420_050
    assert results[child.pk].on_minimum_living_roster is True
    assert results[child.pk].roster_since == dt.date(2025, 6, 1)
    assert results[child.pk].deposits_fen == 0 and results[child.pk].tax_income_fen is None
    # One bulk job wrote them, each row stamped with it.
    job = Job.objects.get(kind="econcheck_results_import")
    assert {r.job_id for r in results.values()} == {job.pk} and job.rows_created == 2
    # The timeline row: request, persons, date — no amount, no name.
    event = TimelineEvent.objects.get(household=household, kind="econcheck_results")
    assert event.detail == {"request": check_request.number, "persons": 2, "checked_on": "2026-04-01"}
    # The household page: 2 homes, a car, 300,000 yuan for 2 persons under a line of 1,100 → all three fire.
    page = client.get(f"/economic-checks/household/{household.pk}/")
    assert page.status_code == 200
    fired = {i.code: i for i in page.context["summary"].indicators}
    assert fired["homes"].fires and "Residential homes: 2" in fired["homes"].text
    assert fired["vehicle"].fires
    assert fired["assets"].fires
    assert "300,000.00 yuan for 2 persons = 150,000.00 yuan per person" in fired["assets"].text
    assert "24 × line 1,100.00 = 26,400.00 yuan per person" in fired["assets"].text
    assert not fired["non_residential"].fires and not fired["business"].fires
    html = page.content.decode()
    assert "300,000.00" in html and head.member.identity_number not in html
    assert "minimum-living (低保) roster" in html


def test_xlsx_result_file_and_completing_the_step(sent, grassroots_cadre, signed_in_en):
    check_request, household, (head, child) = sent
    content = result_xlsx([row(head, deposits="1000"), row(child, businesses="1", employees="0")])
    client = signed_in_en(grassroots_cadre)
    assert upload(client, check_request, content, "results.xlsx").status_code == 302
    page = client.get(f"/economic-checks/household/{household.pk}/")
    summary = page.context["summary"]
    assert summary.firing == []  # a business without employees does not exclude
    note = page.context["form"].initial["note"]
    assert check_request.number in note and "see the economic-check results" in note
    done = client.post(f"/economic-checks/household/{household.pk}/", {"note": note})
    assert done.status_code == 302
    household.refresh_from_db()
    assert household.state == State.PUBLIC_NOTICE
    assert LevelOpinion.objects.filter(household=household, stage="economic_check", opinion=note.strip()).exists()


def test_panel_and_timeline_summary_for_a_case_worker_not_a_helper(sent, tree, grassroots_cadre, signed_in_en):
    check_request, household, (head, child) = sent
    client = signed_in_en(grassroots_cadre)
    assert upload(client, check_request, result_csv([row(head, homes="3"), row(child)]), "r.csv").status_code == 302
    archive = client.get(f"/households/{household.pk}/").content.decode()
    assert 'data-testid="panel-econcheck"' in archive and "Residential homes: 3" in archive
    assert f"request {check_request.number}" in archive  # the timeline row's summary
    helper = tree.user("helper2", tree.grassroots, Role.HELPER)
    seen = signed_in_en(helper).get(f"/households/{household.pk}/").content.decode()
    assert 'data-testid="panel-econcheck"' not in seen
    assert "Residential homes" not in seen and f"request {check_request.number}" not in seen
    assert "Economic-check results received" in seen  # what happened, not what was found
    assert signed_in_en(helper).get(f"/economic-checks/household/{household.pk}/").status_code == 404


def test_results_api_is_scoped_and_filters_by_household(sent, grassroots_cadre, outsider):
    check_request, household, (head, child) = sent
    response = api(grassroots_cadre).post(
        f"/api/v1/check-requests/{check_request.pk}/results/",
        {"file": SimpleUploadedFile("r.csv", result_csv([row(head, deposits="12.30"), row(child)]))},
        format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["rows"] == 2 and response.json()["request_state"] == "received"
    listed = api(grassroots_cadre).get(f"/api/v1/check-results/?household={household.pk}").json()["results"]
    assert {r["reference"] for r in listed} == {head.reference, child.reference}
    assert {r["deposits"] for r in listed} == {"12.30", "0.00"}
    assert api(outsider).get("/api/v1/check-results/").json()["results"] == []
    assert api(outsider).get(f"/api/v1/check-results/{listed[0]['id']}/").status_code == 404
    assert api(outsider).post(f"/api/v1/check-requests/{check_request.pk}/results/",
                              {"file": SimpleUploadedFile("r.csv", b"x")}, format="multipart").status_code == 404


# --- bad input: refused whole, a clear message, nothing written ---------------------------------------------------


def _refused(client, check_request, content, name, *needles):
    response = upload(client, check_request, content, name)
    assert response.status_code == 400
    html = response.content.decode()
    for needle in needles:
        assert needle in html, (needle, response.context["problems"])
    assert "Nothing was imported" in html
    nothing_written(check_request)
    return response


def test_result_for_a_person_never_requested(sent, tree, grassroots_cadre, signed_in_en):
    check_request, _household, (head, child) = sent
    other_household = authorised(tree.grassroots, size=1)
    other = sent_request(grassroots_cadre, [other_household])
    stranger = other.items.select_related("member").get()
    content = result_csv([row(head), row(child), row(stranger), ["HD-UNKNOWN-1", "110101199003070011",
                                                                 "2026-04-01"] + [""] * 12])
    _refused(signed_in_en(grassroots_cadre), check_request, content, "r.csv",
             f"Row 4: reference “{stranger.reference}” was not requested in request {check_request.number}",
             "Row 5: reference “HD-UNKNOWN-1” was not requested")


def test_id_not_of_the_requested_person(sent, grassroots_cadre, signed_in_en):
    check_request, _household, (head, child) = sent
    content = result_csv([row(head, id_number=child.member.identity_number), row(child, id_number="1.10101E+17")])
    _refused(signed_in_en(grassroots_cadre), check_request, content, "r.csv",
             f"is not that of the person requested under reference {head.reference}",
             "Row 3: the ID “1.10101E+17” was turned into a number by Excel")


def test_duplicate_reference(sent, grassroots_cadre, signed_in_en):
    check_request, _household, (head, child) = sent
    _refused(signed_in_en(grassroots_cadre), check_request, result_csv([row(head), row(child), row(head)]), "r.csv",
             f"Row 4: reference {head.reference} appears again (first in row 2)")


def test_wrong_template_names_the_missing_columns(sent, grassroots_cadre, signed_in_en):
    check_request, _household, (head, _child) = sent
    headers = ["核对编号", "证件号码", "核对日期", "姓名", "金额"]
    content = result_csv([[head.reference, head.member.identity_number, "2026-04-01", "钱多多", "1"]],
                         headers=headers)
    _refused(signed_in_en(grassroots_cadre), check_request, content, "r.csv", "This is not the result-file template",
             "是否低保、社保缴费基数(元)")


def test_empty_file(sent, grassroots_cadre, signed_in_en):
    check_request = sent[0]
    _refused(signed_in_en(grassroots_cadre), check_request, b"", "r.csv", "The file is empty")
    _refused(signed_in_en(grassroots_cadre), check_request, result_csv([]), "r.csv", "but no result rows")


def test_file_that_is_not_what_its_extension_says(sent, grassroots_cadre, signed_in_en):
    check_request, _household, (head, child) = sent
    client = signed_in_en(grassroots_cadre)
    _refused(client, check_request, PNG_BYTES, "结果.csv", "its content is PNG")
    _refused(client, check_request, result_csv([row(head), row(child)]), "结果.xlsx",
             "ends in .xlsx but it is not an Excel workbook")
    _refused(client, check_request, result_xlsx([row(head), row(child)]), "结果.csv", "name it .xlsx")


def test_unreadable_cells_are_listed_by_row_and_column(sent, grassroots_cadre, signed_in_en):
    check_request, _household, (head, child) = sent
    content = result_csv([row(head, dibao="也许", deposits="12.345"),
                          row(child, homes="两套", checked_on="2099-01-01")])
    _refused(signed_in_en(grassroots_cadre), check_request, content, "r.csv",
             "Row 2: column 是否低保: “也许” is not 是 or 否", "Row 2: column 存款及有价证券(元): “12.345”",
             "Row 3: column 住房套数: “两套”", "Row 3: the check date 2099-01-01 is in the future")


def test_gbk_file_is_read(sent, grassroots_cadre, signed_in_en):
    check_request, _household, (head, child) = sent
    content = result_csv([row(head, remarks="无异常"), row(child)], encoding="gbk")
    assert upload(signed_in_en(grassroots_cadre), check_request, content, "r.csv").status_code == 302
    assert CheckResult.objects.get(item=head).remarks == "无异常"


def test_results_for_a_draft_and_twice_are_refused(tree, grassroots_cadre, signed_in_en):
    from bangfu.econcheck.services import create_request

    household = authorised(tree.grassroots, size=1)
    draft = create_request(grassroots_cadre, household_ids=[household.pk])
    item = draft.items.select_related("member").get()
    client = signed_in_en(grassroots_cadre)
    # The import page is offered only for sent requests; a POST to a draft is refused by the service.
    response = upload(client, draft, result_csv([row(item)]), "r.csv")
    assert response.status_code == 400 and "has not been sent" in response.content.decode()
    nothing_written(draft, RequestState.DRAFT)
    sent = sent_request(grassroots_cadre, [authorised(tree.grassroots, size=2)])
    first, second = list(sent.items.select_related("member").order_by("seq"))
    assert upload(client, sent, result_csv([row(first)]), "a.csv").status_code == 302
    sent.refresh_from_db()
    assert sent.state == RequestState.PARTLY
    again = upload(client, sent, result_csv([row(first)]), "a.csv")
    assert again.status_code == 400 and "This very file was imported already" in again.content.decode()
    overlap = upload(client, sent, result_csv([row(first, remarks="x"), row(second)]), "b.csv")
    assert overlap.status_code == 400 and f"the result for reference {first.reference} was imported already" in \
        overlap.content.decode()
    assert CheckResult.objects.count() == 1
    assert upload(client, sent, result_csv([row(second)]), "c.csv").status_code == 302
    sent.refresh_from_db()
    assert sent.state == RequestState.RECEIVED


def test_api_refusal_is_a_400_with_the_problems(sent, grassroots_cadre):
    check_request, _household, (head, _child) = sent
    response = api(grassroots_cadre).post(
        f"/api/v1/check-requests/{check_request.pk}/results/",
        {"file": SimpleUploadedFile("r.csv", result_csv([row(head), row(head)]))}, format="multipart")
    assert response.status_code == 400
    messages = response.json()["fields"]["file"]
    assert any("appears again" in m for m in messages)
    nothing_written(check_request)


def test_numbers_past_what_the_columns_hold_are_refused_by_row(sent, grassroots_cadre, signed_in_en):
    """40000 homes does not fit the column (a 500 on PostgreSQL before), nor does a 17-digit amount in fen."""
    check_request, _household, (head, child) = sent
    content = result_csv([row(head, homes="40000"), row(child, deposits="12345678901234567", tax="9" * 22)])
    response = upload(signed_in_en(grassroots_cadre), check_request, content, "r.csv")
    assert response.status_code == 400
    problems = response.context["problems"]
    assert "Row 2: column 住房套数: 40000 is more than the largest count accepted (32,767): check the cell." \
        in problems
    assert any(p.startswith("Row 3: column 存款及有价证券(元): 12345678901234567 yuan is more than the largest amount "
                            "accepted (1,000,000,000,000.00 yuan)") for p in problems), problems
    assert any(p.startswith("Row 3: column 纳税收入(元): " + "9" * 22 + " yuan is more than") for p in problems), \
        problems
    assert problems[-1] == "Nothing was imported: correct the file and upload it again."
    nothing_written(check_request)


def test_largest_accepted_values_are_stored(sent, grassroots_cadre, signed_in_en):
    check_request, _household, (head, child) = sent
    content = result_xlsx([row(head, homes="32767", vehicles=3, deposits="1000000000000.00"),
                           row(child, employees="999999", businesses="1")])
    assert upload(signed_in_en(grassroots_cadre), check_request, content, "r.xlsx").status_code == 302
    stored = {r.item_id: r for r in CheckResult.objects.all()}
    assert stored[head.pk].homes == 32767 and stored[head.pk].vehicles == 3
    assert stored[head.pk].deposits_fen == 100_000_000_000_000
    assert stored[child.pk].business_employees == 999_999


def test_api_refuses_an_overflowing_count_with_a_400(sent, grassroots_cadre):
    check_request, _household, (head, child) = sent
    content = result_xlsx([row(head, non_res=70000), row(child, vehicles="²")])
    response = api(grassroots_cadre).post(
        f"/api/v1/check-requests/{check_request.pk}/results/",
        {"file": SimpleUploadedFile("r.xlsx", content)}, format="multipart")
    assert response.status_code == 400
    messages = response.json()["fields"]["file"]
    assert any("column 非住宅房产数: 70000 is more than the largest count accepted" in m for m in messages), messages
    assert any("column 机动车数: “²” is not a whole number" in m for m in messages), messages
    nothing_written(check_request)
