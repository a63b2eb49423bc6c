"""Recording screenings: validation with nothing saved, the crisis case a screening opens, and who is told."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.care.models import CrisisCase, Screening
from bangfu.care.services import record_screening
from bangfu.care.tests.conftest import PHQ9_MILD, PHQ9_POSITIVE_ITEM_9
from bangfu.notifications.models import Notification
from bangfu.registry.tests.factories import make_household

NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
# What the helper's notice must never say (English msgids and the Chinese words they will be translated to).
REASON_WORDS = ("crisis", "mental", "screening", "self-harm", "self harm", "suicid", "phq", "gad", "depress",
                "anxi", "counsell", "危机", "心理", "精神", "筛查", "自伤", "自杀", "抑郁", "焦虑")

pytestmark = pytest.mark.django_db


def nothing_saved():
    return not Screening.objects.exists() and not CrisisCase.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize(("answers", "item"), [
    ([1, 1, 1, 1, 1, 1, 1, 1], "Item 9 "),  # missing item
    ([1, 1, None, 1, 1, 1, 1, 1, 1], "Item 3 "),
    ([1, 1, 1, 1, 7, 1, 1, 1, 1], "Item 5: "),  # out of range
    ([1, 1, 1, 1, 1, 1, 1, -1, 1], "Item 8: "),
])
def test_a_missing_or_out_of_range_item_is_refused_naming_it_and_nothing_is_saved(screen, assignment, answers, item):
    with pytest.raises(ValidationError) as caught:
        screen(answers)
    messages = caught.value.message_dict["answers"]
    assert len(messages) == 1 and messages[0].startswith(item)
    assert nothing_saved()


def test_a_member_of_another_household_and_a_future_date_are_refused(tree, household, counsellor):
    stranger = make_household(tree.grassroots).members.get(is_head=True)
    with pytest.raises(ValidationError) as caught:
        record_screening(household, stranger, "phq9", PHQ9_POSITIVE_ITEM_9,
                         timezone.localdate() + dt.timedelta(days=1), counsellor)
    errors = caught.value.message_dict
    assert errors["member"] == ["Choose a member of this household."]
    assert errors["screened_on"] == ["The date of the screening cannot be in the future."]
    assert nothing_saved()


def test_only_counsellors_record_screenings(household, member, grassroots_cadre):
    with pytest.raises(PermissionDenied):
        record_screening(household, member, "phq9", PHQ9_MILD, timezone.localdate(), grassroots_cadre)
    assert nothing_saved()


def test_a_mild_screening_is_stored_with_its_score_and_band_and_opens_nothing(screen, counsellor, assignment):
    screening = screen(PHQ9_MILD)
    screening.refresh_from_db()
    assert (screening.score, screening.band, screening.self_harm_positive) == (5, "mild", False)
    assert screening.answers == PHQ9_MILD
    assert not CrisisCase.objects.exists() and not Notification.objects.exists()


@time_machine.travel(NOON, tick=False)
def test_item_9_positive_opens_a_crisis_case_due_24_hours_later(screen, tree, counsellor, county_counsellor,
                                                                helper_user, assignment):
    screening = screen(PHQ9_POSITIVE_ITEM_9)
    assert (screening.score, screening.band, screening.self_harm_positive) == (5, "mild", True)
    case = CrisisCase.objects.get()
    assert case.screening == screening and case.reason == "self_harm" and case.state == "open"
    assert case.opened_at == NOON
    assert case.due_at == NOON + dt.timedelta(hours=24)
    assert case.responsible_org == tree.grassroots  # the nearest union with a counsellor
    assert case.escalation_level == 0

    # The counsellors of the responsible union got an urgent notice with the deadline and a link to the case.
    notice = Notification.objects.get(recipient=counsellor)
    assert notice.urgency == "urgent" and notice.kind == "crisis_case"
    assert notice.link == f"/care/crises/{case.pk}/"
    assert "respond by " + timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M") in notice.title
    assert not Notification.objects.filter(recipient=county_counsellor).exists()

    # The responsible helper got an urgent notice that says what is due, linking to the household — never why.
    told = Notification.objects.get(recipient=helper_user)
    assert told.urgency == "urgent" and told.kind == "urgent_contact"
    assert told.link == f"/households/{screening.household_id}/"
    assert screening.household.archive_number in told.title
    text = f"{told.title} {told.body} {told.kind} {told.link} {told.dedupe_key}".lower()
    assert [word for word in REASON_WORDS if word in text] == []
    assert Notification.objects.count() == 2


def test_a_severe_gad7_opens_a_crisis_case_for_the_severe_score(screen, counsellor):
    screening = screen([3, 3, 3, 2, 2, 1, 1], "gad7")
    assert (screening.score, screening.band) == (15, "severe")
    assert CrisisCase.objects.get().reason == "severe_score"


def test_a_severe_phq9_without_item_9_opens_a_crisis_case(screen, counsellor):
    screen([3, 3, 3, 3, 3, 3, 2, 0, 0])
    assert CrisisCase.objects.get().reason == "severe_score"


def test_the_nearest_union_with_a_counsellor_is_responsible(tree, household, member, county_counsellor,
                                                            django_capture_on_commit_callbacks):
    # Nobody counsels at the grassroots union: the county's counsellor is responsible and told.
    with django_capture_on_commit_callbacks(execute=True):
        record_screening(household, member, "phq9", PHQ9_POSITIVE_ITEM_9, timezone.localdate(), county_counsellor)
    case = CrisisCase.objects.get()
    assert case.responsible_org == tree.county
    assert Notification.objects.get(recipient=county_counsellor).urgency == "urgent"


def test_without_any_counsellor_above_the_household_its_own_union_is_responsible(tree, household, member):
    elsewhere = tree.user("farcounsellor", tree.other_grassroots, Role.COUNSELLOR)
    record_screening(household, member, "phq9", PHQ9_POSITIVE_ITEM_9, timezone.localdate(), elsewhere)
    assert CrisisCase.objects.get().responsible_org == tree.grassroots


def told_of_urgent_contact(user):
    return list(Notification.objects.filter(recipient=user, kind="urgent_contact"))


def test_in_the_union_mode_the_case_workers_of_the_union_are_told(screen, household, helper_user, counsellor,
                                                                  grassroots_cadre, outsider, county_reviewer):
    from bangfu.helpers.models import HelperAssignment, HelperMode

    HelperAssignment.objects.create(household=household, mode=HelperMode.UNION, helper_org=household.org,
                                    helper_kind="union", starts_on=dt.date(2026, 1, 1))
    screen(PHQ9_POSITIVE_ITEM_9)
    [told] = told_of_urgent_contact(grassroots_cadre)
    assert told.urgency == "urgent" and household.archive_number in told.title
    text = f"{told.title} {told.body} {told.kind} {told.link} {told.dedupe_key}".lower()
    assert [word for word in REASON_WORDS if word in text] == []
    # Only the household's own union's case workers: not the sibling union's, not the county's reviewer.
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["cadre", "counsellor"]


def test_without_any_helper_the_case_workers_of_the_union_are_told(screen, household, counsellor, grassroots_cadre,
                                                                   outsider):
    screen(PHQ9_POSITIVE_ITEM_9)
    [told] = told_of_urgent_contact(grassroots_cadre)
    assert told.urgency == "urgent" and told.link == f"/households/{household.pk}/"
    text = f"{told.title} {told.body} {told.kind} {told.link} {told.dedupe_key}".lower()
    assert [word for word in REASON_WORDS if word in text] == []
    assert told_of_urgent_contact(outsider) == []


def test_with_a_helper_the_case_workers_are_not_told(screen, assignment, helper_user, grassroots_cadre, counsellor):
    screen(PHQ9_POSITIVE_ITEM_9)
    assert len(told_of_urgent_contact(helper_user)) == 1 and told_of_urgent_contact(grassroots_cadre) == []


def test_a_second_positive_screening_joins_the_active_case(screen, household, counsellor, county_counsellor,
                                                           helper_user, assignment):
    first = screen(PHQ9_POSITIVE_ITEM_9)
    second = screen([3, 3, 3, 3, 3, 3, 2, 0, 0])  # severe
    case = CrisisCase.objects.get()  # one case, still the first screening's
    assert case.screening == first and Screening.objects.filter(pk=second.pk).exists()
    assert len(told_of_urgent_contact(helper_user)) == 1  # the helper is told once
    news = Notification.objects.get(recipient=counsellor, kind="crisis_screening")
    assert news.urgency == "urgent" and news.link == f"/care/crises/{case.pk}/"
    assert "new positive screening" in news.title
    assert Notification.objects.filter(recipient=counsellor, kind="crisis_case").count() == 1
    assert not Notification.objects.filter(recipient=county_counsellor).exists()

    # Acknowledged is still active: the next one joins it too, and the counsellor who took it is told.
    from bangfu.care.services import acknowledge, close

    acknowledge(case, county_counsellor, "Visited.")
    screen(PHQ9_POSITIVE_ITEM_9)
    assert CrisisCase.objects.count() == 1
    assert Notification.objects.filter(recipient=county_counsellor, kind="crisis_screening").count() == 1
    # Once the case is closed, a new positive screening opens a new case (and the helper is told again).
    close(case, county_counsellor, "Safe.")
    screen(PHQ9_POSITIVE_ITEM_9)
    assert CrisisCase.objects.count() == 2 and len(told_of_urgent_contact(helper_user)) == 2


def test_an_ended_assignment_is_not_the_current_helper(screen, assignment, helper_user, counsellor):
    assignment.ends_on = dt.date(2026, 2, 1)
    assignment.save()
    screen(PHQ9_POSITIVE_ITEM_9)
    assert not Notification.objects.filter(recipient=helper_user).exists()


def test_a_rolled_back_screening_tells_nobody(household, member, counsellor, assignment,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            record_screening(household, member, "phq9", PHQ9_POSITIVE_ITEM_9, timezone.localdate(), counsellor)
            raise RuntimeError("the caller failed after the screening")
    assert nothing_saved()
