"""Ordering from the menu and answering: a worker orders only for their own household, quantities and urgency
are checked, every request is answered in time or escalated up the tree, feedback once after delivery."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.notifications.models import Notification
from bangfu.services.actions import requests as request_actions
from bangfu.services.models import RequestState, ServiceRequest
from bangfu.services.tests.factories import make_item, make_request, make_scored_household


@pytest.fixture
def household(tree, worker_user):
    household = make_scored_household(tree.grassroots, "20")
    head = household.members.get(is_head=True)
    head.account = worker_user
    head.save(update_fields=["account"])
    return household


def test_a_worker_orders_for_their_own_household_only(tree, household, worker_user):
    item = make_item()
    request = request_actions.request_submit(worker_user, household, member=household.members.get(is_head=True),
                                             item=item, quantity=1, urgency=2)
    assert request.via_portal and request.answer_due_at - request.submitted_at == dt.timedelta(hours=72)
    other = make_scored_household(tree.grassroots, "50")
    with pytest.raises(ValidationError) as refused:
        request_actions.request_submit(worker_user, other, member=other.members.get(is_head=True), item=item)
    assert "household" in refused.value.message_dict
    assert ServiceRequest.objects.count() == 1


def test_bad_orders_are_refused_by_field(tree, household, grassroots_cadre):
    item = make_item()
    other = make_scored_household(tree.grassroots, "50")
    with pytest.raises(ValidationError) as refused:
        request_actions.request_submit(grassroots_cadre, household, member=other.members.get(is_head=True),
                                       item=item, quantity=0, urgency=9)
    assert set(refused.value.message_dict) == {"member", "quantity", "urgency"}


def test_unanswered_requests_climb_the_tree(tree, household):
    county_cadre = tree.user("countycadre", tree.county, Role.CASE_WORKER)
    city_cadre = tree.user("citycadre", tree.city, Role.CASE_WORKER)
    item = make_item()
    late = make_request(household, item, submitted_at=timezone.now() - dt.timedelta(hours=80))
    waiting = make_request(household, item)  # not due yet (and not for a long time)
    ServiceRequest.objects.filter(pk=waiting.pk).update(answer_due_at=timezone.now() + dt.timedelta(days=30))
    assert request_actions.escalate_overdue_requests() == 1
    late.refresh_from_db()
    assert late.escalation_level == 1 and late.answer_due_at > timezone.now()
    assert Notification.objects.filter(recipient=county_cadre, kind="service_request_overdue").count() == 1
    assert not Notification.objects.filter(recipient=city_cadre).exists()
    # still unanswered when the new due time passes: the city is told
    assert request_actions.escalate_overdue_requests(now=late.answer_due_at + dt.timedelta(minutes=1)) == 1
    late.refresh_from_db()
    assert late.escalation_level == 2
    assert Notification.objects.filter(recipient=city_cadre, kind="service_request_overdue").count() == 1


def test_feedback_once_after_delivery_by_the_households_worker(tree, household, worker_user, grassroots_cadre):
    request = make_request(household, make_item())
    with pytest.raises(ValidationError):
        request_actions.feedback_give(worker_user, request, rating=5)
    request_actions.request_take(grassroots_cadre, request, note="工会帮扶站承接")
    request_actions.request_fulfil(grassroots_cadre, request, note="已送达")
    with pytest.raises(ValidationError):
        request_actions.feedback_give(grassroots_cadre, request, rating=5)  # staff do not rate for the worker
    with pytest.raises(ValidationError) as bad:
        request_actions.feedback_give(worker_user, request, rating=6)
    assert "rating" in bad.value.message_dict
    feedback = request_actions.feedback_give(worker_user, request, rating=4, comment="很及时")
    assert feedback.rating == 4
    with pytest.raises(ValidationError):
        request_actions.feedback_give(worker_user, request, rating=5)
    request.refresh_from_db()
    assert request.state == RequestState.FULFILLED


def test_response_and_satisfaction_figures(tree, household, worker_user, grassroots_cadre, signed_in_en):
    from bangfu.services import stats

    item = make_item()
    answered = make_request(household, item, submitted_at=timezone.now() - dt.timedelta(hours=10))
    request_actions.request_take(grassroots_cadre, answered, note="")
    ServiceRequest.objects.filter(pk=answered.pk).update(taken_at=answered.submitted_at + dt.timedelta(hours=6))
    answered.refresh_from_db()
    request_actions.request_fulfil(grassroots_cadre, answered, note="已送达")
    request_actions.feedback_give(worker_user, answered, rating=4)
    late = make_request(household, item, submitted_at=timezone.now() - dt.timedelta(hours=100))
    ServiceRequest.objects.filter(pk=late.pk).update(escalation_level=1)
    late.refresh_from_db()
    request_actions.request_decline(grassroots_cadre, late, reason="不符合条件")
    ServiceRequest.objects.filter(pk=late.pk).update(declined_at=late.submitted_at + dt.timedelta(hours=80))
    make_request(household, item)  # still waiting
    county_cadre = tree.user("countycadre", tree.county, Role.CASE_WORKER)
    rows = {row["org"].pk: row for row in stats.by_union(county_cadre, tree.county)}
    row = rows[tree.grassroots.pk]
    assert (row["requests"], row["answered"], row["in_time"], row["fulfilled"]) == (3, 2, 1, 1)
    assert row["in_time_share"] == 50 and row["mean_hours"] == 43.0 and row["rating"] == 4
    page = signed_in_en(county_cadre).get("/services/requests/stats/").content.decode()
    assert "43.0" in page and "50 %" in page
