"""One current helper per household under concurrency: the loser of a race gets a clear message, never an
IntegrityError. The real race needs concurrent writers (PostgreSQL); the guard behind the check runs on both."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation

from bangfu.accounts.roles import Role
from bangfu.helpers.models import HelperAssignment
from bangfu.helpers.services import assign_helper
from bangfu.helpers.services.assignments import _save_new
from bangfu.helpers.tests.conftest import household_since
from tests.concurrency import race

CONCURRENT = 6


@pytest.mark.django_db
def test_the_unique_index_race_answers_a_clear_message(household, helper, helper_b, today):
    """The write function's last step: an IntegrityError of the partial unique index becomes a ValidationError
    (the check before it is what a committed competitor would have tripped)."""
    HelperAssignment.objects.create(household=household, mode="pairing", helper=helper, helper_org=helper.org,
                                    helper_kind="branch_cadre", starts_on=today)
    loser = HelperAssignment(household=household, mode="pairing", helper=helper_b, helper_org=helper_b.org,
                             helper_kind="branch_cadre", starts_on=today)
    with transaction.atomic(), pytest.raises(ValidationError) as refused:
        _save_new(loser)
    assert "at the same moment" in refused.value.messages[0]
    assert HelperAssignment.objects.filter(household=household).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a race needs concurrent writers (PostgreSQL)")
def test_concurrent_assignments_leave_exactly_one_current_helper(tree, grassroots_cadre):
    household = household_since(tree.grassroots, 100)
    people = [tree.user(f"racer{i}", tree.grassroots, Role.HELPER) for i in range(CONCURRENT)]
    today = timezone.localdate()

    def assign(person):
        def call():
            with translation.override("en"):
                return assign_helper(household, mode="pairing", helper=person, helper_kind="branch_cadre",
                                     starts_on=today, actor=grassroots_cadre)
        return call

    results = race(*[assign(p) for p in people])
    won = [r for r in results if isinstance(r, HelperAssignment)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(lost) == CONCURRENT - 1, results
    assert all("already has a responsible helper" in e.messages[0] or "same moment" in e.messages[0] for e in lost)
    assert HelperAssignment.objects.current().filter(household=household).count() == 1
