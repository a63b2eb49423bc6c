"""Escalation of unacknowledged crisis cases, with the clock controlled (time_machine)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from bangfu.accounts.roles import Role
from bangfu.audit.models import Job
from bangfu.care.models import CrisisCase
from bangfu.care.services import acknowledge, close, escalate_overdue
from bangfu.care.tests.conftest import PHQ9_POSITIVE_ITEM_9
from bangfu.notifications.models import Notification

pytestmark = pytest.mark.django_db
OPENED = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def case(screen, counsellor):
    with time_machine.travel(OPENED, tick=False):
        screen(PHQ9_POSITIVE_ITEM_9)
    return CrisisCase.objects.get()


def escalate(at, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return escalate_overdue()


def notices(user):
    return list(Notification.objects.filter(recipient=user).order_by("id"))


def test_before_the_deadline_nothing_happens(case, county_counsellor, django_capture_on_commit_callbacks):
    assert escalate(OPENED + 24 * HOUR - dt.timedelta(minutes=1), django_capture_on_commit_callbacks) == {
        "escalated": 0, "cases": []}
    case.refresh_from_db()
    assert (case.responsible_org_id, case.escalation_level, case.escalated_at) == (case.household.org_id, 0, None)
    assert notices(county_counsellor) == []
    assert not Job.objects.filter(kind="care_crisis_escalation").exists()


def test_after_the_deadline_the_case_moves_one_level_up_once_per_deadline(
        tree, case, counsellor, county_counsellor, django_capture_on_commit_callbacks):
    city_counsellor = tree.user("citycounsellor", tree.city, Role.COUNSELLOR)
    late = OPENED + 24 * HOUR + dt.timedelta(minutes=5)
    assert escalate(late, django_capture_on_commit_callbacks) == {"escalated": 1, "cases": [case.pk]}
    case.refresh_from_db()
    assert case.responsible_org == tree.county
    assert case.escalation_level == 1
    assert case.escalated_at == late
    assert case.due_at == late + 24 * HOUR
    assert case.state == "open"
    # The county's counsellors are told (urgent, new deadline); the grassroots counsellors hear where it went.
    [told] = notices(county_counsellor)
    assert told.urgency == "urgent" and told.kind == "crisis_escalated" and told.link == f"/care/crises/{case.pk}/"
    assert "escalated to you" in told.title
    previous = notices(counsellor)[-1]
    assert previous.kind == "crisis_escalated" and tree.county.name in previous.title
    assert previous.urgency == "urgent"  # told again, urgently: they can still acknowledge it
    assert notices(city_counsellor) == []
    job = Job.objects.get(kind="care_crisis_escalation")
    assert (job.status, job.rows_updated, job.parameters["cases"]) == ("done", 1, [case.pk])

    # Running again (the next five-minute run, or a retry at the same moment) does not escalate twice.
    for again in (late, late + dt.timedelta(minutes=5), late + 23 * HOUR):
        assert escalate(again, django_capture_on_commit_callbacks)["escalated"] == 0
    case.refresh_from_db()
    assert (case.responsible_org, case.escalation_level) == (tree.county, 1)
    assert len(notices(county_counsellor)) == 1

    # Past the new deadline it moves on to the city (the next union up with a counsellor).
    assert escalate(late + 24 * HOUR + HOUR, django_capture_on_commit_callbacks)["escalated"] == 1
    case.refresh_from_db()
    assert (case.responsible_org, case.escalation_level) == (tree.city, 2)
    assert len(notices(city_counsellor)) == 1


def test_levels_without_counsellors_are_skipped_and_the_root_keeps_the_case(
        tree, case, django_capture_on_commit_callbacks):
    national_counsellor = tree.user("natcounsellor", tree.national, Role.COUNSELLOR)
    at = OPENED + 25 * HOUR
    escalate(at, django_capture_on_commit_callbacks)
    case.refresh_from_db()
    assert (case.responsible_org, case.escalation_level) == (tree.national, 1)  # county, city, province: nobody
    at += 25 * HOUR
    escalate(at, django_capture_on_commit_callbacks)
    case.refresh_from_db()
    assert (case.responsible_org, case.escalation_level, case.due_at) == (tree.national, 2, at + 24 * HOUR)
    titles = [n.title for n in notices(national_counsellor)]
    assert len(titles) == 2 and "still not acknowledged" in titles[1]


def test_without_counsellors_above_the_case_stays_where_it_is(tree, counsellor, county_counsellor):
    from bangfu.care.services.crisis import escalation_target

    tree.user("leader", tree.city, Role.LEADERSHIP)  # leadership above is no target: it does not counsel
    assert escalation_target(tree.grassroots) == tree.county
    assert escalation_target(tree.county) == tree.county  # nobody above counsels: it stays
    assert escalation_target(tree.city) == tree.city
    assert escalation_target(tree.national) == tree.national


def test_with_a_counsellor_only_at_the_grassroots_every_escalation_tells_someone(
        tree, case, counsellor, django_capture_on_commit_callbacks):
    """The case stays with the only counsellors there are; each missed deadline reminds them, urgently (it used
    to go to the county and the city, where nobody was told anything)."""
    leader = tree.user("countyleader", tree.county, Role.LEADERSHIP)
    at = OPENED
    for level in (1, 2, 3):
        at += 25 * HOUR
        assert escalate(at, django_capture_on_commit_callbacks)["escalated"] == 1
        case.refresh_from_db()
        assert (case.responsible_org, case.escalation_level, case.due_at) == (tree.grassroots, level, at + 24 * HOUR)
        reminder = Notification.objects.get(dedupe_key=f"care-crisis-{case.pk}-esc-{level}")
        assert (reminder.recipient, reminder.urgency) == (counsellor, "urgent")
        assert "still not acknowledged" in reminder.title
    assert notices(leader) == []  # a counsellor was told each time


def test_no_counsellor_anywhere_tells_the_leadership_at_opening_and_at_each_escalation(
        tree, household, member, caplog, django_capture_on_commit_callbacks):
    from bangfu.care.services import record_screening
    from bangfu.care.tests.test_screenings import REASON_WORDS

    elsewhere = tree.user("farcounsellor", tree.other_grassroots, Role.COUNSELLOR)
    county_leader = tree.user("countyleader", tree.county, Role.LEADERSHIP)
    county_reviewer = tree.user("countyreviewer", tree.county, Role.REVIEWER)
    city_leader = tree.user("cityleader", tree.city, Role.LEADERSHIP)  # not the nearest: not told
    with time_machine.travel(OPENED, tick=False), django_capture_on_commit_callbacks(execute=True):
        record_screening(household, member, "phq9", PHQ9_POSITIVE_ITEM_9, OPENED.date(), elsewhere)
    case = CrisisCase.objects.get()
    assert case.responsible_org == tree.grassroots
    for person in (county_leader, county_reviewer):
        [told] = notices(person)
        assert told.urgency == "urgent" and told.kind == "care_needs_counsellor"
        assert told.title == f"An urgent care case of household {household.archive_number} needs a counsellor"
        assert told.link == f"/households/{household.pk}/"
        text = f"{told.title} {told.body} {told.link} {told.dedupe_key}".lower()
        assert [word for word in REASON_WORDS if word in text and word != "counsell"] == []
    assert notices(city_leader) == [] and notices(elsewhere) == []
    assert any(r.levelname == "WARNING" and "no active counsellor" in r.getMessage() for r in caplog.records)

    escalate(OPENED + 25 * HOUR, django_capture_on_commit_callbacks)
    case.refresh_from_db()
    assert (case.responsible_org, case.escalation_level) == (tree.grassroots, 1)  # nowhere to go: it stays
    assert [n.kind for n in notices(county_leader)] == ["care_needs_counsellor"] * 2
    assert notices(city_leader) == []


def test_acknowledged_cases_never_escalate(case, counsellor, county_counsellor, django_capture_on_commit_callbacks):
    with time_machine.travel(OPENED + 2 * HOUR, tick=False):
        acknowledge(case, counsellor, "Phoned the family; home visit this afternoon.")
    assert escalate(OPENED + 30 * 24 * HOUR, django_capture_on_commit_callbacks)["escalated"] == 0
    case.refresh_from_db()
    assert (case.state, case.escalation_level, case.acknowledged_by) == ("acknowledged", 0, counsellor)
    assert case.acknowledged_at == OPENED + 2 * HOUR
    assert notices(county_counsellor) == []


def test_an_overdue_case_can_still_be_acknowledged_after_escalation(tree, case, counsellor, county_counsellor,
                                                                    django_capture_on_commit_callbacks):
    escalate(OPENED + 25 * HOUR, django_capture_on_commit_callbacks)
    acknowledge(case, counsellor, "Visited.")  # the grassroots counsellor still sees the household
    case.refresh_from_db()
    assert case.state == "acknowledged" and case.responsible_org == tree.county
    assert escalate(OPENED + 60 * HOUR, django_capture_on_commit_callbacks)["escalated"] == 0


def test_acknowledge_and_close_refuse_bad_input_and_other_people(case, counsellor, sibling_counsellor,
                                                                 grassroots_cadre):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(ValidationError) as caught:
        acknowledge(case, counsellor, "  ")
    assert "action_taken" in caught.value.message_dict
    for stranger in (sibling_counsellor, grassroots_cadre):
        with pytest.raises(PermissionDenied):
            acknowledge(case, stranger, "I should not")
    case.refresh_from_db()
    assert case.state == "open" and case.acknowledged_by is None
    with pytest.raises(ValidationError):
        close(case, counsellor, "")
    close(case, counsellor, "Family supported; referred to the hospital.")
    case.refresh_from_db()
    assert case.state == "closed" and case.acknowledged_by == counsellor and case.closed_by == counsellor
    with pytest.raises(ValidationError):
        acknowledge(case, counsellor, "again")


def test_the_scheduled_task_is_registered_and_runs_the_check(case, county_counsellor, settings, tree):
    from bangfu.care.tasks import escalate_crisis_cases
    from bangfu.core.scheduler import SCHEDULE, validate_schedule

    assert ("*/5 * * * *", "bangfu.care.tasks.escalate_crisis_cases") in SCHEDULE
    validate_schedule()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with time_machine.travel(OPENED + 25 * HOUR, tick=False):
        result = escalate_crisis_cases.enqueue()
    assert result.return_value == {"escalated": 1, "cases": [case.pk]}
    case.refresh_from_db()
    assert (case.responsible_org, case.escalation_level) == (tree.county, 1)
    assert Job.objects.get(kind="care_crisis_escalation").source == "task"
