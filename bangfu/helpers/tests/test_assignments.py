"""Assigning, handing over and ending responsible helpers: the rules, the history, the notices, the timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from bangfu.accounts.roles import Role
from bangfu.helpers.models import HelperAssignment, HelperMode
from bangfu.helpers.services import assign_helper, end_assignment, hand_over
from bangfu.helpers.tests.conftest import household_since
from bangfu.notifications.models import Notification
from bangfu.registry.models import State, TimelineEvent

pytestmark = pytest.mark.django_db


def _assign(household, helper, actor, on, kind="branch_cadre", mode=HelperMode.PAIRING):
    return assign_helper(household, mode=mode, helper=helper, helper_kind=kind, starts_on=on, actor=actor)


def test_assign_saves_the_row_notifies_the_helper_and_writes_the_timeline(household, helper, grassroots_cadre,
                                                                          today):
    assignment = _assign(household, helper, grassroots_cadre, today - dt.timedelta(days=3))
    assert assignment.is_current and assignment.helper_org == helper.org
    notice = Notification.objects.get(recipient=helper)
    assert notice.kind == "helper_assigned" and household.archive_number in notice.title
    assert notice.link == reverse("registry:detail", args=[household.pk])
    event = TimelineEvent.objects.get(household=household, kind="helper_assigned")
    assert event.detail["helper"] == str(helper) and event.detail["mode"] == "pairing"


def test_a_helper_of_an_unrelated_union_is_refused_and_nothing_is_saved(household, sibling_helper, county_reviewer,
                                                                       today):
    with pytest.raises(ValidationError) as refused:
        _assign(household, sibling_helper, county_reviewer, today)
    message = refused.value.message_dict["helper"][0]
    assert "天河乙公司工会" in message and "which is not this household's union or a union above it" in message
    assert not HelperAssignment.objects.exists()
    assert not TimelineEvent.objects.filter(kind="helper_assigned").exists()
    assert not Notification.objects.exists()


def test_helpers_of_the_lineage_are_accepted_and_of_the_subtree_refused(tree, county_reviewer, today):
    county_household = household_since(tree.county, 100)
    below = tree.user("below", tree.grassroots, Role.HELPER)  # inside the household's subtree: locked out there
    above = tree.user("above", tree.city, Role.LEADERSHIP)  # above it
    with pytest.raises(ValidationError) as refused:
        _assign(county_household, below, county_reviewer, today)
    assert "which is not this household's union or a union above it" in refused.value.message_dict["helper"][0]
    assert _assign(county_household, above, county_reviewer, today).helper_org == tree.city
    other = household_since(tree.grassroots, 100)
    assert _assign(other, above, county_reviewer, today).helper_org == tree.city


@pytest.mark.parametrize("roles", [(), (Role.FUND_MANAGER,)])
def test_a_person_without_a_helping_role_is_refused(tree, household, grassroots_cadre, today, roles):
    person = tree.user("nohelp", tree.grassroots, *roles)
    with pytest.raises(ValidationError) as refused:
        _assign(household, person, grassroots_cadre, today)
    assert "holds no role that can be a responsible helper" in refused.value.message_dict["helper"][0]


def test_dates_kinds_and_states_are_checked(tree, household, helper, grassroots_cadre, today):
    cases = [
        ({"starts_on": today + dt.timedelta(days=1)}, "starts_on", "cannot be in the future"),
        ({"starts_on": today - dt.timedelta(days=401)}, "starts_on", "exists only since"),
        ({"helper_kind": "astronaut"}, "helper_kind", "Choose a kind of helper"),
        ({"mode": "pairing", "helper": None}, "helper", "Choose the responsible helper"),
        ({"mode": "union", "helper": None, "helper_org": tree.sibling}, "helper_org", "neither this household's"),
        ({"mode": "union", "helper": helper, "helper_org": tree.county}, "helper", "leave the person empty"),
    ]
    for change, field, text in cases:
        arguments = {"mode": "pairing", "helper": helper, "helper_org": None, "helper_kind": "branch_cadre",
                     "starts_on": today, **change}
        with pytest.raises(ValidationError) as refused:
            assign_helper(household, actor=grassroots_cadre, **arguments)
        assert text in " ".join(refused.value.message_dict[field]), (change, refused.value.message_dict)
    exited = household_since(tree.grassroots, 50, state=State.EXITED)
    with pytest.raises(ValidationError) as refused:
        _assign(exited, helper, grassroots_cadre, today)
    assert "Only active archives" in refused.value.messages[0]
    assert not HelperAssignment.objects.exists()


def test_the_application_date_counts_when_earlier_than_the_archive(tree, helper, grassroots_cadre, today):
    household = household_since(tree.grassroots, 10, applied_on=today - dt.timedelta(days=60))
    assert _assign(household, helper, grassroots_cadre, today - dt.timedelta(days=60)).pk


def test_the_union_as_a_whole_can_be_responsible(tree, household, grassroots_cadre, today):
    assignment = assign_helper(household, mode=HelperMode.UNION, helper_org=tree.county, helper_kind="union",
                               starts_on=today, actor=grassroots_cadre)
    assert assignment.helper is None and assignment.responsible == tree.county.name
    assert not Notification.objects.exists()  # nobody in person to notify


def test_a_second_assignment_is_refused_and_the_index_holds(household, helper, helper_b, grassroots_cadre, today):
    _assign(household, helper, grassroots_cadre, today)
    with pytest.raises(ValidationError) as refused:
        _assign(household, helper_b, grassroots_cadre, today)
    assert "already has a responsible helper" in refused.value.messages[0]
    with pytest.raises(IntegrityError), transaction.atomic():  # the database's own guard behind the check
        HelperAssignment.objects.create(household=household, mode="pairing", helper=helper_b,
                                        helper_org=helper_b.org, helper_kind="branch_cadre", starts_on=today)
    assert HelperAssignment.objects.current().filter(household=household).count() == 1


def test_hand_over_keeps_history(household, helper, helper_b, grassroots_cadre, today):
    first = _assign(household, helper, grassroots_cadre, today - dt.timedelta(days=100))
    second = hand_over(first, mode=HelperMode.ACCOUNTABLE, to_helper=helper_b, helper_kind="workshop_cadre",
                       on=today - dt.timedelta(days=10), reason="调岗", actor=grassroots_cadre)
    first.refresh_from_db()
    assert first.ends_on == today - dt.timedelta(days=10) and first.end_reason == "调岗"
    assert first.handed_over_to == second and second.is_current and second.starts_on == first.ends_on
    assert list(HelperAssignment.objects.filter(household=household).order_by("starts_on")) == [first, second]
    notice = Notification.objects.get(recipient=helper_b)
    assert notice.kind == "helper_assigned" and household.archive_number in notice.title
    event = TimelineEvent.objects.get(household=household, kind="helper_handed_over")
    assert event.reason == "调岗"
    assert event.detail["previous"] == str(helper) and event.detail["helper"] == str(helper_b)


def test_hand_over_refusals_save_nothing(household, helper, helper_b, sibling_helper, county_reviewer, today):
    first = _assign(household, helper, county_reviewer, today - dt.timedelta(days=30))
    bad = [
        ({"to_helper": sibling_helper}, "helper", "not this household's union or a union above it"),
        ({"on": today - dt.timedelta(days=31)}, "on", "cannot be before the current helper's start"),
        ({"on": today + dt.timedelta(days=1)}, "on", "cannot be in the future"),
        ({"reason": "  "}, "reason", "Give the reason"),
        ({"to_helper": helper, "mode": "pairing", "helper_kind": "branch_cadre"}, "helper", "already has this helper"),
    ]
    for change, field, text in bad:
        arguments = {"mode": "accountable", "to_helper": helper_b, "helper_kind": "branch_cadre", "on": today,
                     "reason": "换人", **change}
        with pytest.raises(ValidationError) as refused:
            hand_over(first, actor=county_reviewer, **arguments)
        assert text in " ".join(refused.value.message_dict[field]), change
    first.refresh_from_db()
    assert first.is_current and HelperAssignment.objects.count() == 1
    assert not TimelineEvent.objects.filter(kind="helper_handed_over").exists()


def test_an_ended_row_cannot_be_handed_over_or_ended_again(household, helper, helper_b, grassroots_cadre, today):
    first = _assign(household, helper, grassroots_cadre, today - dt.timedelta(days=5))
    end_assignment(first, on=today, reason="调离", actor=grassroots_cadre)
    first.refresh_from_db()
    assert first.ends_on == today and first.end_reason == "调离"
    assert TimelineEvent.objects.filter(household=household, kind="helper_ended").exists()
    with pytest.raises(ValidationError) as refused:
        hand_over(first, mode="pairing", to_helper=helper_b, helper_kind="branch_cadre", on=today, reason="x",
                  actor=grassroots_cadre)
    assert "already ended" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        end_assignment(first, on=today, reason="again", actor=grassroots_cadre)


def test_a_new_period_cannot_start_before_the_previous_one_ended(household, helper, helper_b, grassroots_cadre,
                                                                 today):
    first = _assign(household, helper, grassroots_cadre, today - dt.timedelta(days=50))
    end_assignment(first, on=today - dt.timedelta(days=20), reason="调离", actor=grassroots_cadre)
    with pytest.raises(ValidationError) as refused:
        _assign(household, helper_b, grassroots_cadre, today - dt.timedelta(days=30))
    assert "cannot start before that" in refused.value.message_dict["starts_on"][0]
    assert _assign(household, helper_b, grassroots_cadre, today - dt.timedelta(days=20)).is_current


def test_exiting_the_archive_ends_its_helper_on_the_day_of_the_exit(household, helper, grassroots_cadre, today):
    from bangfu.helpers.queries import households_without_helper
    from bangfu.registry.services import lifecycle as registry_lifecycle

    row = _assign(household, helper, grassroots_cadre, today - dt.timedelta(days=3))
    registry_lifecycle.household_exit(household, actor=grassroots_cadre, reason="out_of_hardship")
    row.refresh_from_db()
    assert row.ends_on == today and "closed" in row.end_reason
    assert not HelperAssignment.objects.current().filter(household=household).exists()
    assert TimelineEvent.objects.filter(household=household, kind="helper_ended").exists()
    # An exited archive is not "without a helper" either: it needs none.
    assert not households_without_helper(grassroots_cadre).filter(pk=household.pk).exists()
