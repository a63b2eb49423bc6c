"""Care writes under concurrency: several scheduled runs at the same instant (a retry overlapping the next run,
two workers) escalate each overdue case exactly once; positive screenings of one household at the same moment
open one crisis case; counsellors opening the same household's care plan at once get one plan and a clear
message. The races are real transactions in real threads, so PostgreSQL only (SQLite serialises every writer;
`select_for_update(skip_locked=True)` is a no-op there); the guard behind the care plan check runs on both."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation

from bangfu.accounts.roles import Role
from bangfu.care.models import CarePlan, CrisisCase
from bangfu.care.services import acknowledge, escalate_overdue, open_care_plan, record_screening
from bangfu.care.services.records import _save_plan
from bangfu.care.tests.conftest import PHQ9_POSITIVE_ITEM_9
from bangfu.notifications.models import Notification
from bangfu.registry.tests.factories import make_household
from tests.concurrency import race

CASES = 12
RUNS = 6
CONCURRENT = 4


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a race needs concurrent writers (PostgreSQL)")
def test_concurrent_runs_escalate_each_case_once(tree, counsellor, county_counsellor):
    opened = timezone.now() - dt.timedelta(hours=30)
    for i in range(CASES):
        household = make_household(tree.grassroots, name=f"赵{chr(0x4E00 + i)}")
        record_screening(household, household.members.get(), "phq9", PHQ9_POSITIVE_ITEM_9, timezone.localdate(),
                         counsellor, now=opened)
    now = timezone.now()

    results = race(*[(lambda: escalate_overdue(now=now)) for _ in range(RUNS)])

    assert [r for r in results if not isinstance(r, dict)] == []
    assert sum(r["escalated"] for r in results) == CASES
    assert set(CrisisCase.objects.values_list("escalation_level", "responsible_org_id")) == {(1, tree.county.pk)}
    assert Notification.objects.filter(recipient=county_counsellor, kind="crisis_escalated").count() == CASES
    assert escalate_overdue(now=now)["escalated"] == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a race needs concurrent writers (PostgreSQL)")
def test_acknowledging_while_the_check_runs(tree, counsellor, county_counsellor):
    household = make_household(tree.grassroots)
    record_screening(household, household.members.get(), "phq9", PHQ9_POSITIVE_ITEM_9, timezone.localdate(),
                     counsellor, now=timezone.now() - dt.timedelta(hours=30))
    case = CrisisCase.objects.get()

    results = race(lambda: escalate_overdue(), lambda: acknowledge(case, counsellor, "Visited at once."))

    assert [r for r in results if isinstance(r, Exception)] == []
    case.refresh_from_db()
    assert case.state == "acknowledged" and case.escalation_level in (0, 1)
    assert escalate_overdue(now=timezone.now() + dt.timedelta(days=3))["escalated"] == 0


@pytest.mark.django_db
def test_the_unique_index_race_of_a_care_plan_answers_a_clear_message(tree, counsellor, household):
    """The write function's last step: the one-plan-per-household IntegrityError becomes a ValidationError (the
    check before it is what a committed competitor would have tripped), and the caller's transaction goes on."""
    today = timezone.localdate()
    CarePlan.objects.create(household=household, counsellor=counsellor, opened_on=today)
    loser = CarePlan(household=household, counsellor=counsellor, opened_on=today, goals="Mine.")
    with transaction.atomic(), translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            _save_plan(loser)
        assert CarePlan.objects.filter(household=household).count() == 1  # the transaction is still usable
    assert "at the same moment" in refused.value.messages[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a race needs concurrent writers (PostgreSQL)")
def test_counsellors_opening_the_same_care_plan_at_once_get_one_plan_and_a_message(tree):
    household = make_household(tree.grassroots)
    people = [tree.user(f"planracer{i}", tree.grassroots, Role.COUNSELLOR) for i in range(CONCURRENT)]
    today = timezone.localdate()

    def open_as(person):
        def call():
            with translation.override("en"):
                return open_care_plan(household, person, opened_on=today, goals=f"Plan of {person.username}.")
        return call

    results = race(*[open_as(p) for p in people])
    won = [r for r in results if isinstance(r, CarePlan)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(lost) == CONCURRENT - 1, results
    assert all("same moment" in e.messages[0] or "already has an open care plan" in e.messages[0] for e in lost)
    assert CarePlan.objects.filter(household=household).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a race needs concurrent writers (PostgreSQL)")
def test_positive_screenings_of_one_household_at_once_open_one_crisis_case(tree, counsellor, helper_user):
    from bangfu.helpers.models import HelperAssignment, HelperMode

    household = make_household(tree.grassroots)
    HelperAssignment.objects.create(household=household, mode=HelperMode.PAIRING, helper=helper_user,
                                    helper_org=helper_user.org, helper_kind="branch_cadre",
                                    starts_on=timezone.localdate())
    member = household.members.get()

    def screen():
        return record_screening(household, member, "phq9", PHQ9_POSITIVE_ITEM_9, timezone.localdate(), counsellor)

    results = race(*[screen for _ in range(CONCURRENT)])
    assert [r for r in results if isinstance(r, Exception)] == []
    assert CrisisCase.objects.filter(household=household).count() == 1
    assert Notification.objects.filter(recipient=helper_user, kind="urgent_contact").count() == 1
