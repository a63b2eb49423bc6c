"""The request file and the API send: full ID numbers only inside the encrypted file / the JSON, masked
everywhere else, every export in the access log with its SHA-256."""

from __future__ import annotations

import base64
import csv
import hashlib
import io

import pytest
import pyzipper

from bangfu.audit.models import AccessLogEntry
from bangfu.econcheck import centre
from bangfu.econcheck.models import CheckRequest, RequestState
from bangfu.econcheck.requestfile import COLUMNS
from bangfu.econcheck.services import create_request
from bangfu.econcheck.tests.factories import authorised
from bangfu.econcheck.tests.test_requests import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(tree, grassroots_cadre):
    household = authorised(tree.grassroots, size=2, name="赵大明")
    return create_request(grassroots_cadre, household_ids=[household.pk]), household


def _unzip(content: bytes, password: str) -> tuple[str, bytes]:
    with pyzipper.AESZipFile(io.BytesIO(content)) as zipped:
        zipped.setpassword(password.encode())
        name = zipped.namelist()[0]
        return name, zipped.read(name)


def test_request_file_holds_full_ids_encrypted_and_is_audited(draft, grassroots_cadre, signed_in_en):
    check_request, household = draft
    members = list(household.members.order_by("-is_head", "id"))
    client = signed_in_en(grassroots_cadre)
    detail = client.get(f"/economic-checks/{check_request.pk}/").content.decode()
    for member in members:
        assert member.identity_number not in detail  # the page shows masked IDs only
        assert member.identity_masked in detail
    assert "赵大明" not in detail and "赵**" in detail

    done = client.post(f"/economic-checks/{check_request.pk}/file/", {"format": "csv"})
    assert done.status_code == 200
    page = done.content.decode()
    for member in members:
        assert member.identity_number not in page
    password = done.context["file"].password
    link, token = done.context["download_url"], done.context["download_token"]
    assert client.get(f"{link}?file={token}").status_code == 405  # a GET never downloads (nor uses up) the file
    download = client.post(link, {"file": token})
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    content = b"".join(download.streaming_content)
    assert all(m.identity_number.encode() not in content for m in members)  # encrypted
    name, table = _unzip(content, password)
    assert name.endswith(".csv")
    rows = list(csv.reader(io.StringIO(table.decode("utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS
    by_reference = {r[0]: r for r in rows[1:]}
    for item in check_request.items.select_related("member"):
        line = by_reference[item.reference]
        assert line[4] == item.member.identity_number  # the full number, only here
        assert line[7] == "2026-03-02"
        assert line[9] == check_request.number
    assert by_reference[f"{check_request.number}-0001"][2] == "赵大明"
    assert client.post(link, {"file": token}).status_code == 302  # the download works once

    check_request.refresh_from_db()
    assert check_request.state == RequestState.SENT and check_request.sent_via == "file"
    assert check_request.file_sha256 == hashlib.sha256(table).hexdigest()
    exports = AccessLogEntry.objects.filter(object_type="econcheck.checkrequest", object_id=str(check_request.pk),
                                            action="export")
    made = exports.get(detail__what="econcheck_request_file")
    assert made.detail["sha256"] == hashlib.sha256(content).hexdigest()
    assert made.detail["table_sha256"] == hashlib.sha256(table).hexdigest()
    assert exports.get(detail__what="econcheck_request_file_download").detail["sha256"] == made.detail["sha256"]
    # Nothing of the full numbers in any access-log detail.
    for entry in AccessLogEntry.objects.all():
        assert all(m.identity_number not in str(entry.detail) for m in members)
    # The timeline says the household was requested (no numbers).
    assert household.timeline.filter(kind="econcheck_requested", detail__request=check_request.number).exists()


def test_xlsx_variant_keeps_ids_as_text(draft, grassroots_cadre):
    from python_calamine import CalamineWorkbook

    check_request, household = draft
    assert api(grassroots_cadre).get(f"/api/v1/check-requests/{check_request.pk}/file/").status_code == 405
    assert CheckRequest.objects.get().state == RequestState.DRAFT  # a GET changes nothing
    response = api(grassroots_cadre).post(f"/api/v1/check-requests/{check_request.pk}/file/",
                                          {"file_type": "xlsx"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    content = base64.b64decode(body["content_base64"])
    assert hashlib.sha256(content).hexdigest() == body["sha256"]
    name, table = _unzip(content, body["password"])
    assert name.endswith(".xlsx")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(table)).get_sheet_by_index(0).to_python()
    ids = {row[4] for row in sheet[1:]}
    assert ids == {m.identity_number for m in household.members.all()}
    assert response["Cache-Control"] == "private, no-store"


def test_api_send_returns_the_request_and_uses_the_centre_backend(draft, grassroots_cadre, settings):
    settings.BANGFU_CHECK_CENTRE_BACKEND = "bangfu.econcheck.centre.LocmemCentreBackend"
    centre.outbox.clear()
    check_request, household = draft
    response = api(grassroots_cadre).post(f"/api/v1/check-requests/{check_request.pk}/send/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["request"] == check_request.number and body["receipt"] == "locmem-1"
    assert {p["id_number"] for p in body["persons"]} == {m.identity_number for m in household.members.all()}
    assert centre.outbox == [{k: v for k, v in body.items() if k != "receipt"}]
    check_request.refresh_from_db()
    assert check_request.state == RequestState.SENT and check_request.sent_via == "api"
    assert check_request.file_sha256 == body["table_sha256"]
    entry = AccessLogEntry.objects.get(action="export", detail__what="econcheck_request_api")
    assert entry.detail["table_sha256"] == body["table_sha256"] and entry.user_id == grassroots_cadre.pk
    # The detail answer of the API masks.
    detail = api(grassroots_cadre).get(f"/api/v1/check-requests/{check_request.pk}/").content.decode()
    assert all(m.identity_number not in detail for m in household.members.all())
    centre.outbox.clear()


def test_a_centre_that_refuses_leaves_the_request_a_draft(draft, grassroots_cadre, settings):
    settings.BANGFU_CHECK_CENTRE_BACKEND = "bangfu.econcheck.centre.FailingCentreBackend"
    check_request, _household = draft
    response = api(grassroots_cadre).post(f"/api/v1/check-requests/{check_request.pk}/send/")
    assert response.status_code == 400
    assert "did not take the request" in response.json()["fields"]["non_field_errors"][0]
    assert CheckRequest.objects.get().state == RequestState.DRAFT


def test_only_add_permission_produces_the_file(draft, tree, signed_in_en):
    from bangfu.accounts.roles import Role

    check_request, _household = draft
    leader = tree.user("leader1", tree.grassroots, Role.LEADERSHIP)
    assert signed_in_en(leader).post(f"/economic-checks/{check_request.pk}/file/", {"format": "csv"}).status_code \
        == 404
    assert api(leader).post(f"/api/v1/check-requests/{check_request.pk}/file/", {}, format="json").status_code \
        == 404
    assert CheckRequest.objects.get().state == RequestState.DRAFT


def test_authorisation_withdrawn_after_the_draft_stops_every_way_out(tree, grassroots_cadre, signed_in_en, settings):
    """Re-checked when the content leaves: the page's file, the API's file and the API send are all refused, the
    household named (archive number, masked head), nothing marked as sent, and no full ID handed anywhere."""
    import datetime as dt

    from bangfu.registry.models import Consent, State

    settings.BANGFU_CHECK_CENTRE_BACKEND = "bangfu.econcheck.centre.LocmemCentreBackend"
    centre.outbox.clear()
    keeps = authorised(tree.grassroots, size=1, name="李留下")
    withdraws = authorised(tree.grassroots, size=2, name="赵撤回")
    closes = authorised(tree.grassroots, size=1, name="钱关闭")
    check_request = create_request(grassroots_cadre, household_ids=[keeps.pk, withdraws.pk, closes.pk])
    Consent.objects.filter(household=withdraws).update(withdrawn_on=dt.date(2026, 5, 1))
    type(closes).objects.filter(pk=closes.pk).update(state=State.REFUSED)

    client = signed_in_en(grassroots_cadre)
    page = client.post(f"/economic-checks/{check_request.pk}/file/", {"format": "csv"}, follow=True)
    html = page.content.decode()
    assert (f"Archive {withdraws.archive_number} (赵*): the authorisation of the economic check was withdrawn on "
            "2026-05-01.") in html
    assert f"Archive {closes.archive_number} (钱*) was closed (Refused) after the request was made." in html
    assert "Nothing was sent" in html
    assert "file-password" not in html

    api_file = api(grassroots_cadre).post(f"/api/v1/check-requests/{check_request.pk}/file/", {}, format="json")
    assert api_file.status_code == 400
    errors = api_file.json()["fields"]["non_field_errors"]
    assert any(withdraws.archive_number in e and "withdrawn on 2026-05-01" in e for e in errors), errors
    assert not any(keeps.archive_number in e for e in errors)  # only the households that block are named
    assert "content_base64" not in api_file.json()
    api_send = api(grassroots_cadre).post(f"/api/v1/check-requests/{check_request.pk}/send/")
    assert api_send.status_code == 400 and centre.outbox == []
    for response in (page, api_file, api_send):
        body = response.content.decode()
        for member in [*withdraws.members.all(), *keeps.members.all(), *closes.members.all()]:
            assert member.identity_number not in body and member.name not in body

    check_request.refresh_from_db()
    assert check_request.state == RequestState.DRAFT and check_request.export_count == 0
    assert not AccessLogEntry.objects.filter(action="export", object_id=str(check_request.pk)).exists()

    # A new authorisation signed after the withdrawal (and the closed household left out by a new request) lets
    # the same request go again only when every household may be checked: here the closed one still blocks.
    Consent.objects.create(household=withdraws, kind="economic_check", signed_on=dt.date(2026, 5, 2),
                           signed_by_name="赵撤回")
    still = api(grassroots_cadre).post(f"/api/v1/check-requests/{check_request.pk}/send/")
    assert still.status_code == 400
    assert withdraws.archive_number not in str(still.json()) and closes.archive_number in str(still.json())
    centre.outbox.clear()
