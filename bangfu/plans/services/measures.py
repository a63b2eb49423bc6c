"""Measures of a plan: added by hand (or from an accepted proposal), re-planned, moved through their states.

Rules (the same for pages and API):

* A new measure's due date is today or later; a changed due date too (an unchanged one may have passed).
* The owner is an active staff member who may update measures (`plans.change_measure`: case workers,
  reviewers, helpers) and whose union is the household's union or a union above it (its lineage: an owner of a
  union below could neither open nor update the measure, which is scoped by the household's union). Owners are
  looked up by id only among these (`eligible_owners`); anybody else gets one neutral message that says
  nothing about the person (`choose_an_owner`), so a typed id reveals no name.
* States: planned → in progress → done or cancelled (planned may go straight to done or cancelled); done and
  cancelled are final. Done needs the outcome; cancelled needs the reason, written in the outcome.
* Who: users who may add measures (`plans.add_measure`) manage every measure in their scope; a user who may
  only change measures (a helper) updates the state and outcome of the measures they own, nothing else.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bangfu.accounts.models import User
from bangfu.accounts.roles import ROLE_PERMISSIONS
from bangfu.plans.models import Measure, MeasureFunction, MeasureKind, MeasureState
from bangfu.plans.services.plans import ensure_plan, lock_household, today
from bangfu.registry.models.timeline import record_event

MAX_DESCRIPTION = 2000
MAX_OUTCOME = 4000
# The furthest a due date may be set (a typo such as 2062 for 2026 is refused).
MAX_DUE_YEARS = 5
# Roles whose holders may own a measure: they can update it.
OWNER_ROLES = tuple(sorted(role for role, perms in ROLE_PERMISSIONS.items() if "plans.change_measure" in perms))
TRANSITIONS = {
    MeasureState.PLANNED: (MeasureState.IN_PROGRESS, MeasureState.DONE, MeasureState.CANCELLED),
    MeasureState.IN_PROGRESS: (MeasureState.DONE, MeasureState.CANCELLED),
    MeasureState.DONE: (),
    MeasureState.CANCELLED: (),
}


def may_manage(user) -> bool:
    """Adds measures, changes due dates and owners, updates any measure in scope (case workers, reviewers)."""
    return user.has_role_permission("plans.add_measure")


def may_update(user, measure: Measure) -> bool:
    """May change this measure's state and outcome (managers: any; helpers: the ones they own)."""
    if not user.has_role_permission("plans.change_measure"):
        return False
    return may_manage(user) or measure.owner_id == user.pk


def _lineage_paths(path: str) -> list[str]:
    """The path of the household's union and of every union above it."""
    from bangfu.orgs.models import Org

    step = Org.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def eligible_owners(household):
    """Users who may own a measure of this household (see the module docstring)."""
    return (User.objects.filter(is_active=True, kind=User.Kind.STAFF, roles__role__in=OWNER_ROLES,
                                org__path__in=_lineage_paths(household.org.path))
            .select_related("org").distinct().order_by("org__path", "full_name", "username"))


def choose_an_owner() -> str:
    """The one refusal of an owner who is not eligible (or unknown): it tells nothing about the person."""
    return _("Choose a measure owner from the list: a person of this household's union or a union above it who "
             "may update measures.")


def eligible_owner(household, pk, *, keep=None):
    """The eligible owner with this id, or None (also for an id that is not one). `keep` (the measure's current
    owner) is found as well, so an unchanged owner who has since moved on does not block a re-plan."""
    if keep is not None and str(keep.pk) == str(pk):
        return keep
    if not str(pk).isdigit() or len(str(pk)) > 18:
        return None
    return eligible_owners(household).filter(pk=int(pk)).first()


def find_owner(household, pk, *, keep=None):
    """The owner named by id (None for no id), looked up only among the eligible owners (`eligible_owner`);
    any other id is refused with the neutral message, by field."""
    if pk in (None, ""):
        return None
    owner = eligible_owner(household, pk, keep=keep)
    if owner is None:
        raise ValidationError({"owner": [choose_an_owner()]})
    return owner


def check_owner(household, owner) -> None:
    if owner is None:
        raise ValidationError({"owner": [_("Choose who is responsible for the measure.")]})
    if not eligible_owners(household).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": [choose_an_owner()]})


def check_due_on(due_on, *, field: str = "due_on") -> None:
    if not isinstance(due_on, dt.date):
        raise ValidationError({field: [_("Enter the due date.")]})
    now = today()
    if due_on < now:
        raise ValidationError({field: [_("The due date %(date)s has passed: choose today (%(today)s) or a later "
                                         "date.") % {"date": due_on.isoformat(), "today": now.isoformat()}]})
    if due_on.year > now.year + MAX_DUE_YEARS:
        raise ValidationError({field: [_("The due date %(date)s is more than %(years)d years away: check the year.")
                                       % {"date": due_on.isoformat(), "years": MAX_DUE_YEARS}]})


def check_content(*, function: str, kind: str, description: str) -> str:
    errors = {}
    if function not in MeasureFunction.values:
        errors["function"] = [_("Choose the function of the measure (relief, rights protection or service).")]
    if kind not in MeasureKind.values:
        errors["kind"] = [_("Choose what kind of measure it is.")]
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("Describe what will be done.")]
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = [_("At most %(max)d characters.") % {"max": MAX_DESCRIPTION}]
    if errors:
        raise ValidationError(errors)
    return description


def create_measure(household, user, *, function, kind, description, owner, due_on, recommendation=None) -> Measure:
    """Validate and create one measure (inside the caller's transaction, household locked)."""
    description = check_content(function=function, kind=kind, description=description)
    check_due_on(due_on)
    check_owner(household, owner)
    plan = ensure_plan(household, user)
    return Measure.objects.create(plan=plan, household=household, function=function, kind=kind,
                                  description=description, owner=owner, due_on=due_on,
                                  recommendation=recommendation, created_by=user)


@transaction.atomic
def measure_add(household, user, *, function: str, kind: str, description: str, owner, due_on) -> Measure:
    """Add a measure to the household's plan by hand."""
    if not may_manage(user):
        raise PermissionDenied
    household = lock_household(household)
    measure = create_measure(household, user, function=function, kind=kind, description=description, owner=owner,
                             due_on=due_on)
    record_event(household, "measure_added", actor=user, **measure_detail(measure))
    return measure


def measure_detail(measure: Measure) -> dict:
    """What a timeline row says about a measure (no description: it may hold family matters)."""
    return {"measure_kind": measure.kind, "function": measure.function, "due_on": measure.due_on.isoformat(),
            "owner": str(measure.owner)}


def _locked(measure: Measure) -> Measure:
    lock_household(measure.household)
    return Measure.objects.select_related("household", "owner").select_for_update().get(pk=measure.pk)


@transaction.atomic
def measure_update(measure: Measure, user, *, due_on, owner) -> Measure:
    """Re-plan an open measure: its due date and owner (managers only)."""
    if not may_manage(user):
        raise PermissionDenied
    measure = _locked(measure)
    if not measure.is_open:
        raise ValidationError(_("This measure is %(state)s: it can no longer be re-planned.")
                              % {"state": measure.get_state_display()}, code="final")
    changes = {}
    if due_on != measure.due_on:
        check_due_on(due_on)
        changes["due_on"] = [measure.due_on.isoformat(), due_on.isoformat() if due_on else ""]
    if owner is None or owner.pk != measure.owner_id:
        check_owner(measure.household, owner)
        changes["owner"] = [str(measure.owner), str(owner)]
    if not changes:
        return measure
    measure.due_on, measure.owner = due_on, owner
    measure.save(update_fields=["due_on", "owner", "updated_at"])
    record_event(measure.household, "measure_updated", actor=user, measure_kind=measure.kind, changes=changes)
    return measure


@transaction.atomic
def measure_set_state(measure: Measure, user, *, state: str, outcome: str = "") -> Measure:
    """Move a measure to its next state; done needs the outcome, cancelled the reason (in the outcome)."""
    if not may_update(user, measure):
        raise PermissionDenied
    measure = _locked(measure)
    if not may_update(user, measure):  # the owner may have changed meanwhile
        raise PermissionDenied
    outcome = (outcome or "").strip()
    if state not in MeasureState.values:
        raise ValidationError({"state": [_("Choose a state.")]})
    if not measure.is_open:
        raise ValidationError({"state": [_("This measure is %(state)s: it can no longer change.")
                                         % {"state": measure.get_state_display()}]})
    allowed = TRANSITIONS[measure.state]
    if state != measure.state and state not in allowed:
        raise ValidationError({"state": [_("A measure that is %(from)s can only become: %(to)s.") % {
            "from": measure.get_state_display(), "to": ", ".join(str(MeasureState(s).label) for s in allowed)}]})
    if state == MeasureState.DONE and not outcome:
        raise ValidationError({"outcome": [_("Say what came of the measure before marking it done.")]})
    if state == MeasureState.CANCELLED and not outcome:
        raise ValidationError({"outcome": [_("Give the reason why the measure is cancelled.")]})
    if len(outcome) > MAX_OUTCOME:
        raise ValidationError({"outcome": [_("At most %(max)d characters.") % {"max": MAX_OUTCOME}]})
    if state == measure.state and outcome == measure.outcome:
        return measure
    old = measure.state
    measure.state, measure.outcome = state, outcome
    if state == MeasureState.DONE:
        measure.completed_on = today()
    measure.save(update_fields=["state", "outcome", "completed_on", "updated_at"])
    if old != state:
        record_event(measure.household, "measure_state_changed", actor=user, measure_kind=measure.kind,
                     old_state=old, new_state=state)
    return measure
