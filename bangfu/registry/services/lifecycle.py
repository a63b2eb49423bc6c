"""Named, atomic transition functions of the lifecycle (DOMAIN.md §3).

Each function:
* finds the household in the actor's scope (else Http404: another union's archive does not exist for them),
  re-reads it under a row lock, and looks its row up in the transition table (`bangfu.registry.lifecycle.check`:
  state, role, level) — an illegal move raises ValidationError with a clear message;
* checks its data and raises ValidationError in dict form (field -> messages), writing nothing;
* writes the state and its records (LevelOpinion, HomeVisit, PublicNotice, Closure, Appeal …), keeps each
  member's `open_identity_hash` in sync (`services.archive.sync_open_identity`) and writes one timeline row
  (actor, union, time, from/to state, reason).

`run_action(household, action, actor, data)` dispatches by action name: forms and the API call it.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.registry import lifecycle
from bangfu.registry.models import (
    AppealDecision,
    Closure,
    ClosureKind,
    Consent,
    ConsentKind,
    ExitReason,
    HomeVisit,
    Household,
    HouseholdCause,
    LevelOpinion,
    NoticeObjection,
    ObjectionOutcome,
    OpinionDecision,
    OpinionStage,
    PublicNotice,
    State,
    record_event,
)
from bangfu.registry.models.lifecycle import Appeal
from bangfu.registry.signals import household_reviewed, household_state_changed
from bangfu.workdays.calendar import add_working_days


def today() -> dt.date:
    return timezone.localdate()


def sync_open_identity(household, actor=None) -> None:
    """Keep `Member.open_identity_hash` in step with the state (the archive helper's function)."""
    from bangfu.registry.services.archive import sync_open_identity as sync

    sync(household, actor=actor)


# --- the frame every transition shares ---------------------------------------------------------------


def begin(household, action: str, actor):
    """(locked household, table row) if `actor` may do `action` now; Http404 outside their scope."""
    pk = getattr(household, "pk", household)
    if not Household.objects.restrict(actor, "view").filter(pk=pk).exists():
        raise Http404
    locked = Household.objects.select_for_update().select_related("org").get(pk=pk)
    row = lifecycle.check(action, actor, locked)
    return locked, row


def finish(household, row, actor, *, from_state: str, reason: str = "", save_fields=(), **detail):
    """Save the changed fields, sync identities on a state change, write the timeline row."""
    fields = set(save_fields)
    if household.state != from_state:
        fields.add("state")
    if fields:
        household.save(update_fields=[*fields, "updated_at"])
    if household.state != from_state:
        sync_open_identity(household, actor=actor)
    to_state = household.state if household.state != from_state else ""
    if to_state:
        household_state_changed.send(sender=Household, household=household, from_state=from_state,
                                     to_state=to_state, actor=actor, on=today())
    return record_event(
        household, row.action, actor=actor, reason=reason, from_state=from_state if to_state else "",
        to_state=to_state, action_label=str(row.label), **detail,
    )


def opinion(household, actor, stage: str, decision: str, text: str = "", on: dt.date | None = None):
    org = actor.org
    return LevelOpinion.objects.create(
        household=household, stage=stage, org=org, level=org.level, decision=decision, opinion=text,
        by=actor, by_name=(actor.full_name or actor.username)[:64], on=on or today(),
    )


def _required(errors: dict, data_value, field: str, message: str) -> str:
    value = (data_value or "").strip() if isinstance(data_value, str) or data_value is None else data_value
    if not value:
        errors.setdefault(field, []).append(message)
    return value


def _not_future(value, field: str, errors: dict) -> None:
    if value and value > today():
        errors.setdefault(field, []).append(_("The date cannot be in the future."))


def _plausible(value, field: str, errors: dict) -> None:
    from bangfu.registry.services.archive import plausible_record_date

    plausible_record_date(value, field, errors)


# How far ahead a public notice may be scheduled (posted next week: yes; in ten years: a typing error).
NOTICE_START_MAX_DAYS_AHEAD = 30


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def consent_in_force(household, kind: str) -> Consent | None:
    return (
        Consent.objects.filter(household=household, kind=kind, withdrawn_on=None, signed_on__lte=today())
        .order_by("-signed_on", "-id").first()
    )


def open_notice(household) -> PublicNotice | None:
    return household.notices.filter(closed_on=None).order_by("-id").first()


def chain_deadline(household) -> dt.date | None:
    """The whole chain from application to decision takes at most N working days (default 25)."""
    if not household.applied_on:
        return None
    return add_working_days(household.applied_on, lifecycle.chain_working_days())


# --- application and first check ----------------------------------------------------------------------


@transaction.atomic
def household_submit(household, *, actor, on: dt.date | None = None) -> Household:
    household, row = begin(household, "submit", actor)
    errors: dict = {}
    if not household.members.filter(is_head=True).exists():
        errors.setdefault("head", []).append(_("The archive has no head of household yet."))
    if not HouseholdCause.objects.filter(household=household, is_main=True).exists():
        errors.setdefault("causes", []).append(_("Choose the main cause of hardship before submitting."))
    _raise(errors)
    from_state = household.state
    household.state = State.APPLIED
    household.applied_on = on or today()
    household.applied_by_union = getattr(actor, "kind", "staff") != "worker"
    finish(household, row, actor, from_state=from_state, save_fields=("applied_on", "applied_by_union"),
           by_union=household.applied_by_union)
    return household


@transaction.atomic
def household_first_check_start(household, *, actor) -> Household:
    household, row = begin(household, "first_check_start", actor)
    from_state = household.state
    household.state = State.FIRST_CHECK
    finish(household, row, actor, from_state=from_state)
    return household


@transaction.atomic
def household_first_check(household, *, actor, passed: bool = True, opinion_text: str = "") -> Household:
    """First check: passed → home visit; not passed → refused (the reason is the opinion)."""
    if not passed:
        return household_refuse(household, actor=actor, reason=opinion_text)
    household, row = begin(household, "first_check", actor)
    errors: dict = {}
    text = _required(errors, opinion_text, "opinion_text", _("Write the opinion of the first check."))
    _raise(errors)
    from_state = household.state
    household.state = State.HOME_VISIT
    opinion(household, actor, OpinionStage.FIRST_CHECK, OpinionDecision.PASS, text)
    finish(household, row, actor, from_state=from_state, reason=text)
    return household


# --- home visit and economic check -------------------------------------------------------------------


@transaction.atomic
def home_visit_record(household, *, actor, visited_on, visitors: str, findings: str,
                      authorisation_signed_on=None, authorisation_signed_by: str = "") -> HomeVisit:
    """The home visit; the worker's economic-check authorisation must be on file (or is signed here)."""
    household, row = begin(household, "home_visit", actor)
    errors: dict = {}
    if not visited_on:
        errors.setdefault("visited_on", []).append(_("Enter the date of the visit."))
    else:
        _not_future(visited_on, "visited_on", errors)
        if household.applied_on and visited_on < household.applied_on:
            errors.setdefault("visited_on", []).append(_("The visit cannot be before the application."))
    visitors = _required(errors, visitors, "visitors", _("Name who made the visit."))
    findings = _required(errors, findings, "findings", _("Describe what the visit found."))
    authorisation = consent_in_force(household, ConsentKind.ECONOMIC_CHECK)
    signer = (authorisation_signed_by or "").strip()
    if authorisation is None:
        if not authorisation_signed_on or not signer:
            errors.setdefault("authorisation_signed_on", []).append(
                _("The worker's signed authorisation of the household economic check must be on file: "
                  "enter the date it was signed and who signed it.")
            )
        else:
            _not_future(authorisation_signed_on, "authorisation_signed_on", errors)
            _plausible(authorisation_signed_on, "authorisation_signed_on", errors)
    _raise(errors)
    if authorisation is None:
        authorisation = Consent.objects.create(
            household=household, kind=ConsentKind.ECONOMIC_CHECK, signed_on=authorisation_signed_on,
            signed_by_name=signer[:64], recorded_by=actor,
        )
        record_event(household, "consent_recorded", actor=actor, consent=ConsentKind.ECONOMIC_CHECK,
                     signed_on=str(authorisation_signed_on))
    visit = HomeVisit.objects.create(household=household, visited_on=visited_on, visitors=visitors[:200],
                                     findings=findings, recorded_by=actor)
    from_state = household.state
    household.state = State.ECONOMIC_CHECK
    opinion(household, actor, OpinionStage.HOME_VISIT, OpinionDecision.PASS, findings, on=visited_on)
    finish(household, row, actor, from_state=from_state, visited_on=str(visited_on), visitors=visit.visitors)
    return visit


@transaction.atomic
def economic_check_complete(household, *, actor, note: str) -> Household:
    """Staff record that the household economic check was done (the cross-check issue will fill this state)."""
    household, row = begin(household, "economic_check_complete", actor)
    errors: dict = {}
    note = _required(errors, note, "note", _("Write what the economic check found."))
    if consent_in_force(household, ConsentKind.ECONOMIC_CHECK) is None:
        errors.setdefault("__all__", []).append(
            _("No economic check without the worker's signed authorisation on file.")
        )
    _raise(errors)
    from_state = household.state
    household.state = State.PUBLIC_NOTICE
    opinion(household, actor, OpinionStage.ECONOMIC_CHECK, OpinionDecision.PASS, note)
    finish(household, row, actor, from_state=from_state, reason=note)
    return household


@transaction.atomic
def economic_check_waive(household, *, actor, reason: str) -> Household:
    household, row = begin(household, "economic_check_waive", actor)
    errors: dict = {}
    reason = _required(errors, reason, "reason", _("Give the reason for waiving the economic check."))
    _raise(errors)
    from_state = household.state
    household.state = State.PUBLIC_NOTICE
    opinion(household, actor, OpinionStage.ECONOMIC_CHECK, OpinionDecision.WAIVE, reason)
    finish(household, row, actor, from_state=from_state, reason=reason, waived=True)
    return household


# --- public notice ------------------------------------------------------------------------------------


@transaction.atomic
def notice_start(household, *, actor, starts_on=None) -> PublicNotice:
    """Post the notice: start date, end = start + N calendar days, at the place the worker chose."""
    household, row = begin(household, "notice_start", actor)
    errors: dict = {}
    starts_on = starts_on or today()
    consent = consent_in_force(household, ConsentKind.PUBLIC_NOTICE)
    if open_notice(household) is not None:
        errors.setdefault("__all__", []).append(_("A public notice is already running for this archive."))
    if consent is None:
        errors.setdefault("__all__", []).append(
            _("The worker's consent to the public notice (its content and place) must be on file first.")
        )
    elif consent.notice_place not in ("workplace", "community"):
        errors.setdefault("__all__", []).append(_("The public-notice consent does not say where to post it."))
    elif starts_on < consent.signed_on:
        errors.setdefault("starts_on", []).append(_("The notice cannot start before the consent was signed."))
    if starts_on > today() + dt.timedelta(days=NOTICE_START_MAX_DAYS_AHEAD):
        errors.setdefault("starts_on", []).append(
            _("A notice can be scheduled at most %(days)d days ahead.") % {"days": NOTICE_START_MAX_DAYS_AHEAD}
        )
    _plausible(starts_on, "starts_on", errors)
    _raise(errors)
    days = lifecycle.notice_days()
    notice = PublicNotice.objects.create(
        household=household, starts_on=starts_on, ends_on=starts_on + dt.timedelta(days=days),
        place=consent.notice_place, name_masked=household.head_name_masked, category=household.category,
        started_by=actor,
    )
    household.notice_place = consent.notice_place
    finish(household, row, actor, from_state=household.state, save_fields=("notice_place",),
           starts_on=str(notice.starts_on), ends_on=str(notice.ends_on), place=notice.place, days=days)
    return notice


@transaction.atomic
def notice_objection_record(household, *, actor, received_on, content: str, objector: str = "") -> NoticeObjection:
    household, row = begin(household, "notice_objection", actor)
    errors: dict = {}
    notice = open_notice(household)
    if notice is None:
        errors.setdefault("__all__", []).append(_("No public notice is running for this archive."))
    content = _required(errors, content, "content", _("Write down the objection."))
    if not received_on:
        errors.setdefault("received_on", []).append(_("Enter when the objection was received."))
    else:
        _not_future(received_on, "received_on", errors)
        if notice is not None and not notice.starts_on <= received_on <= notice.ends_on:
            errors.setdefault("received_on", []).append(
                _("An objection must be received during the notice period (%(start)s to %(end)s).")
                % {"start": notice.starts_on, "end": notice.ends_on}
            )
    _raise(errors)
    objection = NoticeObjection.objects.create(notice=notice, received_on=received_on, content=content,
                                               objector=(objector or "").strip()[:64], recorded_by=actor)
    finish(household, row, actor, from_state=household.state, objection=objection.pk,
           received_on=str(received_on))
    return objection


@transaction.atomic
def notice_objection_decide(household, *, actor, objection, outcome: str, note: str) -> NoticeObjection:
    household, row = begin(household, "notice_objection_decide", actor)
    errors: dict = {}
    objection_id = getattr(objection, "pk", objection)
    notice = open_notice(household)
    found = (
        NoticeObjection.objects.select_for_update().filter(pk=objection_id, notice=notice).first()
        if notice is not None and objection_id else None
    )
    if found is None:
        errors.setdefault("objection", []).append(_("Choose an objection of the running notice."))
    elif found.outcome != ObjectionOutcome.PENDING:
        errors.setdefault("objection", []).append(_("This objection has already been decided."))
    if outcome not in (ObjectionOutcome.DISMISSED, ObjectionOutcome.UPHELD):
        errors.setdefault("outcome", []).append(_("Choose whether the objection is upheld or dismissed."))
    note = _required(errors, note, "note", _("Write down what was found."))
    _raise(errors)
    found.outcome, found.outcome_note, found.decided_on, found.decided_by = outcome, note, today(), actor
    found.save(update_fields=["outcome", "outcome_note", "decided_on", "decided_by"])
    finish(household, row, actor, from_state=household.state, reason=note, objection=found.pk, outcome=outcome)
    return found


@transaction.atomic
def notice_close(household, *, actor, opinion_text: str = "") -> PublicNotice:
    """Close the notice on or after its end date; a pending objection blocks; the archive goes to approval."""
    household, row = begin(household, "notice_close", actor)
    notice = open_notice(household)
    if notice is None:
        raise ValidationError(_("No public notice has been started for this archive."), code="no_notice")
    now = today()
    if now < notice.ends_on:
        raise ValidationError(
            _("The public notice runs until %(end)s: it cannot be closed before.") % {"end": notice.ends_on},
            code="notice_running",
        )
    outcomes = list(notice.objections.values_list("outcome", flat=True))
    pending = outcomes.count(ObjectionOutcome.PENDING)
    if pending:
        raise ValidationError(
            _("%(count)d objection(s) are still pending: decide them before closing the notice.")
            % {"count": pending}, code="objection_pending",
        )
    upheld = outcomes.count(ObjectionOutcome.UPHELD)
    if not outcomes:
        result = _("No objection.")
    elif upheld:
        result = _("%(count)d objection(s), %(upheld)d upheld.") % {"count": len(outcomes), "upheld": upheld}
    else:
        result = _("%(count)d objection(s), all dismissed.") % {"count": len(outcomes)}
    notice.closed_on, notice.result = now, result
    notice.save(update_fields=["closed_on", "result"])
    from_state = household.state
    household.state = State.APPROVAL
    opinion(household, actor, OpinionStage.PUBLIC_NOTICE, OpinionDecision.PASS,
            " ".join(filter(None, [result, (opinion_text or "").strip()])))
    finish(household, row, actor, from_state=from_state, reason=result, notice=notice.pk)
    return notice


# --- decisions ----------------------------------------------------------------------------------------


@transaction.atomic
def household_approve(household, *, actor, opinion_text: str, on: dt.date | None = None) -> Household:
    """The higher union approves: active, active since `on`, first review due a year later."""
    household, row = begin(household, "approve", actor)
    errors: dict = {}
    text = _required(errors, opinion_text, "opinion_text", _("Write the opinion of the approving union."))
    _raise(errors)
    on = on or today()
    from_state = household.state
    household.state = State.ACTIVE
    household.activated_on = on
    household.review_due_on = lifecycle.add_months(on, 12)
    opinion(household, actor, OpinionStage.APPROVAL, OpinionDecision.APPROVE, text, on=on)
    finish(household, row, actor, from_state=from_state, reason=text,
           save_fields=("activated_on", "review_due_on"), review_due_on=str(household.review_due_on))
    from bangfu.registry import classification

    classification.refresh(household)
    return household


_STAGE_OF_STATE = {
    State.APPLIED: OpinionStage.FIRST_CHECK, State.FIRST_CHECK: OpinionStage.FIRST_CHECK,
    State.HOME_VISIT: OpinionStage.HOME_VISIT, State.ECONOMIC_CHECK: OpinionStage.ECONOMIC_CHECK,
    State.PUBLIC_NOTICE: OpinionStage.PUBLIC_NOTICE, State.APPROVAL: OpinionStage.APPROVAL,
}


@transaction.atomic
def household_refuse(household, *, actor, reason: str) -> Closure:
    """Refuse with a reason; the applicant must be told within N working days (`notify_by`)."""
    household, row = begin(household, "refuse", actor)
    errors: dict = {}
    reason = _required(errors, reason, "reason", _("Give the reason for the refusal."))
    _raise(errors)
    on = today()
    from_state = household.state
    closure = Closure.objects.create(
        household=household, kind=ClosureKind.REFUSAL, from_state=from_state, reason=reason, closed_on=on,
        notify_by=add_working_days(on, lifecycle.refusal_notify_working_days()), by=actor, org=actor.org,
    )
    opinion(household, actor, _STAGE_OF_STATE[from_state], OpinionDecision.REFUSE, reason, on=on)
    household.state = State.REFUSED
    finish(household, row, actor, from_state=from_state, reason=reason, notify_by=str(closure.notify_by))
    return closure


@transaction.atomic
def refusal_notified(household, *, actor, on: dt.date | None = None) -> Closure:
    """Record the day the applicant was told of the refusal (due by `Closure.notify_by`)."""
    household, row = begin(household, "refusal_notified", actor)
    closure = household.closures.filter(kind=ClosureKind.REFUSAL, reversed_on=None, notified_on=None).first()
    if closure is None:
        raise ValidationError(_("There is no refusal waiting to be told to the applicant."), code="nothing")
    on = on or today()
    if on > today():
        raise ValidationError({"notified_on": [_("The date cannot be in the future.")]})
    if on < closure.closed_on:
        raise ValidationError({"notified_on": [_("The applicant cannot be told before the refusal.")]})
    closure.notified_on = on
    closure.save(update_fields=["notified_on"])
    finish(household, row, actor, from_state=household.state, notified_on=str(on), in_time=on <= closure.notify_by)
    return closure


@transaction.atomic
def household_review(household, *, actor, reviewed_on, note: str) -> Household:
    """The annual review of an active archive: the next one is due a year after this one."""
    household, row = begin(household, "review", actor)
    errors: dict = {}
    note = _required(errors, note, "note", _("Write down what the review found."))
    if not reviewed_on:
        errors.setdefault("reviewed_on", []).append(_("Enter the date of the review."))
    else:
        _not_future(reviewed_on, "reviewed_on", errors)
        _plausible(reviewed_on, "reviewed_on", errors)
        if household.activated_on and reviewed_on < household.activated_on:
            errors.setdefault("reviewed_on", []).append(
                _("The review cannot be before the archive became active (%(date)s).")
                % {"date": household.activated_on}
            )
    _raise(errors)
    household.review_due_on = lifecycle.add_months(reviewed_on, 12)
    event = finish(household, row, actor, from_state=household.state, reason=note, save_fields=("review_due_on",),
                   reviewed_on=str(reviewed_on), review_due_on=str(household.review_due_on))
    household_reviewed.send(sender=Household, household=household, reviewed_on=reviewed_on, actor=actor, event=event)
    return household


@transaction.atomic
def household_exit(household, *, actor, reason: str, note: str = "", on: dt.date | None = None) -> Closure:
    """Exit with a reason of DOMAIN.md §3; relapse monitoring runs for N months (default 12)."""
    household, row = begin(household, "exit", actor)
    errors: dict = {}
    if reason not in ExitReason.values:
        errors.setdefault("reason", []).append(_("Choose one of the exit reasons."))
    on = on or today()
    _not_future(on, "on", errors)
    _plausible(on, "on", errors)
    if household.activated_on and on < household.activated_on:
        errors.setdefault("on", []).append(_("The exit cannot be before the archive became active."))
    _raise(errors)
    note = (note or "").strip()
    from_state = household.state
    closure = Closure.objects.create(
        household=household, kind=ClosureKind.EXIT, from_state=from_state, reason_code=reason, reason=note,
        closed_on=on, monitor_until=lifecycle.add_months(on, lifecycle.relapse_monitoring_months()),
        by=actor, org=actor.org,
    )
    opinion(household, actor, OpinionStage.EXIT, OpinionDecision.EXIT,
            " ".join(filter(None, [str(ExitReason(reason).label), note])), on=on)
    household.state = State.EXITED
    household.exited_on, household.exit_reason = on, reason
    finish(household, row, actor, from_state=from_state, reason=note or str(ExitReason(reason).label),
           save_fields=("exited_on", "exit_reason"), exit_reason=reason, monitor_until=str(closure.monitor_until))
    return closure


# --- appeals ------------------------------------------------------------------------------------------


def _appealed_closure(household) -> Closure | None:
    kind = ClosureKind.REFUSAL if household.state == State.REFUSED else ClosureKind.EXIT
    return household.closures.filter(kind=kind, reversed_on=None).order_by("-closed_on", "-id").first()


@transaction.atomic
def appeal_file(household, *, actor, grounds: str, on: dt.date | None = None) -> Appeal:
    """An appeal against the refusal or the exit, by the worker or by the union on their behalf."""
    household, row = begin(household, "appeal_file", actor)
    errors: dict = {}
    grounds = _required(errors, grounds, "grounds", _("Give the grounds of the appeal."))
    closure = _appealed_closure(household)
    if closure is None:
        errors.setdefault("__all__", []).append(_("There is no refusal or exit decision to appeal."))
    if household.appeals.filter(decision=AppealDecision.PENDING).exists():
        errors.setdefault("__all__", []).append(_("An appeal is already pending for this archive."))
    _raise(errors)
    appeal = Appeal.objects.create(
        household=household, closure=closure, filed_on=on or today(), grounds=grounds, filed_by=actor,
        filed_by_worker=getattr(actor, "kind", "") == "worker",
    )
    finish(household, row, actor, from_state=household.state, reason=grounds, appeal=appeal.pk,
           against=closure.kind, by_worker=appeal.filed_by_worker)
    return appeal


@transaction.atomic
def appeal_decide(household, *, actor, decision: str, reason: str) -> Appeal:
    """The higher union decides: uphold (the archive stays closed) or grant (refusal → approval, exit → active)."""
    household, row = begin(household, "appeal_decide", actor)
    errors: dict = {}
    appeal = household.appeals.select_for_update().filter(decision=AppealDecision.PENDING).first()
    if appeal is None:
        errors.setdefault("__all__", []).append(_("No appeal is pending for this archive."))
    if decision not in ("uphold", "grant"):
        errors.setdefault("decision", []).append(_("Choose whether to uphold the decision or grant the appeal."))
    reason = _required(errors, reason, "reason", _("Give the reason for the decision."))
    _raise(errors)
    on = today()
    from_state = household.state
    fields = []
    if decision == "grant":
        closure = appeal.closure
        Closure.objects.filter(pk=closure.pk).update(reversed_on=on)
        if closure.kind == ClosureKind.REFUSAL:
            household.state = State.APPROVAL
        else:
            household.state = State.ACTIVE
            household.exited_on, household.exit_reason = None, ""
            if not household.review_due_on or household.review_due_on < on:
                household.review_due_on = lifecycle.add_months(on, 12)
            fields = ["exited_on", "exit_reason", "review_due_on"]
    appeal.decision = AppealDecision.GRANTED if decision == "grant" else AppealDecision.UPHELD
    appeal.decision_reason, appeal.decided_on, appeal.decided_by = reason, on, actor
    appeal.save(update_fields=["decision", "decision_reason", "decided_on", "decided_by"])
    opinion(household, actor, OpinionStage.APPEAL,
            OpinionDecision.GRANT if decision == "grant" else OpinionDecision.UPHOLD, reason, on=on)
    # Re-opening respects "one open archive per person": sync_open_identity refuses and everything rolls back.
    finish(household, row, actor, from_state=from_state, reason=reason, save_fields=fields, appeal=appeal.pk,
           decision=appeal.decision)
    return appeal


# --- temporary relief ---------------------------------------------------------------------------------


def _must_be_temporary(household) -> None:
    if not household.is_temporary_relief:
        raise ValidationError(_("This is not a temporary-relief archive."), code="not_temporary")


@transaction.atomic
def temporary_convert(household, *, actor, reason: str) -> Household:
    household, row = begin(household, "temporary_convert", actor)
    _must_be_temporary(household)
    errors: dict = {}
    reason = _required(errors, reason, "reason", _("Give the reason for the conversion."))
    _raise(errors)
    household.is_temporary_relief = False
    if not household.review_due_on:
        household.review_due_on = lifecycle.add_months(today(), 12)
    finish(household, row, actor, from_state=household.state, reason=reason,
           save_fields=("is_temporary_relief", "review_due_on"))
    return household


@transaction.atomic
def temporary_cancel(household, *, actor, reason: str) -> Closure:
    household, row = begin(household, "temporary_cancel", actor)
    _must_be_temporary(household)
    errors: dict = {}
    reason = _required(errors, reason, "reason", _("Give the reason for the cancellation."))
    _raise(errors)
    from_state = household.state
    closure = Closure.objects.create(household=household, kind=ClosureKind.CANCELLATION, from_state=from_state,
                                     reason=reason, closed_on=today(), by=actor, org=actor.org)
    household.state = State.CANCELLED
    finish(household, row, actor, from_state=from_state, reason=reason)
    return closure


# --- one entry point for forms and the API -----------------------------------------------------------


def run_action(household, action: str, actor, data: dict):
    """Carry out `action` with the cleaned `data` of its form (see views_lifecycle.FORMS)."""
    from bangfu.registry.services import restructure

    d = dict(data)
    handlers = {
        "submit": lambda: household_submit(household, actor=actor),
        "first_check_start": lambda: household_first_check_start(household, actor=actor),
        "first_check": lambda: household_first_check(
            household, actor=actor, passed=d.get("decision", "pass") == "pass", opinion_text=d.get("opinion_text", "")
        ),
        "home_visit": lambda: home_visit_record(
            household, actor=actor, visited_on=d.get("visited_on"), visitors=d.get("visitors", ""),
            findings=d.get("findings", ""), authorisation_signed_on=d.get("authorisation_signed_on"),
            authorisation_signed_by=d.get("authorisation_signed_by", ""),
        ),
        "economic_check_complete": lambda: economic_check_complete(household, actor=actor, note=d.get("note", "")),
        "economic_check_waive": lambda: economic_check_waive(household, actor=actor, reason=d.get("reason", "")),
        "notice_start": lambda: notice_start(household, actor=actor, starts_on=d.get("starts_on")),
        "notice_objection": lambda: notice_objection_record(
            household, actor=actor, received_on=d.get("received_on"), content=d.get("content", ""),
            objector=d.get("objector", ""),
        ),
        "notice_objection_decide": lambda: notice_objection_decide(
            household, actor=actor, objection=d.get("objection"), outcome=d.get("outcome", ""), note=d.get("note", "")
        ),
        "notice_close": lambda: notice_close(household, actor=actor, opinion_text=d.get("opinion_text", "")),
        "approve": lambda: household_approve(household, actor=actor, opinion_text=d.get("opinion_text", "")),
        "refuse": lambda: household_refuse(household, actor=actor, reason=d.get("reason", "")),
        "refusal_notified": lambda: refusal_notified(household, actor=actor, on=d.get("notified_on")),
        "review": lambda: household_review(household, actor=actor, reviewed_on=d.get("reviewed_on"),
                                           note=d.get("note", "")),
        "exit": lambda: household_exit(household, actor=actor, reason=d.get("reason", ""), note=d.get("note", ""),
                                       on=d.get("on")),
        "appeal_file": lambda: appeal_file(household, actor=actor, grounds=d.get("grounds", "")),
        "appeal_decide": lambda: appeal_decide(household, actor=actor, decision=d.get("decision", ""),
                                               reason=d.get("reason", "")),
        "temporary_convert": lambda: temporary_convert(household, actor=actor, reason=d.get("reason", "")),
        "temporary_cancel": lambda: temporary_cancel(household, actor=actor, reason=d.get("reason", "")),
        "transfer": lambda: restructure.household_transfer(household, actor=actor, to_org=d.get("to_org"),
                                                           reason=d.get("reason", "")),
        "change_head": lambda: restructure.household_change_head(
            household, actor=actor, new_head=d.get("new_head"), reason=d.get("reason", ""),
            old_head_relation=d.get("old_head_relation") or "other",
        ),
        "split": lambda: restructure.household_split(
            household, actor=actor, members=d.get("members") or [], new_head=d.get("new_head"),
            reason=d.get("reason", ""),
        ),
        "merge": lambda: restructure.household_merge(household, actor=actor, other=d.get("other"),
                                                     reason=d.get("reason", "")),
        "reenter": lambda: restructure.household_reenter(household, actor=actor, reason=d.get("reason", "")),
    }
    if action not in handlers:
        raise ValidationError({"action": [_("Unknown action “%(action)s”.") % {"action": action}]})
    return handlers[action]()
