"""The archive API: households, members, attachments — scoped, masked, and validated by the same write
functions as the pages (bad input: a field-level 400 in the user's language, nothing saved)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from bangfu.core.identity import check_character, synthetic_resident_id
from bangfu.registry.models import Attachment, Household, HouseholdCause, Member, State
from bangfu.registry.tests.factories import PDF_BYTES, make_household

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


@pytest.fixture
def api(grassroots_cadre):
    client = APIClient()
    client.force_authenticate(grassroots_cadre)
    return client


def new_body(tree, **head):
    return {"org": tree.grassroots.pk, "division": "440106", "archive_level": 4,
            "head": {"name": "李四光", "identity_number": synthetic_resident_id("440106", dt.date(1979, 3, 8), 123),
                     **head},
            "causes": {"main": "3", "secondary": ["6"]}}


def counts():
    return Household.objects.count(), Member.objects.count(), HouseholdCause.objects.count()


def test_create_retrieve_update_masked(api, tree):
    response = api.post("/api/v1/households/", new_body(tree, phone="13812345678"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    number = synthetic_resident_id("440106", dt.date(1979, 3, 8), 123)
    assert body["state"] == "draft" and body["archive_number"].startswith(f"GD-GZ-TH-001-{TODAY.year}-")
    assert body["causes"] == {"main": "3", "secondary": ["6"]}
    head = body["members"][0]
    assert head["identity_masked"] == number[:6] + "********" + number[-4:]
    assert head["phone_masked"] == "138****5678" and head["name_masked"] == "李**"
    raw = response.content.decode()
    assert number not in raw and "13812345678" not in raw and "李四光" not in raw
    pk = body["id"]
    response = api.patch(f"/api/v1/households/{pk}/", {"bank_account": "6222021234567890", "urgent_care": True},
                         format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["bank_account_masked"] == "7890" and response.json()["urgent_care"] is True
    assert "6222021234567890" not in response.content.decode()
    # PUT is not offered (partial updates only).
    assert api.put(f"/api/v1/households/{pk}/", {}, format="json").status_code == 405


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"head": {"name": "李四", "identity_number": synthetic_resident_id("440106", dt.date(1979, 3, 8), 123)[:17]
                   + "0"}}, "head.identity_number"),
        ({"head": {"name": "李四", "identity_number": "44010619790230123"
                   + check_character("44010619790230123")}}, "head.identity_number"),
        ({"head": {"name": "李四", "identity_number": "B123456789", "document_type": "birth_cert", "sex": "M",
                   "birth_date": str(TODAY + dt.timedelta(days=5))}}, "head.birth_date"),
        ({"head": {"name": "李四", "identity_number": synthetic_resident_id("440106", dt.date(1979, 3, 8), 123),
                   "monthly_income_declared": "-5"}}, "head.monthly_income_declared"),
        ({"causes": {"main": None, "secondary": ["6"]}}, "main"),
        ({"causes": {"main": "3", "secondary": ["6", "7", "8", "9"]}}, "secondary"),
        ({"archive_level": 0}, "archive_level"),
    ],
)
def test_bad_input_is_a_field_level_400_and_saves_nothing(api, tree, change, field):
    body = {**new_body(tree), **change}
    before = counts()
    response = api.post("/api/v1/households/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"], response.json()
    assert counts() == before


def test_identity_check_message_is_in_the_users_language(api, tree):
    bad = synthetic_resident_id("440106", dt.date(1979, 3, 8), 123)[:17]
    bad += "0" if not bad.endswith("0") else "1"
    response = api.post("/api/v1/households/", new_body(tree, identity_number=bad[:17] + (
        "1" if synthetic_resident_id("440106", dt.date(1979, 3, 8), 123)[17] != "1" else "2")), format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["head.identity_number"] == [zh("The check character of the ID number is wrong.")]


def test_person_open_elsewhere_via_api(api, tree, county_reviewer):
    theirs = make_household(tree.sibling, state=State.ACTIVE)
    number = theirs.members.get(is_head=True).identity_number
    before = counts()
    response = api.post("/api/v1/households/", new_body(tree, identity_number=number), format="json")
    assert response.status_code == 400
    message = response.json()["fields"]["head.identity_number"][0]
    assert message == zh("This person is already in an open archive of another union.")
    assert theirs.archive_number not in response.content.decode()
    reviewer = APIClient()
    reviewer.force_authenticate(county_reviewer)
    response = reviewer.post("/api/v1/households/", new_body(tree, identity_number=number), format="json")
    assert response.status_code == 400
    assert theirs.archive_number in response.json()["fields"]["head.identity_number"][0]
    assert counts() == before


def test_members_endpoint(api, tree, outsider):
    household = make_household(tree.grassroots, state=State.DRAFT)
    head = household.members.get(is_head=True)
    child = synthetic_resident_id("440106", dt.date(2015, 2, 3), 88)
    response = api.post("/api/v1/members/", {"household": household.pk, "name": "张小", "relation": "child",
                                             "identity_number": child}, format="json")
    assert response.status_code == 201, response.json()
    member_id = response.json()["id"]
    assert response.json()["birth_date"] == "2015-02-03" and child not in response.content.decode()
    household.refresh_from_db()
    assert household.household_size == 2
    response = api.patch(f"/api/v1/members/{member_id}/", {"health": "not-a-code"}, format="json")
    assert response.status_code == 400 and "health" in response.json()["fields"]
    assert api.delete(f"/api/v1/members/{head.pk}/").status_code == 400  # the head is protected
    assert api.delete(f"/api/v1/members/{member_id}/").status_code == 204
    # Another union: 404 for reading, writing and adding.
    other = APIClient()
    other.force_authenticate(outsider)
    assert other.get(f"/api/v1/members/{head.pk}/").status_code == 404
    assert other.patch(f"/api/v1/members/{head.pk}/", {"name": "x"}, format="json").status_code == 404
    response = other.post("/api/v1/members/", {"household": household.pk, "name": "张小", "relation": "child",
                                               "identity_number": child}, format="json")
    assert response.status_code == 404
    assert other.get(f"/api/v1/households/{household.pk}/").status_code == 404
    assert other.get("/api/v1/households/").json()["count"] == 0


def test_closed_archive_via_api(api, tree):
    household = make_household(tree.grassroots, state=State.EXITED)
    response = api.patch(f"/api/v1/households/{household.pk}/", {"remarks": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["non_field_errors"]
    household.refresh_from_db()
    assert household.remarks == ""


def test_attachments_upload_and_metadata(api, tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.BANGFU_MAX_UPLOAD_MB = 1
    household = make_household(tree.grassroots, state=State.DRAFT)
    response = api.post("/api/v1/attachments/", {"household": household.pk, "kind": "id_hukou",
                                                 "file": SimpleUploadedFile("a.pdf", PDF_BYTES)}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == "application/pdf" and "file" not in response.json()
    for name, content in [("b.pdf", b"<html></html>"), ("c.pdf", PDF_BYTES + b"0" * (1024 * 1024))]:
        response = api.post("/api/v1/attachments/", {"household": household.pk, "kind": "id_hukou",
                                                     "file": SimpleUploadedFile(name, content)}, format="multipart")
        assert response.status_code == 400 and "file" in response.json()["fields"]
    assert Attachment.objects.count() == 1
    listing = api.get(f"/api/v1/attachments/?household={household.pk}").json()
    assert listing["count"] == 1


def test_household_list_query_count_is_constant(api, tree):
    for _ in range(3):
        make_household(tree.grassroots, size=2, secondary=("6",))
    api.get("/api/v1/households/")  # warm-up: the user's roles are loaded once
    with CaptureQueriesContext(connection) as small:
        assert api.get("/api/v1/households/").status_code == 200
    for _ in range(6):
        make_household(tree.grassroots, size=3, secondary=("6", "9"))
    with CaptureQueriesContext(connection) as large:
        body = api.get("/api/v1/households/").json()
    assert body["count"] == 9
    assert len(large.captured_queries) == len(small.captured_queries)
