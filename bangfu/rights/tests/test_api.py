"""The rights-cases API: the same write functions as the pages; bad input is a 400 with the field and nothing
saved; another union's case is a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangfu.accounts.roles import Role
from bangfu.rights.models import RightsCase
from bangfu.rights.services import open_case

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}",
                       HTTP_ACCEPT_LANGUAGE="en")
    return client


BODY = {"kind": "legal_aid", "topic": "wages", "summary": "Wages unpaid", "opened_on": "2025-07-01"}


def test_create_update_close_reopen(grassroots_cadre, county_reviewer, household):
    client = api(grassroots_cadre)
    response = client.post("/api/v1/rights-cases/", {**BODY, "household": household.pk,
                                                     "handled_by": county_reviewer.pk}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["state"], data["handled_by"], data["archive_number"]) == ("open", county_reviewer.pk,
                                                                           household.archive_number)
    pk = data["id"]

    response = client.patch(f"/api/v1/rights-cases/{pk}/", {"state": "in_progress", "topic": "labour_contract"},
                            format="json")
    assert response.status_code == 200 and response.json()["topic"] == "labour_contract"

    response = client.post(f"/api/v1/rights-cases/{pk}/close/", {"closed_on": "2025-08-01"}, format="json")
    assert response.status_code == 400 and "outcome" in response.json()["fields"]
    response = client.post(f"/api/v1/rights-cases/{pk}/close/", {"outcome": "resolved", "closed_on": "2025-06-30"},
                           format="json")
    assert response.status_code == 400
    assert "cannot be closed before" in response.json()["fields"]["closed_on"][0]
    assert RightsCase.objects.get().state == "in_progress"

    response = client.post(f"/api/v1/rights-cases/{pk}/close/", {"outcome": "resolved", "closed_on": "2025-08-01"},
                           format="json")
    assert response.status_code == 200 and response.json()["state"] == "closed"
    response = client.patch(f"/api/v1/rights-cases/{pk}/", {"summary": "late change"}, format="json")
    assert response.status_code == 400 and "reopen" in response.json()["fields"]["non_field_errors"][0]
    response = client.post(f"/api/v1/rights-cases/{pk}/reopen/", {"reason": "Not paid after all"}, format="json")
    assert response.status_code == 200 and response.json()["outcome"] == ""


@pytest.mark.parametrize(("change", "field"), [
    ({"opened_on": "2999-01-01"}, "opened_on"),
    ({"opened_on": "2025-01-01"}, "opened_on"),  # before the household is on record
    ({"summary": ""}, "summary"),
    ({"topic": "everything"}, "topic"),
    ({"handled_by": 2**62}, "handled_by"),
    ({"household": 2**62}, "household"),
    ({"household": 2**64}, "household"),
])
def test_bad_input_is_a_400_with_the_field_and_nothing_saved(grassroots_cadre, household, change, field):
    response = api(grassroots_cadre).post("/api/v1/rights-cases/", {**BODY, "household": household.pk, **change},
                                          format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert not RightsCase.objects.exists()


def test_a_handler_or_household_of_another_union_is_refused(grassroots_cadre, outsider, household,
                                                             sibling_household):
    client = api(grassroots_cadre)
    response = client.post("/api/v1/rights-cases/", {**BODY, "household": household.pk, "handled_by": outsider.pk},
                           format="json")
    assert response.status_code == 400 and "handled_by" in response.json()["fields"]
    response = client.post("/api/v1/rights-cases/", {**BODY, "household": sibling_household.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["household"] == ["No such household among those you may see."]
    assert not RightsCase.objects.exists()


def test_outsiders_get_404_and_see_nothing(grassroots_cadre, outsider, household, tree):
    case = open_case(grassroots_cadre, household, kind="consultation", topic="wages", summary="甲秘密",
                     opened_on=dt.date(2025, 7, 1))
    client = api(outsider)
    assert client.get(f"/api/v1/rights-cases/{case.pk}/").status_code == 404
    assert client.patch(f"/api/v1/rights-cases/{case.pk}/", {"summary": "x"}, format="json").status_code == 404
    assert client.post(f"/api/v1/rights-cases/{case.pk}/close/", {"outcome": "resolved",
                                                                   "closed_on": "2025-07-02"}).status_code == 404
    listing = client.get("/api/v1/rights-cases/")
    assert listing.status_code == 200 and listing.json()["count"] == 0
    # Inside the union: the case worker lists it; a fund manager reads it but may not change it.
    assert api(grassroots_cadre).get("/api/v1/rights-cases/", {"open": "true"}).json()["count"] == 1
    manager = api(tree.user("manager", tree.grassroots, Role.FUND_MANAGER))
    assert manager.get(f"/api/v1/rights-cases/{case.pk}/").status_code == 200
    assert manager.patch(f"/api/v1/rights-cases/{case.pk}/", {"summary": "x"}, format="json").status_code == 404
    assert manager.post("/api/v1/rights-cases/", {**BODY, "household": household.pk},
                        format="json").status_code == 404
    case.refresh_from_db()
    assert case.summary == "甲秘密" and RightsCase.objects.count() == 1
