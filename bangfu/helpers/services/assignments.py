"""Responsible helpers: assign, hand over, end (DOMAIN.md §4).

    assign_helper(household, *, mode, helper=None, helper_org=None, helper_kind, starts_on, actor)
    hand_over(assignment, *, mode, to_helper=None, to_helper_org=None, helper_kind, on, reason, actor)
    end_assignment(assignment, *, on, reason, actor)

Each is one transaction under a lock of the household row; a refusal raises `ValidationError` with messages by
field (`mode`, `helper`, `helper_org`, `helper_kind`, `starts_on` / `on`, `reason`, `__all__`) and saves nothing.
A handover ends the current row (its end date, the reason, `handed_over_to` pointing at the next row) and starts
the next one on the same day: the history stays as rows. The partial unique index keeps one current assignment
per household even when two people assign at once; the loser gets a clear message, not an IntegrityError.
The new helper is notified; every step writes a timeline row (group "helpers").

Decisions (see also `bangfu.helpers.rules`):
* Which archives: active ones, and those in public notice or waiting for approval (`ASSIGNABLE_STATES`), so
  help can start on the day of approval; exited, refused, cancelled or merged archives get no new helper.
* Dates: a start or handover date is never in the future (a helper is assigned when they take over, not in
  advance: "current" means responsible today) and never before the household existed (the earlier of the
  archive's creation and its application date). A handover is not before the current helper's start; a new
  period after an ended one does not start before that end. The old row ends on the handover day and the new
  one starts that same day.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bangfu.helpers.frequencies import frequencies_for, visit_due_on
from bangfu.helpers.models import ASSIGNABLE_STATES, HelperAssignment, HelperMode
from bangfu.helpers.rules import helper_refusal, household_existed_on
from bangfu.registry.models import Household, record_event

MAX_REASON = 200  # HelperAssignment.end_reason


def _lock(household) -> Household:
    return Household.objects.select_for_update().select_related("org").get(pk=household.pk)


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _check_household(household, errors: dict) -> None:
    if household.state not in ASSIGNABLE_STATES:
        _add(errors, NON_FIELD_ERRORS, _(
            "Only active archives, and archives in public notice or waiting for approval, get a responsible "
            "helper; this archive is “%(state)s”.") % {"state": household.get_state_display()})


def _check_responsible(household, mode: str, helper, helper_org, errors: dict, actor=None):
    """The person (pairing, accountable) or the union (union mode); returns the helper's union to store."""
    if mode not in HelperMode.values:
        _add(errors, "mode", _("Choose a mode of the list."))
        return None
    if mode == HelperMode.UNION:
        if helper is not None:
            _add(errors, "helper", _("In the union mode the union as a whole is responsible: leave the person "
                                     "empty."))
        if helper_org is None:
            _add(errors, "helper_org", _("Choose the union that is responsible."))
        elif not household.org.path.startswith(helper_org.path):
            _add(errors, "helper_org", _("%(union)s is neither this household's union nor a union above it.")
                 % {"union": helper_org.name})
        return helper_org
    if helper is None:
        _add(errors, "helper", _("Choose the responsible helper."))
        return None
    refusal = helper_refusal(household, helper, actor)
    if refusal:
        _add(errors, "helper", refusal)
        return None
    return helper.org  # the helper's union at the time of the assignment


def _check_kind(household, helper_kind: str, errors: dict) -> None:
    if not helper_kind or helper_kind not in frequencies_for(household.org):
        _add(errors, "helper_kind", _("Choose a kind of helper of the list."))


def _check_day(day, errors: dict, field: str, *, not_before: dt.date, not_before_message: str) -> None:
    today = timezone.localdate()
    if day is None:
        _add(errors, field, _("Give the date."))
    elif day > today:
        _add(errors, field, _("The date cannot be in the future (today is %(today)s).") % {"today": today})
    elif day < not_before:
        _add(errors, field, not_before_message)


def _existed_message(household) -> str:
    return _("The household's archive exists only since %(date)s: the date cannot be before it.") % {
        "date": household_existed_on(household)}


def _save_new(assignment: HelperAssignment) -> None:
    try:
        with transaction.atomic():  # a savepoint: the outer transaction stays usable for the clear message
            assignment.save()
    except IntegrityError:
        # Another current assignment was committed meanwhile (the partial unique index).
        raise ValidationError({NON_FIELD_ERRORS: [_(
            "Somebody else gave this household a responsible helper at the same moment; reload the page to see "
            "who, and hand it over if needed.")]}) from None


def _describe(assignment: HelperAssignment) -> dict:
    return {"mode": assignment.mode, "helper": assignment.responsible, "helper_kind": assignment.helper_kind,
            "helper_org": assignment.helper_org.name}


def _notify_new_helper(assignment: HelperAssignment, *, handover: bool) -> None:
    if assignment.helper is None:
        return
    from bangfu.notifications.services import notify

    household = assignment.household
    due = visit_due_on(assignment)
    # The notice is read later, in the platform's language (the actor's may differ).
    with translation.override(settings.LANGUAGE_CODE):
        title = (_("Household %(archive)s was handed over to you") if handover else
                 _("You are the responsible helper of household %(archive)s")) % {
            "archive": household.archive_number}
        body = _("Mode: %(mode)s. From %(start)s. Next visit due by %(due)s.") % {
            "mode": assignment.get_mode_display(), "start": assignment.starts_on, "due": due}
    notify([assignment.helper], kind="helper_assigned", title=title, body=body,
           link=reverse("registry:detail", args=[household.pk]))


@transaction.atomic
def assign_helper(household, *, mode: str, helper=None, helper_org=None, helper_kind: str, starts_on, actor
                  ) -> HelperAssignment:
    """Give a household without a current helper its responsible helper (a person, or the union as a whole)."""
    household = _lock(household)
    errors: dict = {}
    _check_household(household, errors)
    current = HelperAssignment.objects.current().filter(household=household).first()
    if current is not None:
        _add(errors, NON_FIELD_ERRORS, _(
            "This household already has a responsible helper (%(helper)s since %(date)s): hand it over instead.")
            % {"helper": current.responsible, "date": current.starts_on})
    org = _check_responsible(household, mode, helper, helper_org, errors, actor)
    _check_kind(household, helper_kind, errors)
    previous_end = (HelperAssignment.objects.filter(household=household, ends_on__isnull=False)
                    .order_by("-ends_on").values_list("ends_on", flat=True).first())
    existed = household_existed_on(household)
    if previous_end and previous_end > existed:
        _check_day(starts_on, errors, "starts_on", not_before=previous_end, not_before_message=_(
            "The previous helper was responsible until %(date)s: the new period cannot start before that.")
            % {"date": previous_end})
    else:
        _check_day(starts_on, errors, "starts_on", not_before=existed, not_before_message=_existed_message(household))
    if errors:
        raise ValidationError(errors)
    assignment = HelperAssignment(
        household=household, mode=mode, helper=helper if mode != HelperMode.UNION else None, helper_org=org,
        helper_kind=helper_kind, starts_on=starts_on, created_by=actor if getattr(actor, "pk", None) else None,
    )
    _save_new(assignment)
    record_event(household, "helper_assigned", actor=actor, starts_on=str(starts_on), **_describe(assignment))
    _notify_new_helper(assignment, handover=False)
    return assignment


def _locked_current(assignment: HelperAssignment):
    household = _lock(assignment.household)
    locked = HelperAssignment.objects.select_for_update(of=("self",)).select_related("helper", "helper_org").get(
        pk=assignment.pk)
    locked.household = household
    return household, locked


def _check_end(assignment, on, reason: str, errors: dict, *, early: str) -> str:
    if assignment.ends_on is not None:
        _add(errors, NON_FIELD_ERRORS, _(
            "This helper's period already ended on %(date)s: only the current helper can be handed over or "
            "ended.") % {"date": assignment.ends_on})
        return ""
    _check_day(on, errors, "on", not_before=assignment.starts_on,
               not_before_message=early % {"date": assignment.starts_on})
    reason = (reason or "").strip()
    if not reason:
        _add(errors, "reason", _("Give the reason."))
    elif len(reason) > MAX_REASON:
        _add(errors, "reason", _("Keep the reason under %(count)d characters.") % {"count": MAX_REASON})
    return reason


@transaction.atomic
def hand_over(assignment: HelperAssignment, *, mode: str, to_helper=None, to_helper_org=None, helper_kind: str,
              on, reason: str, actor) -> HelperAssignment:
    """End the current assignment on `on` with `reason` and start the next one the same day (history kept)."""
    household, old = _locked_current(assignment)
    errors: dict = {}
    reason = _check_end(old, on, reason, errors, early=_(
        "The handover cannot be before the current helper's start (%(date)s)."))
    _check_household(household, errors)
    org = _check_responsible(household, mode, to_helper, to_helper_org, errors, actor)
    _check_kind(household, helper_kind, errors)
    same_person = (to_helper is not None and to_helper.pk == old.helper_id) or (
        mode == HelperMode.UNION and old.mode == HelperMode.UNION and org is not None and org.pk == old.helper_org_id)
    if not errors and same_person and mode == old.mode and helper_kind == old.helper_kind:
        _add(errors, "helper", _("The household already has this helper in this mode: choose another helper, mode "
                                 "or kind."))
    if errors:
        raise ValidationError(errors)
    old.ends_on, old.end_reason = on, reason
    old.save(update_fields=["ends_on", "end_reason"])
    new = HelperAssignment(
        household=household, mode=mode, helper=to_helper if mode != HelperMode.UNION else None, helper_org=org,
        helper_kind=helper_kind, starts_on=on, created_by=actor if getattr(actor, "pk", None) else None,
    )
    _save_new(new)
    old.handed_over_to = new
    old.save(update_fields=["handed_over_to"])
    record_event(household, "helper_handed_over", actor=actor, reason=reason, on=str(on),
                 previous=old.responsible, **_describe(new))
    _notify_new_helper(new, handover=True)
    return new


@transaction.atomic
def end_assignment(assignment: HelperAssignment, *, on, reason: str, actor) -> HelperAssignment:
    """End the current assignment without a successor (the household is then listed as without a helper)."""
    household, old = _locked_current(assignment)
    errors: dict = {}
    reason = _check_end(old, on, reason, errors, early=_(
        "The end cannot be before the current helper's start (%(date)s)."))
    if errors:
        raise ValidationError(errors)
    old.ends_on, old.end_reason = on, reason
    old.save(update_fields=["ends_on", "end_reason"])
    record_event(household, "helper_ended", actor=actor, reason=reason, on=str(on), helper=old.responsible,
                 mode=old.mode)
    return old


def end_for_closed_archive(sender, *, household, to_state, actor, on, **kwargs) -> int:
    """An archive that is refused, exited, cancelled or merged needs no helper: its current assignment ends on
    the day of the decision (never before the assignment's own start), with the state as the reason, and the
    timeline says so. Receiver of `registry.signals.household_state_changed`; returns how many ended."""
    from bangfu.registry.models import CLOSED_STATES, State

    if to_state not in CLOSED_STATES:
        return 0
    current = HelperAssignment.objects.current().filter(household=household).first()
    if current is None:
        return 0
    reason = _("The archive was closed: %(state)s") % {"state": State(to_state).label}
    current.ends_on, current.end_reason = max(on, current.starts_on), reason
    current.save(update_fields=["ends_on", "end_reason"])
    record_event(household, "helper_ended", actor=actor, reason=reason, on=str(current.ends_on),
                 helper=current.responsible, mode=current.mode)
    return 1
