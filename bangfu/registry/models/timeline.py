"""The household's timeline: one row per thing that happened to the archive, written inside each action."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.core import context
from bangfu.registry.models.household import HouseholdPartQuerySet


class TimelineEvent(models.Model):
    """Append-only: who did what to the archive, when, from which state to which, and why.

    `kind` is a short machine name (e.g. "created", "transition", "member_added", "reclassified");
    `detail` carries the numbers (never clear identity numbers: masked values only).
    """

    scope_org_path = "household__org__path"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="timeline"
    )
    kind = models.CharField(_("event"), max_length=32)
    from_state = models.CharField(_("from state"), max_length=16, blank=True)
    to_state = models.CharField(_("to state"), max_length=16, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    actor_org = models.ForeignKey(
        "orgs.Org", verbose_name=_("union of the actor"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    objects = HouseholdPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["household_id", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


def record_event(household, kind: str, *, actor=None, reason: str = "", from_state: str = "", to_state: str = "",
                 **detail) -> TimelineEvent:
    """Write one timeline row; the actor defaults to the user of the current action context."""
    ctx = context.current()
    actor_id = getattr(actor, "pk", None) if actor is not None else ctx.user_id
    actor_org_id = getattr(actor, "org_id", None) if actor is not None else ctx.org_id
    return TimelineEvent.objects.create(
        household=household, kind=kind, reason=reason, from_state=from_state, to_state=to_state,
        detail=detail, actor_id=actor_id, actor_org_id=actor_org_id,
    )
