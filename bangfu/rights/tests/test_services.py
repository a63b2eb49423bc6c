"""The write functions of rights cases: what they store and write on the timeline, and every bad input refused
with a clear message and nothing saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.audit.models import ChangeLogEntry
from bangfu.notifications.models import Notification
from bangfu.registry.models import TimelineEvent
from bangfu.registry.tests.factories import make_household
from bangfu.rights.models import RightsCase
from bangfu.rights.services import close_case, open_case, reopen_case, update_case

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _open(actor, household, **overrides):
    fields = {"kind": "legal_aid", "topic": "wages", "summary": "Three months of wages unpaid",
              "opened_on": dt.date(2025, 6, 1), "counterpart": "某某制造有限公司"}
    return open_case(actor, household, **{**fields, **overrides})


def _refused(call, field):
    with pytest.raises(ValidationError) as caught:
        call()
    messages = caught.value.message_dict
    assert field in messages, messages
    return messages[field][0]


def test_open_stores_the_case_writes_the_timeline_and_the_change_log(grassroots_cadre, household):
    case = _open(grassroots_cadre, household)

    assert (case.state, case.created_by, case.kind, case.topic) == ("open", grassroots_cadre, "legal_aid", "wages")
    event = TimelineEvent.objects.get(household=household, kind="rights_case_opened")
    assert event.detail == {"case": case.pk, "case_kind": "legal_aid", "topic": "wages", "opened_on": "2025-06-01"}
    assert "Three months" not in str(event.detail)  # the summary never goes on the timeline
    assert event.label == "Rights case opened"
    assert event.summary == "Legal aid · Wages · opened on 2025-06-01"
    assert ChangeLogEntry.objects.filter(object_id=str(case.pk), content_type__model="rightscase").count() == 1


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"opened_on": dt.date(2100, 1, 1)}, "opened_on", "future"),
    ({"opened_on": dt.date(2025, 2, 28)}, "opened_on", "on record only since 2025-03-01"),
    ({"summary": "   "}, "summary", "what the case is about"),
    ({"kind": "lawsuit"}, "kind", "kind of case"),
    ({"topic": ""}, "topic", "topic"),
    ({"counterpart": "x" * 201}, "counterpart", "200"),
])
def test_bad_input_is_refused_with_nothing_saved(grassroots_cadre, household, overrides, field, words):
    message = _refused(lambda: _open(grassroots_cadre, household, **overrides), field)
    assert words in message.lower() or words in message
    assert not RightsCase.objects.exists()
    assert not TimelineEvent.objects.filter(kind__startswith="rights_").exists()


def test_a_household_entered_recently_without_application_date_is_on_record_from_its_entry(grassroots_cadre, tree):
    household = make_household(tree.grassroots)  # no applied_on: on record since today
    message = _refused(lambda: _open(grassroots_cadre, household, opened_on=TODAY() - dt.timedelta(days=1)),
                       "opened_on")
    assert TODAY().isoformat() in message
    assert _open(grassroots_cadre, household, opened_on=TODAY()).pk


def test_the_handler_must_be_staff_of_the_household_union_line(grassroots_cadre, outsider, county_reviewer, tree,
                                                                 household):
    helper = tree.user("helper", tree.grassroots, Role.HELPER)  # no rights permission
    worker = tree.user("worker1", tree.grassroots, Role.WORKER, kind="worker")
    far = tree.user("far", tree.other_grassroots, Role.CASE_WORKER)
    for handler, words in ((outsider, "household's union"), (far, "household's union"),
                           (worker, "household's union"), (helper, "no role")):
        message = _refused(lambda h=handler: _open(grassroots_cadre, household, handled_by=h), "handled_by")
        assert words in message
    assert not RightsCase.objects.exists()

    # Above it (the county) and the household's own union are fine; the handler is told, the self-assigner not.
    case = _open(grassroots_cadre, household, handled_by=county_reviewer)
    notice = Notification.objects.get(recipient=county_reviewer)
    assert notice.kind == "rights_case_assigned" and notice.link == f"/rights/{case.pk}/"
    assert household.archive_number in notice.title and "wages" not in notice.body.lower()
    _open(grassroots_cadre, household, handled_by=grassroots_cadre)
    assert not Notification.objects.filter(recipient=grassroots_cadre).exists()


def test_a_closed_archive_takes_no_new_case(grassroots_cadre, tree):
    exited = make_household(tree.grassroots, state="exited", applied_on=dt.date(2025, 1, 1))
    message = _refused(lambda: _open(grassroots_cadre, exited), "__all__")
    assert "closed" in message
    assert not RightsCase.objects.exists()


def test_close_needs_an_outcome_and_sane_dates(grassroots_cadre, household):
    case = _open(grassroots_cadre, household)
    for kwargs, field in (({"outcome": "", "closed_on": TODAY()}, "outcome"),
                          ({"outcome": "resolved", "closed_on": None}, "closed_on"),
                          ({"outcome": "resolved", "closed_on": dt.date(2025, 5, 31)}, "closed_on"),
                          ({"outcome": "resolved", "closed_on": TODAY() + dt.timedelta(days=1)}, "closed_on")):
        _refused(lambda k=kwargs: close_case(grassroots_cadre, case, **k), field)
        case.refresh_from_db()
        assert (case.state, case.outcome, case.closed_on) == ("open", "", None)

    close_case(grassroots_cadre, case, outcome="resolved", closed_on=dt.date(2025, 6, 1), outcome_note="Paid")
    case.refresh_from_db()
    assert (case.state, case.outcome, case.closed_on) == ("closed", "resolved", dt.date(2025, 6, 1))
    event = TimelineEvent.objects.get(kind="rights_case_closed")
    assert "Resolved in the worker's favour" in event.summary and "2025-06-01" in event.summary
    with pytest.raises(ValidationError, match="already closed"):
        close_case(grassroots_cadre, case, outcome="partly", closed_on=TODAY())


def test_update_changes_only_what_is_given_and_refuses_a_closed_case(grassroots_cadre, county_reviewer, household):
    case = _open(grassroots_cadre, household)
    update_case(grassroots_cadre, case, topic="labour_contract", state="in_progress", handled_by=county_reviewer)
    case.refresh_from_db()
    assert (case.topic, case.state, case.handled_by, case.kind) == ("labour_contract", "in_progress",
                                                                    county_reviewer, "legal_aid")
    event = TimelineEvent.objects.get(kind="rights_case_updated")
    assert set(event.detail["fields"]) == {"topic", "state", "handled_by"}
    assert Notification.objects.filter(recipient=county_reviewer).count() == 1

    _refused(lambda: update_case(grassroots_cadre, case, state="closed"), "state")
    _refused(lambda: update_case(grassroots_cadre, case, opened_on=TODAY() + dt.timedelta(days=2)), "opened_on")
    case.refresh_from_db()
    assert case.state == "in_progress" and case.opened_on == dt.date(2025, 6, 1)

    update_case(grassroots_cadre, case, topic="labour_contract")  # no change: no timeline row
    assert TimelineEvent.objects.filter(kind="rights_case_updated").count() == 1

    close_case(grassroots_cadre, case, outcome="referred", closed_on=TODAY())
    with pytest.raises(ValidationError, match="reopen it"):
        update_case(grassroots_cadre, case, summary="changed after closing")


def test_reopen_needs_a_reason_and_clears_the_outcome(grassroots_cadre, household):
    case = _open(grassroots_cadre, household)
    with pytest.raises(ValidationError, match="Only a closed case"):
        reopen_case(grassroots_cadre, case, reason="x")
    close_case(grassroots_cadre, case, outcome="withdrawn", closed_on=TODAY(), outcome_note="note")
    _refused(lambda: reopen_case(grassroots_cadre, case, reason=" "), "reason")
    reopen_case(grassroots_cadre, case, reason="The employer did not pay after all")
    case.refresh_from_db()
    assert (case.state, case.outcome, case.closed_on, case.outcome_note) == ("in_progress", "", None, "")
    assert TimelineEvent.objects.get(kind="rights_case_reopened").reason == "The employer did not pay after all"
