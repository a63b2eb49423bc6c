"""Incomes per member per month, expenses, and the assets declaration (DOMAIN.md §1)."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.registry.models.household import HouseholdPartQuerySet


class MonthlyIncome(models.Model):
    """One member's income of one type in one month (month = first day of the month).

    Whether a type counts towards household income is a flag of the income-type code list
    (`flags.counts`): union relief counts, the basic residents' pension does not.
    """

    scope_org_path = "household__org__path"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="incomes"
    )
    member = models.ForeignKey(
        "registry.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="incomes"
    )
    month = models.DateField(_("month"))
    income_type = models.CharField(_("income type"), max_length=24)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )

    objects = HouseholdPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly income")
        verbose_name_plural = _("monthly incomes")
        ordering = ["household_id", "month", "member_id", "income_type"]
        constraints = [
            models.UniqueConstraint(fields=["member", "month", "income_type"], name="income_once_per_month_type"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="income_not_negative"),
        ]
        indexes = [models.Index(fields=["household", "month"], name="income_household_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.income_type} {self.amount}"


class ExpenseGroup(models.TextChoices):
    """Rigid expenses count in the marginal and Standard B tests; accident costs only in the accident tests."""

    RIGID = "rigid", _("Rigid expense (medical, education, rehabilitation)")
    ACCIDENT = "accident", _("Disaster / accident cost")
    OFFSET = "offset", _("Compensation, insurance or aid received for the accident")


class Expense(models.Model):
    """An out-of-pocket cost of the household (or money received against an accident cost)."""

    scope_org_path = "household__org__path"

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="expenses"
    )
    member = models.ForeignKey(
        "registry.Member", verbose_name=_("member"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="expenses",
    )
    group = models.CharField(_("group"), max_length=16, choices=ExpenseGroup.choices)
    kind = models.CharField(_("kind"), max_length=24)
    incurred_on = models.DateField(_("date"))
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = HouseholdPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["household_id", "-incurred_on", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="expense_not_negative")]
        indexes = [models.Index(fields=["household", "group", "incurred_on"], name="expense_household_group")]

    def __str__(self) -> str:
        return f"{self.incurred_on} {self.kind} {self.amount}"


class AssetDeclaration(models.Model):
    """What the household declares it owns: the facts the exclusions of DOMAIN.md §1 test."""

    scope_org_path = "household__org__path"

    household = models.OneToOneField(
        "registry.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="assets"
    )
    residential_homes = models.PositiveSmallIntegerField(_("residential homes owned"), default=0)
    non_residential_property = models.BooleanField(
        _("owns non-residential property (shop, office, parking space)"), default=False
    )
    business_with_employees = models.BooleanField(_("runs a business that employs others"), default=False)
    high_fee_private_school = models.BooleanField(
        _("a child at a high-fee private school (fees over twice the public equivalent)"), default=False
    )
    studying_abroad_own_cost = models.BooleanField(_("a child studying abroad at own cost"), default=False)
    motor_vehicle = models.BooleanField(
        _("owns or regularly uses a motor vehicle"), default=False,
        help_text=_("Disabled-mobility vehicles, motorbikes and e-bikes do not count."),
    )
    savings = models.DecimalField(
        _("savings (yuan)"), max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    net_investment_assets = models.DecimalField(
        _("net investment assets (yuan)"), max_digits=14, decimal_places=2, default=0,
        validators=[MinValueValidator(0)],
    )
    declared_on = models.DateField(_("declared on"), null=True, blank=True)

    objects = HouseholdPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("assets declaration")
        verbose_name_plural = _("assets declarations")

    def __str__(self) -> str:
        return f"{self.household_id}"

    @property
    def financial_assets(self):
        return (self.savings or 0) + (self.net_investment_assets or 0)
