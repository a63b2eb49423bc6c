"""The plans API: the same write functions as the pages (bad input → 400 with the message, nothing saved), scoping
(another union → 404, a worker reads their own household), helpers update their own measures only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.funds.tests.test_api_money import token_client
from bangfu.plans.models import Measure, Plan, Recommendation, RecommendationRule
from bangfu.plans.tests.factories import make_measure, make_plan, make_recommendation, shipped_rules
from bangfu.registry.models import Member
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def household(tree):
    shipped_rules()
    return make_household(tree.grassroots, size=2, main_cause="3")


@pytest.fixture
def cadre(grassroots_cadre):
    return token_client(grassroots_cadre)


def test_plan_propose_accept_reject(household, cadre, grassroots_cadre):
    response = cadre.post("/api/v1/plans/", {"household": household.pk, "situation": "夫妻均下岗"}, format="json")
    assert response.status_code == 201, response.json()
    plan = response.json()
    assert plan["archive_number"] == household.archive_number and plan["causes"] == [{"code": "3", "is_main": True}]
    again = cadre.post("/api/v1/plans/", {"household": household.pk}, format="json")
    assert again.status_code == 400 and "already has a plan" in again.json()["fields"]["household"][0]

    proposed = cadre.post(f"/api/v1/plans/{plan['id']}/propose/", format="json")
    assert proposed.status_code == 200
    recs = {r["proposal_key"]: r for r in proposed.json()}
    school = recs["school_aid"]
    assert school["rule"]["code"] == "students" and school["rule"]["version"] == 1
    assert school["rule"]["explanation"] and school["facts"] == {"student_count": 1}

    accepted = cadre.post(f"/api/v1/recommendations/{school['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200 and accepted.json()["decision"] == "accepted"
    measure = Measure.objects.get(pk=accepted.json()["measure"])
    assert measure.owner == grassroots_cadre and measure.due_on == TODAY() + dt.timedelta(days=school["due_days"])

    rejected = cadre.post(f"/api/v1/recommendations/{recs['startup_support']['id']}/reject/", {"reason": ""},
                          format="json")
    assert rejected.status_code == 400
    assert rejected.json()["fields"]["reason"] == ["Give the reason why the proposal is rejected."]
    rejected = cadre.post(f"/api/v1/recommendations/{recs['startup_support']['id']}/reject/",
                          {"reason": "无创业意愿"}, format="json")
    assert rejected.json()["decision"] == "rejected"
    listed = cadre.get("/api/v1/recommendations/", {"household": household.pk, "decision": "pending"}).json()
    assert {r["proposal_key"] for r in listed["results"]} == {"job_information", "skills_training"}


def test_accept_with_changes_and_bad_input(household, cadre, grassroots_cadre, outsider):
    rec = make_recommendation(household, RecommendationRule.objects.get(code="students", is_current=True))
    url = f"/api/v1/recommendations/{rec.pk}/accept/"
    past = cadre.post(url, {"due_on": (TODAY() - dt.timedelta(days=1)).isoformat()}, format="json")
    assert past.status_code == 400 and "has passed" in past.json()["fields"]["due_on"][0]
    wrong = cadre.post(url, {"owner": outsider.pk}, format="json")
    assert wrong.status_code == 400 and "Choose a measure owner from the list" in wrong.json()["fields"]["owner"][0]
    missing = cadre.post(url, {"owner": 2**40}, format="json")
    assert missing.status_code == 400 and "owner" in missing.json()["fields"]
    assert not Measure.objects.exists()
    edited = cadre.post(url, {"description": "对接金秋助学", "kind": "school_aid"}, format="json")
    assert edited.status_code == 200 and edited.json()["decision"] == "edited"
    assert Measure.objects.get().description == "对接金秋助学"


def test_measures_create_update_state(household, cadre, grassroots_cadre, county_reviewer):
    body = {"household": household.pk, "function": "relief", "kind": "temporary_funds", "description": "慰问金",
            "due_on": (TODAY() - dt.timedelta(days=1)).isoformat()}
    response = cadre.post("/api/v1/measures/", body, format="json")
    assert response.status_code == 400 and "has passed" in response.json()["fields"]["due_on"][0]
    assert not Measure.objects.exists() and not Plan.objects.exists()
    response = cadre.post("/api/v1/measures/", {**body, "due_on": TODAY().isoformat()}, format="json")
    assert response.status_code == 201
    measure = response.json()
    assert measure["owner"] == grassroots_cadre.pk and measure["state"] == "planned"
    url = f"/api/v1/measures/{measure['id']}/"
    later = (TODAY() + dt.timedelta(days=9)).isoformat()
    patched = cadre.patch(url, {"due_on": later, "owner": county_reviewer.pk}, format="json")
    assert patched.status_code == 200 and patched.json()["due_on"] == later
    assert patched.json()["owner"] == county_reviewer.pk
    state = cadre.post(url + "state/", {"state": "done"}, format="json")
    assert state.status_code == 400 and "outcome" in state.json()["fields"]
    state = cadre.post(url + "state/", {"state": "done", "outcome": "已发放"}, format="json")
    assert state.status_code == 200 and state.json()["state"] == "done" and state.json()["completed_on"]
    assert cadre.get("/api/v1/measures/", {"state": "done"}).json()["count"] == 1
    assert cadre.get("/api/v1/measures/", {"overdue": "true"}).json()["count"] == 0


def test_another_union_gets_404(household, outsider, grassroots_cadre):
    client = token_client(outsider)
    plan = make_plan(household, grassroots_cadre)
    measure = make_measure(household, grassroots_cadre)
    rec = make_recommendation(household, RecommendationRule.objects.get(code="students", is_current=True))
    for url in (f"/api/v1/plans/{plan.pk}/", f"/api/v1/measures/{measure.pk}/",
                f"/api/v1/recommendations/{rec.pk}/"):
        assert client.get(url).status_code == 404
    for url in (f"/api/v1/plans/{plan.pk}/propose/", f"/api/v1/measures/{measure.pk}/state/",
                f"/api/v1/recommendations/{rec.pk}/accept/", f"/api/v1/recommendations/{rec.pk}/reject/"):
        assert client.post(url, {"state": "done", "outcome": "x", "reason": "x"}, format="json").status_code == 404
    assert client.patch(f"/api/v1/measures/{measure.pk}/", {"due_on": TODAY().isoformat()},
                        format="json").status_code == 404
    for url in ("/api/v1/plans/", "/api/v1/measures/", "/api/v1/recommendations/"):
        assert client.get(url).json()["count"] == 0
    created = client.post("/api/v1/measures/", {"household": household.pk, "function": "relief",
                                                "kind": "temporary_funds", "description": "x",
                                                "due_on": TODAY().isoformat()}, format="json")
    assert created.status_code == 400 and "household" in created.json()["fields"]
    rec.refresh_from_db()
    measure.refresh_from_db()
    assert rec.decision == "pending" and measure.state == "planned" and Measure.objects.count() == 1


def test_a_worker_reads_their_own_plan_only(tree, household, worker_user, grassroots_cadre):
    Member.objects.filter(household=household, is_head=True).update(account=worker_user)
    plan = make_plan(household, grassroots_cadre, situation="内部情况")
    measure = make_measure(household, grassroots_cadre)
    make_measure(make_household(tree.grassroots), grassroots_cadre)  # another household of the same union
    client = token_client(worker_user)
    assert client.get("/api/v1/plans/").json()["count"] == 1
    assert client.get(f"/api/v1/plans/{plan.pk}/").json()["situation"] == ""
    assert [m["id"] for m in client.get("/api/v1/measures/").json()["results"]] == [measure.pk]
    assert client.get("/api/v1/recommendations/").status_code in (200, 404)
    assert client.get("/api/v1/recommendations/").json().get("count", 0) == 0
    assert client.post(f"/api/v1/measures/{measure.pk}/state/", {"state": "in_progress"},
                       format="json").status_code == 404
    assert client.post("/api/v1/measures/", {}, format="json").status_code == 403


def test_a_helper_updates_the_state_of_their_own_measures_only(tree, household, grassroots_cadre):
    helper = tree.user("helper", tree.grassroots, Role.HELPER)
    theirs = make_measure(household, helper)
    other = make_measure(household, grassroots_cadre)
    client = token_client(helper)
    assert client.post(f"/api/v1/measures/{theirs.pk}/state/", {"state": "in_progress"},
                       format="json").status_code == 200
    assert client.post(f"/api/v1/measures/{other.pk}/state/", {"state": "in_progress"},
                       format="json").status_code == 404
    assert client.patch(f"/api/v1/measures/{theirs.pk}/", {"due_on": TODAY().isoformat()},
                        format="json").status_code == 403
    other.refresh_from_db()
    assert other.state == "planned" and not Recommendation.objects.exists()
