"""Named, atomic write functions of rights cases (维权, DOMAIN.md §4): open, update, close, reopen.

Pages and the API call these and nothing else. Each one validates everything first and raises
`django.core.exceptions.ValidationError` with messages by field (nothing is written on refusal), runs in one
transaction, writes one row on the household's timeline (codes and dates only: never the summary, which may
hold personal or health details), and tells a newly assigned handler through `notify()`.

Rules:
* dates are never in the future; a case is not opened before the household is on record (`household_since`);
  it is not closed before it was opened;
* closing needs an outcome (and a closing date); a closed case is read-only until it is reopened (with a reason);
* the handler is an active member of staff of the household's union or of a union above it (its lineage: a
  handler of a union below would be locked out of the case by the scoping), whose role may see rights cases;
  anybody else gets one neutral message that tells nothing about the person;
* a new case needs an open archive (a closed archive is read-only); a case already running when the archive
  closed can still be updated and closed.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bangfu.registry.models import CLOSED_STATES, record_event
from bangfu.rights.models import OPEN_CASE_STATES, CaseKind, CaseOutcome, CaseState, CaseTopic, RightsCase

SUMMARY_MAX = 4000
NOTE_MAX = 4000
COUNTERPART_MAX = 200
REASON_MAX = 500
# Fields `update_case` may change; the state only between open and in progress (closing has its own function).
EDITABLE = ("kind", "topic", "summary", "opened_on", "handled_by", "counterpart", "state")


def household_since(household) -> dt.date:
    """The first day the household is on record: its application date, or the day its archive was entered
    when that is earlier (an archive typed in later from paper keeps its real application date)."""
    entered = timezone.localdate(household.created_at) if household.created_at else timezone.localdate()
    return min(d for d in (household.applied_on, entered) if d is not None)


def _lineage_ok(handler, household) -> bool:
    """The handler's union is the household's union or a union above it (one prefix match)."""
    return household.org.path.startswith(handler.org.path)


def choose_a_handler() -> str:
    """The one refusal of a person outside the household's lineage (or unknown): nothing about them."""
    return _("Choose a member of staff of the household's union or of a union above it.")


def handler_problem(handler, household) -> str | None:
    """Why `handler` may not handle a case of `household` (None when they may)."""
    if handler is None:
        return None
    if not handler.is_active or handler.kind != "staff" or not handler.org_id or not _lineage_ok(handler, household):
        # One message for every refusal: it tells nothing about users of other unions.
        return choose_a_handler()
    if not handler.has_role_permission("rights.view_rightscase"):
        # Named: a person of the household's lineage, whom anybody who may act on the household may see.
        return _("%(user)s has no role that works on rights cases.") % {"user": handler}
    return None


def _check_common(errors: dict, household, data: dict, *, check_handler: bool = True) -> None:
    today = timezone.localdate()
    if data["kind"] not in CaseKind.values:
        errors["kind"] = _("Choose the kind of case.")
    if data["topic"] not in CaseTopic.values:
        errors["topic"] = _("Choose the topic of the case.")
    summary = (data["summary"] or "").strip()
    if not summary:
        errors["summary"] = _("Say what the case is about.")
    elif len(summary) > SUMMARY_MAX:
        errors["summary"] = _("At most %(max)d characters.") % {"max": SUMMARY_MAX}
    if len(data["counterpart"] or "") > COUNTERPART_MAX:
        errors["counterpart"] = _("At most %(max)d characters.") % {"max": COUNTERPART_MAX}
    opened_on = data["opened_on"]
    if not isinstance(opened_on, dt.date):
        errors["opened_on"] = _("Enter the date the case was opened.")
    elif opened_on > today:
        errors["opened_on"] = _("The case cannot be opened in the future (today is %(today)s).") % {
            "today": today.isoformat()}
    elif opened_on < household_since(household):
        errors["opened_on"] = _("The household is on record only since %(date)s: a case cannot be opened "
                                "before that.") % {"date": household_since(household).isoformat()}
    problem = handler_problem(data["handled_by"], household) if check_handler else None
    if problem:
        errors["handled_by"] = problem


def _tell_handler(case: RightsCase, actor) -> None:
    """Tell the handler a case is theirs now (not when they assigned it to themselves)."""
    handler = case.handled_by
    if handler is None or (actor is not None and handler.pk == actor.pk):
        return
    from bangfu.notifications.services import notify

    # The recipient reads the platform's default language (see notify()); the summary stays on the case page.
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Rights case assigned to you: %(kind)s, %(topic)s (archive %(number)s)") % {
            "kind": case.get_kind_display(), "topic": case.get_topic_display(),
            "number": case.household.archive_number}
        body = _("Opened on %(date)s. Open the case to see what it is about.") % {
            "date": case.opened_on.isoformat()}
    notify([handler], kind="rights_case_assigned", title=title, body=body,
           link=reverse("rights:detail", args=[case.pk]))


@transaction.atomic
def open_case(actor, household, *, kind: str, topic: str, summary: str, opened_on, handled_by=None,
              counterpart: str = "") -> RightsCase:
    """Open a consultation or legal-aid case for the household."""
    data = {"kind": kind, "topic": topic, "summary": summary, "opened_on": opened_on, "handled_by": handled_by,
            "counterpart": counterpart}
    errors: dict = {}
    if household.state in CLOSED_STATES:
        errors["__all__"] = _("This archive is closed (%(state)s): no new case can be opened for it.") % {
            "state": household.get_state_display()}
    _check_common(errors, household, data)
    if errors:
        raise ValidationError(errors)
    case = RightsCase.objects.create(
        household=household, kind=kind, topic=topic, summary=summary.strip(), opened_on=opened_on,
        handled_by=handled_by, counterpart=(counterpart or "").strip(), state=CaseState.OPEN,
        created_by=actor if getattr(actor, "pk", None) else None)
    record_event(household, "rights_case_opened", actor=actor, case=case.pk, case_kind=kind, topic=topic,
                 opened_on=opened_on.isoformat())
    _tell_handler(case, actor)
    return case


def _locked(case: RightsCase) -> RightsCase:
    """The case re-read under a row lock (concurrent edits of one case queue up; nobody's change is lost)."""
    return (RightsCase.objects.select_for_update(of=("self",)).select_related("household__org", "handled_by")
            .get(pk=case.pk))


@transaction.atomic
def update_case(actor, case: RightsCase, **changes) -> RightsCase:
    """Change what the case is about, its dates, handler, counterpart, or move it between open and in
    progress. Only the fields passed are changed; a closed case must be reopened first."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"update_case: not editable: {sorted(unknown)}")
    case = _locked(case)
    if case.is_closed:
        raise ValidationError(_("This case is closed: reopen it before changing it."), code="closed")
    data = {name: changes.get(name, getattr(case, name)) for name in EDITABLE}
    errors: dict = {}
    # The handler is checked when it changes: one who has since moved on does not block other edits.
    _check_common(errors, case.household, data,
                  check_handler=_differs(case.handled_by, data["handled_by"]))
    if data["state"] not in OPEN_CASE_STATES:
        errors["state"] = _("A case is closed with its outcome (Close the case), not by changing its state.")
    if errors:
        raise ValidationError(errors)
    data["summary"] = data["summary"].strip()
    data["counterpart"] = (data["counterpart"] or "").strip()
    previous_handler = case.handled_by_id
    changed = [name for name in EDITABLE if _differs(getattr(case, name), data[name])]
    if not changed:
        return case
    for name in changed:
        setattr(case, name, data[name])
    case.save()
    detail = {"case": case.pk, "fields": changed}
    if "state" in changed:
        detail["state"] = case.state
    record_event(case.household, "rights_case_updated", actor=actor, **detail)
    if case.handled_by_id and case.handled_by_id != previous_handler:
        _tell_handler(case, actor)
    return case


def _differs(old, new) -> bool:
    old_key = getattr(old, "pk", old)
    new_key = getattr(new, "pk", new)
    return old_key != new_key


@transaction.atomic
def close_case(actor, case: RightsCase, *, outcome: str, closed_on, outcome_note: str = "") -> RightsCase:
    """Close the case with its outcome (required) on `closed_on` (not before it was opened, not in the future)."""
    case = _locked(case)
    if case.is_closed:
        raise ValidationError(_("This case is already closed."), code="closed")
    errors: dict = {}
    today = timezone.localdate()
    if outcome not in CaseOutcome.values:
        errors["outcome"] = _("Choose the outcome of the case: a case is closed with its outcome.")
    if not isinstance(closed_on, dt.date):
        errors["closed_on"] = _("Enter the date the case was closed.")
    elif closed_on > today:
        errors["closed_on"] = _("The case cannot be closed in the future (today is %(today)s).") % {
            "today": today.isoformat()}
    elif closed_on < case.opened_on:
        errors["closed_on"] = _("The case was opened on %(date)s: it cannot be closed before that.") % {
            "date": case.opened_on.isoformat()}
    if len(outcome_note or "") > NOTE_MAX:
        errors["outcome_note"] = _("At most %(max)d characters.") % {"max": NOTE_MAX}
    if errors:
        raise ValidationError(errors)
    case.state = CaseState.CLOSED
    case.outcome = outcome
    case.closed_on = closed_on
    case.outcome_note = (outcome_note or "").strip()
    case.save()
    record_event(case.household, "rights_case_closed", actor=actor, case=case.pk, outcome=outcome,
                 closed_on=closed_on.isoformat())
    return case


@transaction.atomic
def reopen_case(actor, case: RightsCase, *, reason: str) -> RightsCase:
    """Take a closed case up again (in progress); its outcome and closing date are cleared (the change log
    keeps them) and the reason is on the timeline."""
    case = _locked(case)
    if not case.is_closed:
        raise ValidationError(_("Only a closed case can be reopened."), code="not_closed")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the case is reopened.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("At most %(max)d characters.") % {"max": REASON_MAX}})
    case.state = CaseState.IN_PROGRESS
    case.outcome = ""
    case.outcome_note = ""
    case.closed_on = None
    case.save()
    record_event(case.household, "rights_case_reopened", actor=actor, reason=reason, case=case.pk)
    return case
