"""Local corrections to the national working-day calendar."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    """One day whose working/non-working status differs from (or is missing in) the calendar package.

    Used when the State Council announces the next year's holidays before the `chinese-calendar`
    package is updated, or for a day the platform must treat differently (e.g. a system-wide
    stop). An override always wins over the package and the Monday–Friday fallback.
    """

    class Source(models.TextChoices):
        STATE_COUNCIL = "state_council", _("State Council notice")
        LOCAL = "local", _("Local government decision")
        UNION = "union", _("Union decision")
        OTHER = "other", _("Other")

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"), help_text=_("Ticked: people work on this day. Unticked: a day off.")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("e.g. National Day make-up working day"))
    reason = models.TextField(_("reason"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.STATE_COUNCIL)
    reference = models.CharField(
        _("reference"), max_length=200, blank=True, help_text=_("Document number or web address of the notice")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["-date"]

    def __str__(self) -> str:
        kind = _("working day") if self.is_working_day else _("day off")
        return f"{self.date} {kind}: {self.name}"
