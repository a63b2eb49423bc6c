"""The helpers API: the same write functions as the pages, the platform's error body, scoping by 404."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangfu.accounts.roles import Role
from bangfu.helpers.models import HelperAssignment, Visit
from bangfu.helpers.services import assign_helper
from bangfu.registry.tests.factories import PDF_BYTES, PNG_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def _client(user):
        client = APIClient()
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")
        return client

    return _client


def test_assign_and_hand_over_through_the_api(api, household, helper, helper_b, grassroots_cadre, today):
    client = api(grassroots_cadre)
    response = client.post("/api/v1/helper-assignments/", {
        "household": household.pk, "mode": "pairing", "helper": helper.pk, "helper_kind": "branch_cadre",
        "starts_on": (today - dt.timedelta(days=40)).isoformat()}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["responsible"] == str(helper) and body["next_visit_due"] == str(today - dt.timedelta(days=10))
    response = client.post(f"/api/v1/helper-assignments/{body['id']}/hand-over/", {
        "mode": "pairing", "helper": helper_b.pk, "helper_kind": "branch_cadre", "on": today.isoformat(),
        "reason": "调岗"}, format="json")
    assert response.status_code == 201, response.json()
    old = HelperAssignment.objects.get(pk=body["id"])
    assert old.ends_on == today and old.handed_over_to_id == response.json()["id"]
    listing = client.get("/api/v1/helper-assignments/", {"household": household.pk}).json()
    assert listing["count"] == 2
    current = client.get("/api/v1/helper-assignments/", {"household": household.pk, "current": "true"}).json()
    assert [row["helper"] for row in current["results"]] == [helper_b.pk]


def test_unrelated_union_helper_is_refused_with_the_reason(api, household, sibling_helper, county_reviewer, today):
    response = api(county_reviewer).post("/api/v1/helper-assignments/", {
        "household": household.pk, "mode": "pairing", "helper": sibling_helper.pk, "helper_kind": "branch_cadre",
        "starts_on": today.isoformat()}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and "not this household's union or a union above it" in body["fields"]["helper"][0]
    assert not HelperAssignment.objects.exists()


def test_a_person_out_of_the_actors_reach_is_not_described(api, tree, household, grassroots_cadre, today):
    far = tree.user("far", tree.other_grassroots, Role.HELPER)
    response = api(grassroots_cadre).post("/api/v1/helper-assignments/", {
        "household": household.pk, "mode": "pairing", "helper": far.pk, "helper_kind": "branch_cadre",
        "starts_on": today.isoformat()}, format="json")
    assert response.status_code == 400
    assert tree.other_grassroots.name not in response.content.decode()
    assert not HelperAssignment.objects.exists()


def test_visits_through_the_api(api, household, grassroots_cadre, today):
    client = api(grassroots_cadre)
    response = client.post("/api/v1/visits/", {"household": household.pk, "visited_on": today.isoformat(),
                                                "visitors": "张干事", "findings": "一切正常"}, format="json")
    assert response.status_code == 201, response.json()
    with_photo = client.post("/api/v1/visits/", {"household": household.pk, "visited_on": today.isoformat(),
                                                 "visitors": "张干事", "findings": "拍照", "photo": _file(PNG_BYTES)},
                             format="multipart")
    assert with_photo.status_code == 201 and with_photo.json()["has_photo"]
    assert with_photo.json()["photo_url"] == f"/helpers/visits/{with_photo.json()['id']}/photo/"
    future = client.post("/api/v1/visits/", {"household": household.pk, "visited_on": str(today + dt.timedelta(1)),
                                             "visitors": "x", "findings": "y"}, format="json")
    assert future.status_code == 400 and "future" in future.json()["fields"]["visited_on"][0]
    before = client.post("/api/v1/visits/", {"household": household.pk, "visited_on": str(today - dt.timedelta(500)),
                                             "visitors": "x", "findings": "y"}, format="json")
    assert before.status_code == 400 and "exists only since" in before.json()["fields"]["visited_on"][0]
    pdf = client.post("/api/v1/visits/", {"household": household.pk, "visited_on": today.isoformat(),
                                          "visitors": "x", "findings": "y", "photo": _file(PDF_BYTES, "a.pdf")},
                      format="multipart")
    assert pdf.status_code == 400 and "JPEG and PNG" in pdf.json()["fields"]["photo"][0]
    assert Visit.objects.count() == 2
    assert client.get("/api/v1/visits/", {"household": household.pk}).json()["count"] == 2


def _file(content, name="photo.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_another_union_gets_404_through_the_api(api, household, helper, grassroots_cadre, outsider, today):
    assignment = assign_helper(household, mode="pairing", helper=helper, helper_kind="branch_cadre",
                               starts_on=today, actor=grassroots_cadre)
    visit = api(grassroots_cadre).post("/api/v1/visits/", {
        "household": household.pk, "visited_on": today.isoformat(), "visitors": "x", "findings": "y"},
        format="json").json()
    client = api(outsider)
    assert client.get(f"/api/v1/helper-assignments/{assignment.pk}/").status_code == 404
    assert client.post(f"/api/v1/helper-assignments/{assignment.pk}/hand-over/", {
        "mode": "pairing", "helper": outsider.pk, "helper_kind": "branch_cadre", "on": today.isoformat(),
        "reason": "x"}, format="json").status_code == 404
    assert client.post(f"/api/v1/helper-assignments/{assignment.pk}/end/", {
        "on": today.isoformat(), "reason": "x"}, format="json").status_code == 404
    assert client.get(f"/api/v1/visits/{visit['id']}/").status_code == 404
    assert client.get("/api/v1/helper-assignments/").json()["count"] == 0
    assert client.get("/api/v1/visits/").json()["count"] == 0
    assert client.post("/api/v1/visits/", {"household": household.pk, "visited_on": today.isoformat(),
                                           "visitors": "x", "findings": "y"}, format="json").status_code == 404
    assert client.post("/api/v1/helper-assignments/", {
        "household": household.pk, "mode": "union", "helper_org": household.org_id, "helper_kind": "union",
        "starts_on": today.isoformat()}, format="json").status_code == 404
    assignment.refresh_from_db()
    assert assignment.is_current and Visit.objects.count() == 1


def test_reading_visits_is_audited(api, household, grassroots_cadre, today):
    from bangfu.audit.models import AccessLogEntry

    client = api(grassroots_cadre)
    visit = client.post("/api/v1/visits/", {"household": household.pk, "visited_on": today.isoformat(),
                                            "visitors": "x", "findings": "y"}, format="json").json()
    assert client.get(f"/api/v1/visits/{visit['id']}/").status_code == 200
    assert AccessLogEntry.objects.filter(object_type="helpers.visit", object_id=str(visit["id"]),
                                         user=grassroots_cadre).exists()
    client.get("/api/v1/visits/")
    assert AccessLogEntry.objects.filter(object_type="helpers.visit", detail__what="api_list").exists()
