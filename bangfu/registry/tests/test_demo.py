"""Demo households (`seed_demo`, bangfu.registry.demo): every state, every category, valid unique IDs, deterministic."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from bangfu.core.crypto import keyed_hash
from bangfu.core.identity import DocumentType, parse_identity
from bangfu.core.masking import mask_id_number, mask_name
from bangfu.orgs import demo as orgs_demo
from bangfu.registry.demo import seed_households
from bangfu.registry.models import (
    OPEN_STATES,
    Category,
    Household,
    Member,
    MonthlyIncome,
    PublicNotice,
    State,
    TimelineEvent,
)
from bangfu.registry.search import initials
from tests.shared_data import shared_data

AS_OF = dt.date(2026, 3, 15)
COUNT = 600

pytestmark = pytest.mark.django_db


def _seed():
    orgs_demo.seed_demo(3)
    return seed_households(3, COUNT, as_of=AS_OF)


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker, _media_dir):
    """One seeding for the class, rolled back after its last test (tests/shared_data.py): its tests only read."""
    with shared_data(django_db_blocker, _media_dir, _seed) as result:
        yield result


class TestTheDemo:
    """The demo archives of seed 3, seeded once for these tests."""

    def test_every_state_and_every_category_of_both_standards(self, demo):
        assert Household.objects.count() == COUNT == demo["households"]
        states = set(Household.objects.values_list("state", flat=True))
        assert states == set(State.values)
        categories = set(Household.objects.values_list("category", flat=True))
        assert set(Category.values) <= categories  # A: dibao, marginal, accident; B: deep, relative, accident; none
        assert Household.objects.filter(scheme="B").exclude(division__code__startswith="5107").count() == 0
        assert Household.objects.filter(is_temporary_relief=True).exists()
        assert Household.objects.filter(transfers__isnull=False).exists()
        assert Household.objects.filter(appeals__isnull=False).exists()

    def test_identity_numbers_are_valid_unique_and_consistent(self, demo):
        members = list(Member.objects.select_related("household"))
        numbers = [m.identity_number for m in members]
        assert len(numbers) == len(set(numbers))
        for member in members:
            check = parse_identity(DocumentType.RESIDENT_ID, member.identity_number, today=AS_OF)
            assert check.ok, (member.identity_number, check.errors)
            assert check.area_code == member.household.division_id  # residence division of the union
            assert check.birth_date == member.birth_date and check.sex == member.sex
            assert member.identity_hash == keyed_hash(member.identity_number)
            assert member.identity_masked == member.identity_number[:6] + "********" + member.identity_number[-4:]
            assert member.identity_masked == mask_id_number(member.identity_number)
            assert member.name_initials == initials(member.name)
            expected_open = member.identity_hash if member.household.state in OPEN_STATES else None
            assert member.open_identity_hash == expected_open

    def test_denormalised_head_fields_and_household_size(self, demo):
        for household in Household.objects.prefetch_related("members"):
            members = list(household.members.all())
            heads = [m for m in members if m.is_head]
            assert len(heads) == 1
            assert household.household_size == len(members)
            assert 1 <= len(members) <= 5
            assert household.head_name_masked == mask_name(heads[0].name)
            assert household.head_name_initials == initials(heads[0].name)
            causes = list(household.causes.all())
            assert sum(c.is_main for c in causes) == 1 and sum(not c.is_main for c in causes) <= 3

    def test_incomes_history_and_notices(self, demo):
        # 12 months of incomes ending with the month of AS_OF.
        months = set(MonthlyIncome.objects.values_list("month", flat=True))
        assert min(months) == dt.date(2025, 4, 1) and max(months) == dt.date(2026, 3, 1)
        assert not MonthlyIncome.objects.filter(amount__lt=0).exists()
        # Every archive has a history; notices show the masked name and the category the archive was given.
        assert TimelineEvent.objects.values("household").distinct().count() == COUNT
        for notice in PublicNotice.objects.select_related("household"):
            assert notice.name_masked == notice.household.head_name_masked
            assert notice.category == notice.household.category
        assert PublicNotice.objects.filter(household__state=State.PUBLIC_NOTICE, closed_on__isnull=True).exists()


def _snapshot():
    return (
        list(Household.objects.order_by("archive_number").values_list(
            "archive_number", "state", "category", "household_size", "head_name_masked", "applied_on")),
        sorted(Member.objects.values_list("identity_hash", "name", "birth_date")),
        sorted(MonthlyIncome.objects.values_list("member__identity_hash", "month", "income_type", "amount")),
    )


def test_deterministic_for_a_seed():
    snapshots = []
    for seed in (4, 4, 5):
        with transaction.atomic():
            orgs_demo.seed_demo(seed)
            seed_households(seed, 150, as_of=AS_OF, explain_limit=0)
            snapshots.append(_snapshot())
            transaction.set_rollback(True)
    assert snapshots[0] == snapshots[1]
    assert snapshots[0] != snapshots[2]
