"""The care API as a counsellor uses it: screenings scored (bad answers → 400 naming the item, nothing saved),
crisis cases acknowledged and closed, care plans and sessions; lists paginated."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.care.models import CarePlan, CounsellingSession, CrisisCase, Screening
from bangfu.care.tests.conftest import PHQ9_POSITIVE_ITEM_9
from bangfu.notifications.models import Notification

pytestmark = pytest.mark.django_db


def screening_body(household, member, answers, **extra):
    return {"household": household.pk, "member": member.pk, "instrument": "phq9", "answers": answers,
            "screened_on": timezone.localdate().isoformat(), **extra}


def test_record_a_screening_that_opens_a_crisis_case(api_as, counsellor, household, member, assignment, helper_user,
                                                     django_capture_on_commit_callbacks):
    api = api_as(counsellor)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/screenings/", screening_body(household, member, PHQ9_POSITIVE_ITEM_9,
                                                                  notes="备注"), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    case = CrisisCase.objects.get()
    assert (data["score"], data["band"], data["self_harm_positive"], data["crisis_case"]) == (5, "mild", True, case.pk)
    assert data["answers"] == PHQ9_POSITIVE_ITEM_9 and data["member_name_masked"] == "王**"
    assert data["household_archive_number"] == household.archive_number
    assert Notification.objects.filter(recipient=helper_user, urgency="urgent").count() == 1

    listed = api.get("/api/v1/crisis-cases/?state=open").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == case.pk and listed["results"][0]["overdue"] is False
    assert api.get("/api/v1/screenings/").json()["count"] == 1

    refused = api.post(f"/api/v1/crisis-cases/{case.pk}/acknowledge/", {"action_taken": ""}, format="json")
    assert refused.status_code == 400 and "action_taken" in refused.json()["fields"]
    acknowledged = api.post(f"/api/v1/crisis-cases/{case.pk}/acknowledge/", {"action_taken": "Phoned."},
                            format="json")
    assert acknowledged.status_code == 200 and acknowledged.json()["state"] == "acknowledged"
    again = api.post(f"/api/v1/crisis-cases/{case.pk}/acknowledge/", {"action_taken": "Again."}, format="json")
    assert again.status_code == 400 and "already acknowledged" in again.json()["fields"]["non_field_errors"][0]
    closed = api.post(f"/api/v1/crisis-cases/{case.pk}/close/", {"outcome": "Safe."}, format="json")
    assert closed.json()["state"] == "closed" and closed.json()["outcome"] == "Safe."


@pytest.mark.parametrize(("answers", "message"), [
    ([1, 1, 1, 1, 1, 1, 1, 1], "Item 9 ("),
    ([1, 1, 1, 1, 1, 1, 1, 1, 4], "Item 9: the answer must be a whole number from 0 to 3"),
    ([1, "x", 1, 1, 1, 1, 1, 1, 1], "Item 2: the answer must be a whole number from 0 to 3"),
    ("1,1,1", "Give the answers as a list of numbers from 0 to 3, one per item."),
])
def test_bad_answers_are_a_400_naming_the_item_and_nothing_is_saved(api_as, counsellor, household, member, answers,
                                                                    message):
    response = api_as(counsellor).post("/api/v1/screenings/", screening_body(household, member, answers),
                                       format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["fields"]["answers"][0].startswith(message)
    assert not Screening.objects.exists() and not CrisisCase.objects.exists()


def test_other_refusals(api_as, counsellor, household, member, tree):
    from bangfu.registry.tests.factories import make_household

    api = api_as(counsellor)
    stranger = make_household(tree.grassroots).members.get(is_head=True)
    response = api.post("/api/v1/screenings/", screening_body(
        household, stranger, [0] * 9, screened_on=(timezone.localdate() + dt.timedelta(days=2)).isoformat()),
        format="json")
    assert set(response.json()["fields"]) == {"member", "screened_on"}
    other = make_household(tree.sibling)
    response = api.post("/api/v1/screenings/", screening_body(other, other.members.get(), [0] * 9), format="json")
    assert response.json()["fields"] == {"household": ["No such household among those you may see."]}
    assert not Screening.objects.exists()


def test_care_plan_and_sessions_through_the_api(api_as, counsellor, household, member):
    api = api_as(counsellor)
    created = api.post("/api/v1/care-plans/", {"household": household.pk, "opened_on": timezone.localdate().isoformat(),
                                               "goals": "Weekly talks."}, format="json")
    assert created.status_code == 201 and created.json()["counsellor"] == counsellor.pk
    plan_id = created.json()["id"]
    duplicate = api.post("/api/v1/care-plans/", {"household": household.pk,
                                                 "opened_on": timezone.localdate().isoformat()}, format="json")
    assert duplicate.status_code == 400 and CarePlan.objects.count() == 1
    changed = api.patch(f"/api/v1/care-plans/{plan_id}/", {"goals": "Talks every two weeks."}, format="json")
    assert changed.json()["goals"] == "Talks every two weeks."
    early = api.post(f"/api/v1/care-plans/{plan_id}/close/",
                     {"closed_on": (timezone.localdate() - dt.timedelta(days=9)).isoformat()}, format="json")
    assert early.status_code == 400 and "closed_on" in early.json()["fields"]
    closed = api.post(f"/api/v1/care-plans/{plan_id}/close/", {"closed_on": timezone.localdate().isoformat()},
                      format="json")
    assert closed.json()["state"] == "closed"

    session = api.post("/api/v1/counselling-sessions/", {
        "household": household.pk, "member": member.pk, "kind": "home_visit",
        "held_on": timezone.localdate().isoformat(), "notes": "Calm."}, format="json")
    assert session.status_code == 201 and session.json()["member_name_masked"] == "王**"
    listed = api.get(f"/api/v1/counselling-sessions/?household={household.pk}").json()
    assert listed["count"] == 1 and "results" in listed and CounsellingSession.objects.count() == 1


def test_care_lists_come_20_at_a_time_and_never_more_than_50(api_as, counsellor, household, member):
    from bangfu.care.api import CarePagination, CarePlanViewSet

    today = timezone.localdate()
    Screening.objects.bulk_create(
        Screening(household=household, member=member, instrument="phq9", answers=[0] * 9, score=0, band="minimal",
                  screened_on=today, counsellor=counsellor) for _ in range(55))
    CounsellingSession.objects.bulk_create(
        CounsellingSession(household=household, member=member, kind="counselling", held_on=today,
                           counsellor=counsellor) for _ in range(55))
    CrisisCase.objects.bulk_create(
        CrisisCase(household=household, reason="severe_score", opened_at=timezone.now(), due_at=timezone.now(),
                   responsible_org=household.org) for _ in range(55))
    api = api_as(counsellor)
    for endpoint in ("screenings", "counselling-sessions", "crisis-cases"):
        first = api.get(f"/api/v1/{endpoint}/").json()
        assert first["count"] == 55 and len(first["results"]) == 20, endpoint
        for asked in (50, 51, 500):
            assert len(api.get(f"/api/v1/{endpoint}/", {"limit": asked}).json()["results"]) == 50, (endpoint, asked)
    assert CarePlanViewSet.pagination_class is CarePagination  # one plan per household: 55 would need 55 homes
