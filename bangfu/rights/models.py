"""Rights protection (维权): policy consultations and legal-aid cases linked to a household (DOMAIN.md §4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.registry.models.household import HouseholdPartQuerySet


class CaseKind(models.TextChoices):
    CONSULTATION = "consultation", _("Policy consultation")
    LEGAL_AID = "legal_aid", _("Legal aid")


class CaseTopic(models.TextChoices):
    SOCIAL_INSURANCE = "social_insurance", _("Social insurance")
    WAGES = "wages", _("Wages")
    WORKING_CONDITIONS = "working_conditions", _("Working conditions")
    LABOUR_CONTRACT = "labour_contract", _("Labour contract")
    OTHER = "other", _("Other")


class CaseState(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


class CaseOutcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved in the worker's favour")
    PARTLY = "partly", _("Partly resolved")
    NOT_RESOLVED = "not_resolved", _("Not resolved")
    REFERRED = "referred", _("Referred to another body")
    WITHDRAWN = "withdrawn", _("Withdrawn by the worker")
    ADVICE_GIVEN = "advice_given", _("Advice given")


# States in which a case is still being worked on (the "open cases" list).
OPEN_CASE_STATES = (CaseState.OPEN, CaseState.IN_PROGRESS)


class RightsCaseQuerySet(HouseholdPartQuerySet):
    """Scoped through the household's union (staff: its subtree); workers see none (no permission)."""

    def open(self):
        return self.filter(state__in=OPEN_CASE_STATES)


class RightsCase(models.Model):
    """A consultation or legal-aid case of a household member, its handling and how it ended.

    Written only by `bangfu.rights.services` (open, update, close, reopen), which check the dates against
    today and the household's record, the handler against the household's union line, and write the
    household's timeline; every change is in the field-level change log (the case's history).
    """

    scope_org_path = "household__org__path"

    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="rights_cases")
    kind = models.CharField(_("kind"), max_length=16, choices=CaseKind.choices)
    topic = models.CharField(_("topic"), max_length=24, choices=CaseTopic.choices)
    summary = models.TextField(_("what it is about"))
    opened_on = models.DateField(_("opened on"))
    state = models.CharField(_("state"), max_length=16, choices=CaseState.choices, default=CaseState.OPEN,
                             db_index=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handled by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    counterpart = models.CharField(_("employer or other party"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=CaseOutcome.choices, blank=True)
    outcome_note = models.TextField(_("outcome in words"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RightsCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("rights case")
        verbose_name_plural = _("rights cases")
        ordering = ["household_id", "-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(state="closed", closed_on__isnull=False) & ~models.Q(outcome=""))
                | (~models.Q(state="closed") & models.Q(closed_on__isnull=True)),
                name="rights_case_closed_with_outcome"),
        ]
        # The open-cases list: by state, newest first (the union subtree is matched through the household).
        indexes = [models.Index(fields=["state", "-opened_on", "-id"], name="rights_case_state_opened")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_topic_display()}"

    @property
    def is_closed(self) -> bool:
        return self.state == CaseState.CLOSED
