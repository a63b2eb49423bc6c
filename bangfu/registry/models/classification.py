"""Classification parameters, stored results, need-score weights and bulk re-classification runs (DOMAIN.md §1).

Parameters are data with an effective date per division (fallback: the division's city, then its
province, then the national default row with division NULL); formulas are code with a version
(`bangfu.registry.classification.formulas`).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bangfu.core.scoping import ScopedQuerySet
from bangfu.registry.models.household import Scheme

DEFAULT_COMMON_LEVELS = {
    "A_dibao": "deep", "A_marginal": "relative", "A_accident": "accident",
    "B_deep": "deep", "B_relative": "relative", "B_accident": "accident",
    "none": "none",
}


def default_common_levels() -> dict:
    return dict(DEFAULT_COMMON_LEVELS)


class ClassificationPolicy(models.Model):
    """Which standard a division uses and the multipliers of DOMAIN.md §1, from a date on.

    The row in force for a household: the most specific of (its division, its city, its province,
    the national default = no division) that has a row effective on or before the evaluation date;
    within that division, the latest such row.
    """

    division = models.ForeignKey(
        "orgs.Division", verbose_name=_("division"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Empty: the national default."),
    )
    scheme = models.CharField(_("standard"), max_length=1, choices=Scheme.choices, default=Scheme.A)
    effective_from = models.DateField(_("effective from"))
    marginal_multiplier = models.DecimalField(
        _("marginal band (× line)"), max_digits=6, decimal_places=3, default=Decimal("1.5"),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    relative_multiplier = models.DecimalField(
        _("relative hardship (× line)"), max_digits=6, decimal_places=3, default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    accident_pci_multiplier = models.DecimalField(
        _("accident test income branch (× line)"), max_digits=6, decimal_places=3, default=Decimal("3"),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    accident_cost_share = models.DecimalField(
        _("accident costs share of annual income"), max_digits=5, decimal_places=3, default=Decimal("0.80"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10"))],
    )
    financial_assets_multiplier = models.DecimalField(
        _("financial assets per person (× line)"), max_digits=6, decimal_places=2, default=Decimal("24"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    consecutive_months = models.PositiveSmallIntegerField(
        _("consecutive months below the line"), default=6, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    working_age_from = models.PositiveSmallIntegerField(_("working age from"), default=16)
    working_age_to = models.PositiveSmallIntegerField(_("working age to (inclusive)"), default=60)
    common_levels = models.JSONField(
        _("category → common level"), default=default_common_levels, blank=True,
        help_text=_("Mapping of each category to the common level used by statistics, funds and offers."),
    )
    source = models.CharField(_("source"), max_length=300)
    illustrative = models.BooleanField(
        _("illustrative value"), default=False, help_text=_("Not taken from a cited official source.")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("classification policy")
        verbose_name_plural = _("classification policies")
        ordering = ["division_id", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["division", "effective_from"], name="uniq_policy_per_date"),
            models.UniqueConstraint(
                fields=["effective_from"], condition=Q(division__isnull=True), name="uniq_default_policy_per_date"
            ),
        ]

    def __str__(self) -> str:
        where = self.division or _("national default")
        return f"{where} {self.scheme} ({self.effective_from})"


class ClassificationQuerySet(ScopedQuerySet):
    def restrict_for_worker(self, user, action):
        if action != "view":
            return self.none()
        return self.filter(household__members__account=user)


class Classification(models.Model):
    """One stored result of the engine for a household, with its explanation (append-only)."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="classifications"
    )
    evaluated_on = models.DateField(_("evaluated on"))
    scheme = models.CharField(_("standard"), max_length=1, choices=Scheme.choices, blank=True)
    category = models.CharField(_("category"), max_length=16, blank=True)
    common_level = models.CharField(_("common level"), max_length=16, blank=True)
    formula_version = models.CharField(_("formula version"), max_length=16)
    explanation = models.JSONField(_("explanation"), default=dict)
    inputs_digest = models.CharField(_("inputs digest"), max_length=64)
    need_score = models.DecimalField(_("need score"), max_digits=7, decimal_places=2, null=True, blank=True)
    run = models.ForeignKey(
        "registry.ReclassificationRun", verbose_name=_("bulk run"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    is_current = models.BooleanField(_("current"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ClassificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("classification")
        verbose_name_plural = _("classifications")
        ordering = ["household_id", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(is_current=True), name="one_current_classification"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.category or '-'} {self.evaluated_on}"

    def get_category_display(self) -> str:
        from bangfu.registry.models.household import Category

        if not self.category:
            return str(_("Cannot classify"))
        return str(Category(self.category).label) if self.category in Category.values else self.category


class NeedScoreWeights(models.Model):
    """Weights of the need score (transparent, configurable), from a date on; the latest in force is used."""

    effective_from = models.DateField(_("effective from"), unique=True)
    income_gap = models.DecimalField(
        _("points per tenth of the line the income falls short"), max_digits=6, decimal_places=2, default=Decimal("5"),
    )
    income_gap_cap = models.DecimalField(
        _("maximum points for the income gap"), max_digits=6, decimal_places=2, default=Decimal("40")
    )
    dependant = models.DecimalField(
        _("points per dependant (under 16 or over 60)"), max_digits=6, decimal_places=2, default=Decimal("5")
    )
    serious_illness = models.DecimalField(
        _("points per member with a serious disease"), max_digits=6, decimal_places=2, default=Decimal("10")
    )
    disability = models.DecimalField(
        _("points per member with a disability"), max_digits=6, decimal_places=2, default=Decimal("8")
    )
    student = models.DecimalField(_("points per student"), max_digits=6, decimal_places=2, default=Decimal("4"))
    urgent_care = models.DecimalField(
        _("points for the urgent-care flag"), max_digits=6, decimal_places=2, default=Decimal("15")
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("need score weights")
        verbose_name_plural = _("need score weights")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.effective_from}"


class ReclassificationRun(models.Model):
    """A proposed bulk re-classification after a new line or policy: reviewed, then applied or discarded."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPLIED = "applied", _("Applied")
        DISCARDED = "discarded", _("Discarded")

    class Trigger(models.TextChoices):
        LINE = "line", _("New minimum-living line or minimum wage")
        POLICY = "policy", _("New classification policy")
        MANUAL = "manual", _("Started by hand")

    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    trigger_detail = models.CharField(_("trigger detail"), max_length=300, blank=True)
    division = models.ForeignKey(
        "orgs.Division", verbose_name=_("division"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Empty: every division."),
    )
    evaluated_on = models.DateField(_("evaluation date"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    households_checked = models.PositiveIntegerField(_("households checked"), default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("re-classification run")
        verbose_name_plural = _("re-classification runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.evaluated_on}"


class ReclassificationRowQuerySet(ScopedQuerySet):
    pass


class ReclassificationRow(models.Model):
    """One household whose category the run would change."""

    scope_org_path = "household__org__path"

    run = models.ForeignKey(ReclassificationRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="rows")
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="+"
    )
    old_category = models.CharField(_("old category"), max_length=16, blank=True)
    new_category = models.CharField(_("new category"), max_length=16, blank=True)
    applied = models.BooleanField(_("applied"), default=False)

    objects = ReclassificationRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("re-classification change")
        verbose_name_plural = _("re-classification changes")
        ordering = ["run_id", "household_id"]
        constraints = [models.UniqueConstraint(fields=["run", "household"], name="reclass_row_once")]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.old_category} → {self.new_category}"
