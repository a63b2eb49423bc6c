"""Two transactions change different parts of the same household's tuple at once (its main cause, its helper):
the deltas must still add up to the household's final tuple. Real threads, so PostgreSQL only (SQLite lets one
writer at a time: there is no race to lose there)."""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from bangfu.helpers.models import HelperAssignment
from bangfu.registry.models import HouseholdCause
from bangfu.registry.tests.factories import make_household
from bangfu.stats import rollup
from bangfu.stats.tests.test_rollup import assert_exact
from tests.concurrency import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a race needs concurrent writers (PostgreSQL)"),
]


def test_concurrent_changes_to_one_household_keep_the_counts_exact(tree):
    household = make_household(tree.grassroots, main_cause="3")

    def change_cause():
        with transaction.atomic():
            HouseholdCause.objects.filter(household_id=household.pk, is_main=True).update(code="8")
            time.sleep(1.0)  # still uncommitted while the other writer's trigger runs

    def assign_helper():
        time.sleep(0.3)
        with transaction.atomic():
            HelperAssignment.objects.create(household_id=household.pk, mode="union", helper_org=tree.grassroots,
                                            helper_kind="union", starts_on=timezone.localdate())

    results = race(change_cause, assign_helper)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert_exact(tree)
    rollup.compact()
    assert_exact(tree)


def test_a_visit_recorded_while_a_helper_is_assigned_keeps_the_overdue_figures_exact(tree):
    """The helper's assignment (due from its start, long ago) and a visit (due from today) are written at once:
    whichever trigger runs second must see the other's row, or the household stays counted as overdue."""
    from bangfu.helpers.models import Visit
    from bangfu.stats.tests.test_due import assert_exact as assert_due_exact

    household = make_household(tree.grassroots)
    today = timezone.localdate()

    def assign():
        with transaction.atomic():
            HelperAssignment.objects.create(household_id=household.pk, mode="union", helper_org=tree.grassroots,
                                            helper_kind="union", starts_on=today.replace(year=today.year - 1))
            time.sleep(1.0)

    def visit():
        time.sleep(0.3)
        with transaction.atomic():
            Visit.objects.create(household_id=household.pk, visited_on=today, visitors="王", findings="好")

    results = race(assign, visit)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert_due_exact(tree)


def test_a_frequency_set_while_a_helper_is_assigned_applies_to_that_household(tree):
    """A union sets a visit frequency while, in another transaction, a household of its subtree gets a helper of
    that kind: the frequency's trigger must wait for that transaction and recompute the household with it."""
    from bangfu.helpers.models import VisitFrequency
    from bangfu.stats.tests.test_due import assert_exact as assert_due_exact

    household = make_household(tree.grassroots)
    today = timezone.localdate()

    def assign():
        with transaction.atomic():
            HelperAssignment.objects.create(household_id=household.pk, mode="union", helper_org=tree.grassroots,
                                            helper_kind="union", starts_on=today.replace(day=1))
            time.sleep(1.0)  # due in 90 days by the default, while the county is setting 3

    def set_frequency():
        time.sleep(0.3)
        VisitFrequency.objects.create(org=tree.county, helper_kind="union", label="统一", interval_days=3)

    results = race(assign, set_frequency)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert_due_exact(tree)
