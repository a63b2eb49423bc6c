"""One household, one plan (一户一策): measures with owners and deadlines, and the rules that propose them.

* `Plan` — one per household: the "four clears" (size, situation, cause, needs) in the case worker's words.
* `Measure` — one thing the union will do: its function (relief / rights protection / service, DOMAIN.md §4),
  kind, owner, due date, state and outcome. A measure made from a recommendation points at it.
* `RecommendationRule` — a rule of the recommendation engine as data: a condition on the household's facts
  (`bangfu.plans.facts`) and the measures it proposes. Editing a rule writes a new version; the old one is
  kept (`is_current=False`) so every proposal can name the exact rule that made it.
* `Recommendation` — one proposed measure for one household, made by one rule version, waiting for the case
  worker to accept (as is or edited) or reject it with a reason.

Work lists (set-based querysets of `Measure.objects`, combinable with `restrict(user, "view")`):

    Measure.objects.due_for(user, within_days=7)   # open measures `user` owns, due within 7 days or overdue
    Measure.objects.overdue()                       # open measures whose due date has passed
    Measure.objects.due_within(7)                   # open measures due by today + 7 (overdue ones included)
    Measure.objects.open()                          # planned or in progress

Each counts only measures of open archives (a closed archive is read-only: its measures can no longer be
updated, so they would stay on a work list forever) and is one SQL query, e.g.
`Measure.objects.restrict(user, "view").overdue().values("owner").annotate(n=Count("id"))`.
"Today" is the local date (`timezone.localdate()`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.core.scoping import ReferenceQuerySet
from bangfu.registry.models.household import HouseholdPartQuerySet


class MeasureFunction(models.TextChoices):
    """The three functions of union help (seed §1.2)."""

    RELIEF = "relief", _("Relief")
    RIGHTS = "rights", _("Rights protection")
    SERVICE = "service", _("Service")


class MeasureKind(models.TextChoices):
    """What the measure is; the recommendation rules propose these (DOMAIN.md §4)."""

    SAFETY_NET = "safety_net", _("Government safety net (minimum-living enrolment)")
    LONG_TERM_RELIEF = "long_term_relief", _("Long-term regular relief")
    JOB_INFORMATION = "job_information", _("Job information")
    SKILLS_TRAINING = "skills_training", _("Skills training")
    STARTUP_SUPPORT = "startup_support", _("Start-up support")
    SCHOOL_AID = "school_aid", _("School aid (national aid and 金秋助学)")
    GRADUATE_PLACEMENT = "graduate_placement", _("Job placement after graduation")
    MEDICAL_INSURANCE = "medical_insurance", _("Medical insurance")
    MUTUAL_AID = "mutual_aid", _("Workers' medical mutual aid")
    TEMPORARY_FUNDS = "temporary_funds", _("Temporary union funds and goods")
    LEGAL_AID = "legal_aid", _("Policy consultation and legal aid")
    DISCOUNTS = "discounts", _("Consumer discounts")
    CARE = "care", _("Mental-health care")
    OTHER = "other", _("Other")


class MeasureState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_MEASURE_STATES = (MeasureState.PLANNED, MeasureState.IN_PROGRESS)


class Plan(models.Model):
    """The household's plan (一户一策): the four clears and the measures under it."""

    scope_org_path = "household__org__path"

    household = models.OneToOneField("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                     related_name="plan")
    situation = models.TextField(_("situation"), blank=True,
                                 help_text=_("The family's situation in a few sentences."))
    needs = models.TextField(_("needs"), blank=True, help_text=_("What the family needs most."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = HouseholdPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("household plan")
        verbose_name_plural = _("household plans")
        permissions = [("recommend_plan", "Run the recommendation engine for a household")]

    def __str__(self) -> str:
        return str(_("Plan of %(archive)s") % {"archive": self.household.archive_number})


class MeasureQuerySet(HouseholdPartQuerySet):
    def open(self):
        """Planned or in progress, of an archive that is still open."""
        from bangfu.registry.models.household import OPEN_STATES

        return self.filter(state__in=OPEN_MEASURE_STATES, household__state__in=OPEN_STATES)

    def due_within(self, days: int, *, today: dt.date | None = None):
        """Open measures due on or before today + `days` (overdue ones included)."""
        today = today or timezone.localdate()
        return self.open().filter(due_on__lte=today + dt.timedelta(days=max(int(days), 0)))

    def due_for(self, user, within_days: int, *, today: dt.date | None = None):
        """Open measures `user` owns that are due within `within_days` days or overdue (a person's work list)."""
        return self.due_within(within_days, today=today).filter(owner=user)

    def overdue(self, *, today: dt.date | None = None):
        """Open measures whose due date has passed."""
        return self.open().filter(due_on__lt=today or timezone.localdate())


class Measure(models.Model):
    """One measure of a plan: what, which function, who owns it, by when, and how it ended."""

    scope_org_path = "household__org__path"

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="measures")
    # Denormalised from the plan: scoping and the work lists filter on it without a join.
    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="measures")
    function = models.CharField(_("function"), max_length=16, choices=MeasureFunction.choices)
    kind = models.CharField(_("measure"), max_length=24, choices=MeasureKind.choices)
    description = models.TextField(_("description"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="owned_measures")
    due_on = models.DateField(_("due date"), db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=MeasureState.choices, default=MeasureState.PLANNED,
                             db_index=True)
    outcome = models.TextField(_("outcome"), blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    recommendation = models.OneToOneField("plans.Recommendation", verbose_name=_("recommended by"), null=True,
                                          blank=True, on_delete=models.PROTECT, related_name="measure")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["household_id", "due_on", "id"]
        indexes = [models.Index(fields=["owner", "state", "due_on"], name="measure_owner_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.due_on})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_MEASURE_STATES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on < timezone.localdate()


class RuleQuerySet(ReferenceQuerySet):
    def current(self):
        return self.filter(is_current=True)


class RecommendationRule(models.Model):
    """A rule of the recommendation engine, one row per version.

    `condition` is a tree over the household's facts (see `bangfu.plans.facts.FACTS`):
    `{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}` or a leaf `{"fact": "has_student", "op": "eq",
    "value": true}` (ops: eq, ne, gt, gte, lt, lte, in, contains). `proposals` is a list of
    `{"key": "...", "function": "...", "kind": "...", "description": "...", "due_days": 30}` — `key` is stable
    across versions, so a household is not proposed again what its case worker already decided.
    National rules: the same for every union (a union that wants other measures edits them, as data).
    """

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=120)
    title_en = models.CharField(_("title (English)"), max_length=120, blank=True)
    explanation = models.TextField(_("why this rule"), blank=True,
                                   help_text=_("The situation it answers, shown with each proposal."))
    condition = models.JSONField(_("condition"))
    proposals = models.JSONField(_("proposed measures"))
    priority = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)
    is_current = models.BooleanField(_("current version"), default=True, editable=False)
    source = models.CharField(_("source"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # National reference data: every signed-in staff member with the permission reads all of it.
    scope_org_path = None
    objects = RuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("recommendation rule")
        verbose_name_plural = _("recommendation rules")
        ordering = ["priority", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="recommendation_rule_version"),
            models.UniqueConstraint(fields=["code"], condition=models.Q(is_current=True),
                                    name="recommendation_rule_one_current"),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def display_title(self) -> str:
        """The title in the user's language (the English one when the page is in English and there is one)."""
        from django.utils.translation import get_language

        if self.title_en and not (get_language() or "zh-hans").startswith("zh"):
            return self.title_en
        return self.title


class RecommendationDecision(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    ACCEPTED = "accepted", _("Accepted")
    EDITED = "edited", _("Accepted with changes")
    REJECTED = "rejected", _("Rejected")


class Recommendation(models.Model):
    """One measure proposed for one household by one rule version, and the case worker's decision."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey("registry.Household", verbose_name=_("household"), on_delete=models.CASCADE,
                                  related_name="recommendations")
    rule = models.ForeignKey(RecommendationRule, verbose_name=_("rule"), on_delete=models.PROTECT,
                             related_name="recommendations")
    proposal_key = models.CharField(_("proposal"), max_length=40)
    function = models.CharField(_("function"), max_length=16, choices=MeasureFunction.choices)
    kind = models.CharField(_("measure"), max_length=24, choices=MeasureKind.choices)
    description = models.TextField(_("description"))
    due_days = models.PositiveSmallIntegerField(_("due in (days)"), default=30)
    facts = models.JSONField(_("facts that matched"), default=dict, blank=True)
    decision = models.CharField(_("decision"), max_length=16, choices=RecommendationDecision.choices,
                                default=RecommendationDecision.PENDING, db_index=True)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)

    objects = HouseholdPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["household_id", "created_at", "id"]
        constraints = [
            # One proposal per rule code and key per household stays open at a time.
            models.UniqueConstraint(fields=["household", "proposal_key"],
                                    condition=models.Q(decision="pending"), name="recommendation_one_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} → {self.get_kind_display()}"
