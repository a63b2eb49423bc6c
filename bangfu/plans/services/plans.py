"""The household's plan (一户一策): created on first use, and its four clears (DOMAIN.md §4).

Two of the four clears come from the archive and are never copied: the household size and the causes. The
plan holds the other two in the case worker's words: the family's situation and what it needs most.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.plans.models import Plan
from bangfu.registry.models import CLOSED_STATES, Household
from bangfu.registry.models.timeline import record_event

MAX_TEXT = 4000


def today() -> dt.date:
    return timezone.localdate()


def ensure_open(household: Household) -> None:
    """A closed archive is read-only (DOMAIN.md §3): its plan and measures can no longer change."""
    if household.state in CLOSED_STATES:
        raise ValidationError(
            _("This archive is closed (%(state)s): its plan and measures can no longer be changed.")
            % {"state": household.get_state_display()}, code="closed")


def lock_household(household: Household) -> Household:
    """Re-read the household under a row lock (plan writes of one household queue up) and refuse a closed one."""
    locked = Household.objects.select_for_update().get(pk=household.pk)
    ensure_open(locked)
    return locked


def ensure_plan(household: Household, user) -> Plan:
    """The household's plan, created (with a timeline row) if it has none yet. Call inside a transaction."""
    plan = Plan.objects.filter(household=household).first()
    if plan is None:
        plan = Plan.objects.create(household=household, created_by=user)
        record_event(household, "plan_created", actor=user)
    return plan


@transaction.atomic
def plan_update(household: Household, user, *, situation: str, needs: str) -> Plan:
    """Record the family's situation and needs (the two clears the archive does not hold)."""
    if not user.has_role_permission("plans.change_plan"):
        raise PermissionDenied
    household = lock_household(household)
    situation, needs = (situation or "").strip(), (needs or "").strip()
    errors = {}
    for field, value in (("situation", situation), ("needs", needs)):
        if len(value) > MAX_TEXT:
            errors[field] = [_("At most %(max)d characters.") % {"max": MAX_TEXT}]
    if errors:
        raise ValidationError(errors)
    plan = ensure_plan(household, user)
    changed = [name for name, value in (("situation", situation), ("needs", needs)) if getattr(plan, name) != value]
    if changed:
        plan.situation, plan.needs = situation, needs
        plan.save(update_fields=["situation", "needs", "updated_at"])
        # The row names what changed, never the text (it may describe illness or family matters).
        record_event(household, "plan_updated", actor=user, fields=changed)
    return plan
