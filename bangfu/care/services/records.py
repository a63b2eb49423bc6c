"""Care plans, counselling sessions and group activities: recorded by counsellors, read by counsellors only."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.accounts.roles import Role
from bangfu.care.models import ActivityKind, CarePlan, CarePlanState, CounsellingSession, GroupActivity, SessionKind

MAX_TEXT = 5000  # notes, goals: a page of text at most


def _require(user, permission: str) -> None:
    if not user.has_role_permission(permission):
        raise PermissionDenied


def _not_in_future(day, field: str, errors: dict, missing: str, future: str) -> None:
    if day is None:
        errors[field] = [missing]
    elif day > timezone.localdate():
        errors[field] = [future]


def _text(value, field: str, errors: dict) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        errors[field] = [_("At most %(count)d characters.") % {"count": MAX_TEXT}]
    return text


def counsellor_may_serve(counsellor, household) -> bool:
    """A counsellor of the household's union or of a union above it (they see the household)."""
    return bool(counsellor.is_active and counsellor.org_id and counsellor.has_role(Role.COUNSELLOR)
                and household.org.path.startswith(counsellor.org.path))


def counsellor_options(household):
    """Counsellors who may be in charge of a household's care: active, of its union or a union above it."""
    from bangfu.accounts.models import User
    from bangfu.care.services.crisis import lineage_paths

    return (User.objects.filter(is_active=True, kind=User.Kind.STAFF, roles__role=Role.COUNSELLOR,
                                org__path__in=lineage_paths(household.org.path))
            .select_related("org").order_by("-org__depth", "full_name", "username").distinct())


# --- care plans ------------------------------------------------------------------------------------------


def open_care_plan(household, user, *, opened_on, goals: str = "", counsellor=None) -> CarePlan:
    """Open the household's care plan (a closed one is re-opened: one plan per household, its history in the
    change log). `counsellor` is the counsellor in charge (the user when not given)."""
    _require(user, "care.add_careplan")
    counsellor = counsellor or user
    errors: dict = {}
    _not_in_future(opened_on, "opened_on", errors, _("Give the date the care plan starts."),
                   _("A care plan cannot start in the future."))
    goals = _text(goals, "goals", errors)
    if not counsellor_may_serve(counsellor, household):
        errors["counsellor"] = [_("Choose a counsellor of the household's union or of a union above it.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan = CarePlan.objects.select_for_update().filter(household=household).first()
        if plan is not None and plan.state == CarePlanState.OPEN:
            raise ValidationError(_("This household already has an open care plan: change it instead."))
        plan = plan or CarePlan(household=household)
        plan.state, plan.opened_on, plan.closed_on = CarePlanState.OPEN, opened_on, None
        plan.goals, plan.counsellor = goals, counsellor
        _save_plan(plan)
    return plan


def _save_plan(plan: CarePlan) -> None:
    """Save a care plan; losing the race for a household's first plan is a clear refusal, not an error page.

    Two counsellors opening the first plan of one household at the same moment both find none (there is no row
    to lock yet); the one-plan-per-household unique index lets only the first insert through and the second
    gets an IntegrityError, turned here into a message (the savepoint keeps the caller's transaction usable)."""
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:
        raise ValidationError(_("Another counsellor opened a care plan for this household at the same moment: "
                                "reload the page to see it and change it instead.")) from None


def update_care_plan(plan: CarePlan, user, *, goals: str, counsellor=None) -> CarePlan:
    """Change the goals and approach, or the counsellor in charge, of an open plan."""
    _require(user, "care.change_careplan")
    errors: dict = {}
    goals = _text(goals, "goals", errors)
    counsellor = counsellor or plan.counsellor or user
    if counsellor.pk != plan.counsellor_id and not counsellor_may_serve(counsellor, plan.household):
        errors["counsellor"] = [_("Choose a counsellor of the household's union or of a union above it.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan = CarePlan.objects.select_for_update().get(pk=plan.pk)
        if plan.state != CarePlanState.OPEN:
            raise ValidationError(_("This care plan is closed: open it again to change it."))
        plan.goals, plan.counsellor = goals, counsellor
        plan.save(update_fields=["goals", "counsellor", "updated_at"])
    return plan


def close_care_plan(plan: CarePlan, user, *, closed_on) -> CarePlan:
    """Close an open plan on a day between its start and today."""
    _require(user, "care.change_careplan")
    errors: dict = {}
    _not_in_future(closed_on, "closed_on", errors, _("Give the date the care plan ends."),
                   _("A care plan cannot be closed on a future date."))
    if closed_on is not None and closed_on < plan.opened_on:
        errors["closed_on"] = [_("A care plan cannot end before it started (%(date)s).") % {
            "date": plan.opened_on.isoformat()}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan = CarePlan.objects.select_for_update().get(pk=plan.pk)
        if plan.state != CarePlanState.OPEN:
            raise ValidationError(_("This care plan is already closed."))
        plan.state, plan.closed_on = CarePlanState.CLOSED, closed_on
        plan.save(update_fields=["state", "closed_on", "updated_at"])
    return plan


# --- counselling sessions --------------------------------------------------------------------------------


def record_session(household, user, *, kind: str, held_on, member=None, notes: str = "",
                   next_step: str = "") -> CounsellingSession:
    """One counselling contact with the household (or one of its members), by the user as counsellor."""
    _require(user, "care.add_counsellingsession")
    errors: dict = {}
    if kind not in SessionKind.values:
        errors["kind"] = [_("Choose the kind of session.")]
    _not_in_future(held_on, "held_on", errors, _("Give the date of the session."),
                   _("A session cannot be recorded before it took place (the date is in the future)."))
    if member is not None and member.household_id != household.pk:
        errors["member"] = [_("Choose a member of this household.")]
    notes = _text(notes, "notes", errors)
    next_step = _text(next_step, "next_step", errors)
    if errors:
        raise ValidationError(errors)
    return CounsellingSession.objects.create(household=household, member=member, kind=kind, held_on=held_on,
                                             counsellor=user, notes=notes, next_step=next_step)


# --- group activities ------------------------------------------------------------------------------------


def _activity_errors(org, *, kind, title, held_on, participant_count, households, notes) -> tuple[dict, dict]:
    errors: dict = {}
    if kind not in ActivityKind.values:
        errors["kind"] = [_("Choose the kind of activity.")]
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Give the activity a title.")]
    elif len(title) > 200:
        errors["title"] = [_("At most %(count)d characters.") % {"count": 200}]
    _not_in_future(held_on, "held_on", errors, _("Give the date of the activity."),
                   _("Record an activity once it was held (the date is in the future)."))
    outside = [h.archive_number for h in households if not h.org.path.startswith(org.path)]
    if outside:
        errors["households"] = [_("Not households of %(union)s or a union below it: %(numbers)s.") % {
            "union": org.name, "numbers": ", ".join(outside)}]
    if participant_count is None or participant_count < 0:
        errors["participant_count"] = [_("Give the number of participants.")]
    elif participant_count < len(households):
        errors["participant_count"] = [_("%(count)d households took part: the number of participants cannot "
                                         "be smaller.") % {"count": len(households)}]
    notes = _text(notes, "notes", errors)
    return errors, {"kind": kind, "title": title, "held_on": held_on, "participant_count": participant_count,
                    "notes": notes}


def record_activity(org, user, *, kind: str, title: str, held_on, participant_count: int, households=(),
                    notes: str = "", counsellor=None) -> GroupActivity:
    """A lecture or group activity of `org`, with the households of its subtree that took part."""
    _require(user, "care.add_groupactivity")
    if not user.org_id or not org.path.startswith(user.org.path):
        raise PermissionDenied
    households = list(households)
    errors, values = _activity_errors(org, kind=kind, title=title, held_on=held_on,
                                      participant_count=participant_count, households=households, notes=notes)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        activity = GroupActivity.objects.create(org=org, counsellor=counsellor or user, **values)
        activity.households.set(households)
    return activity


def update_activity(activity: GroupActivity, user, *, kind: str, title: str, held_on, participant_count: int,
                    households=(), notes: str = "") -> GroupActivity:
    _require(user, "care.change_groupactivity")
    households = list(households)
    errors, values = _activity_errors(activity.org, kind=kind, title=title, held_on=held_on,
                                      participant_count=participant_count, households=households, notes=notes)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for name, value in values.items():
            setattr(activity, name, value)
        activity.save()
        activity.households.set(households)
    return activity
