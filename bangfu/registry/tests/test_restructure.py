"""Transfer, change of head, split, merge and re-entry keep the history (DOMAIN.md §3)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import translation

from bangfu.registry.models import Household, Member, MonthlyIncome, State, TimelineEvent, Transfer
from bangfu.registry.services import lifecycle as svc
from bangfu.registry.services import restructure
from bangfu.registry.tests.factories import make_household


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read the services' messages in English (the UI default is Chinese)."""
    with translation.override("en"):
        yield


def test_transfer_needs_a_visible_union_and_both_unions_see_it(tree, county_reviewer, grassroots_cadre, outsider):
    household = make_household(tree.grassroots, state=State.ACTIVE)
    with pytest.raises(ValidationError) as error:  # the grassroots cadre cannot see the sibling union
        restructure.household_transfer(household, actor=grassroots_cadre, to_org=tree.sibling, reason="解散")
    assert "to_org" in error.value.message_dict
    with pytest.raises(ValidationError):
        restructure.household_transfer(household, actor=county_reviewer, to_org=tree.other_grassroots, reason="x")
    restructure.household_transfer(household, actor=county_reviewer, to_org=tree.sibling, reason="企业工会解散")
    household.refresh_from_db()
    assert household.org == tree.sibling
    event = TimelineEvent.objects.get(household=household, kind="transfer")
    assert event.detail["from_org"] == tree.grassroots.name and event.reason == "企业工会解散"
    # The receiving union now holds the archive and its whole history; the giving union sees the transfer.
    assert Household.objects.restrict(outsider, "view").filter(pk=household.pk).exists()
    assert TimelineEvent.objects.restrict(outsider, "view").filter(household=household).count() >= 1
    assert Transfer.objects.restrict(grassroots_cadre, "view").filter(household=household).exists()
    with pytest.raises(Http404):
        svc.household_review(household, actor=grassroots_cadre, reviewed_on=household.created_at.date(), note="x")


def test_change_of_head(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.ACTIVE, size=3)
    old = household.members.get(is_head=True)
    new = household.members.filter(is_head=False).first()
    with pytest.raises(ValidationError) as error:
        restructure.household_change_head(household, actor=grassroots_cadre, new_head=old, reason="x")
    assert "new_head" in error.value.message_dict
    restructure.household_change_head(household, actor=grassroots_cadre, new_head=new, reason="户主去世",
                                      old_head_relation="parent")
    old.refresh_from_db()
    new.refresh_from_db()
    household.refresh_from_db()
    assert new.is_head and new.relation == "self" and not old.is_head and old.relation == "parent"
    assert household.head_name_masked == new.name_masked
    assert TimelineEvent.objects.filter(household=household, kind="change_head").exists()


def test_split_moves_members_and_incomes_into_a_linked_archive(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.ACTIVE, size=3, monthly_wage=Decimal("800"))
    leaving = list(household.members.filter(is_head=False))
    MonthlyIncome.objects.create(household=household, member=leaving[0], month="2026-01-01", income_type="wage",
                                 amount=Decimal("500"))
    with pytest.raises(ValidationError) as error:
        restructure.household_split(household, actor=grassroots_cadre, members=[household.members.get(is_head=True)],
                                    new_head=None, reason="分户")
    assert "members" in error.value.message_dict
    new = restructure.household_split(household, actor=grassroots_cadre, members=leaving, new_head=leaving[0],
                                      reason="子女成家分户")
    household.refresh_from_db()
    assert new.split_from == household and new.state == State.DRAFT
    assert household.household_size == 1 and new.household_size == 2
    assert set(new.members.values_list("pk", flat=True)) == {m.pk for m in leaving}
    assert new.members.get(is_head=True).pk == leaving[0].pk
    assert MonthlyIncome.objects.filter(household=new, amount=Decimal("500")).count() == 1
    assert new.causes.filter(is_main=True).exists()
    assert TimelineEvent.objects.filter(household=household, kind="split").exists()
    assert TimelineEvent.objects.filter(household=new, kind="split_created").exists()


def test_merge_moves_members_and_closes_the_other(tree, grassroots_cadre, outsider):
    household = make_household(tree.grassroots, state=State.ACTIVE)
    other = make_household(tree.grassroots, state=State.ACTIVE, size=2, name="李四")
    foreign = make_household(tree.sibling, state=State.ACTIVE)
    with pytest.raises(ValidationError):
        restructure.household_merge(household, actor=grassroots_cadre, other=foreign, reason="x")
    restructure.household_merge(household, actor=grassroots_cadre, other=other, reason="合户")
    other.refresh_from_db()
    household.refresh_from_db()
    assert other.state == State.MERGED and other.merged_into == household
    assert household.household_size == 3 and household.members.filter(is_head=True).count() == 1
    assert not other.members.exists()
    # Moved people stay "open" exactly once.
    assert Member.objects.filter(household=household).exclude(open_identity_hash=None).count() == 3
    assert TimelineEvent.objects.filter(household=other, kind="merged", to_state="merged").exists()


def test_merge_refuses_a_person_in_both(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.ACTIVE)
    other = make_household(tree.grassroots, state=State.EXITED)
    Member.objects.filter(household=other).update(identity_hash=household.members.get().identity_hash)
    with pytest.raises(ValidationError) as error:
        restructure.household_merge(household, actor=grassroots_cadre, other=other, reason="x")
    assert "other" in error.value.message_dict


def test_reentry_links_the_earlier_archive_and_respects_one_open_archive(tree, grassroots_cadre):
    old = make_household(tree.grassroots, state=State.EXITED, size=2)
    new = restructure.household_reenter(old, actor=grassroots_cadre, reason="再次困难")
    assert new.previous_archive == old and new.state == State.DRAFT
    assert new.members.count() == 2
    old_ids = set(old.members.values_list("identity_hash", flat=True))
    assert set(new.members.values_list("open_identity_hash", flat=True)) == old_ids
    assert new.members.get(is_head=True).identity_number == old.members.get(is_head=True).identity_number
    # A second re-entry of the same people while the first is open is refused, nothing is created.
    count = Household.objects.count()
    with pytest.raises(ValidationError) as error:
        restructure.household_reenter(old, actor=grassroots_cadre, reason="again")
    assert "identity_number" in error.value.message_dict
    assert Household.objects.count() == count


def test_reentry_only_from_a_closed_archive(tree, grassroots_cadre):
    active = make_household(tree.grassroots, state=State.ACTIVE)
    with pytest.raises(ValidationError, match="not possible while"):
        restructure.household_reenter(active, actor=grassroots_cadre, reason="x")
