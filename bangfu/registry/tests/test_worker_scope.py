"""A worker sees only their own household and its parts — never the rest of their union's subtree."""

from __future__ import annotations

from decimal import Decimal

from bangfu.registry.models import Household, HouseholdCause, Member, MonthlyIncome, TimelineEvent, record_event
from bangfu.registry.tests.factories import make_household


def test_worker_sees_own_household_parts_only(tree, worker_user, grassroots_cadre):
    own = make_household(tree.grassroots, name="王自己", monthly_wage=Decimal("800"))
    other = make_household(tree.grassroots, name="李别人", monthly_wage=Decimal("800"))
    own.members.filter(is_head=True).update(account=worker_user)
    record_event(own, "note", actor=grassroots_cadre)
    record_event(other, "note", actor=grassroots_cadre)

    assert list(Household.objects.restrict(worker_user, "view")) == [own]
    assert set(Member.objects.restrict(worker_user, "view").values_list("household", flat=True)) == {own.pk}
    assert set(HouseholdCause.objects.restrict(worker_user, "view").values_list("household", flat=True)) == {own.pk}
    assert set(MonthlyIncome.objects.restrict(worker_user, "view").values_list("household", flat=True)) == {own.pk}
    assert set(TimelineEvent.objects.restrict(worker_user, "view").values_list("household", flat=True)) == {own.pk}
    # A worker changes nothing through the scoping chokepoint.
    assert not Household.objects.restrict(worker_user, "change").exists()
    assert not Member.objects.restrict(worker_user, "change").exists()
    # Staff of the union see both.
    assert Household.objects.restrict(grassroots_cadre, "view").count() == 2


def test_worker_without_a_household_sees_nothing(tree, worker_user):
    make_household(tree.grassroots, name="李别人")
    assert not Household.objects.restrict(worker_user, "view").exists()
    assert not TimelineEvent.objects.restrict(worker_user, "view").exists()
