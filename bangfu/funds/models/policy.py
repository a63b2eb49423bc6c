"""The rules of paying, as data: caps and notice per org, and each org's approval chain.

Both are looked up on the paying org and then its ancestors; the nearest org that defines them wins
(a county may be stricter than its province). With nothing defined anywhere, `DEFAULTS` /
`DEFAULT_CHAIN` apply and are shown as the platform's defaults.
"""

from __future__ import annotations

import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.roles import Role
from bangfu.core.scoping import ScopedQuerySet

# The national caps (DOMAIN.md §5): living aid ≤ 12 × the monthly line per household a year, school aid ≤ 10
# months of basic living cost per student a year. Local rules may be stricter, never looser.
STATUTORY_LIVING_MULTIPLE = 12
STATUTORY_SCHOOL_MONTHS = 10


class FundPolicy(models.Model):
    """Caps and notice rules of an org (and of its subtree unless a nearer org has its own), by date."""

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField(_("effective from"))
    living_aid_line_multiple = models.PositiveSmallIntegerField(
        _("living aid cap (× monthly line per household per year)"), default=STATUTORY_LIVING_MULTIPLE,
        validators=[MinValueValidator(1), MaxValueValidator(STATUTORY_LIVING_MULTIPLE)])
    school_aid_months = models.PositiveSmallIntegerField(
        _("school aid cap (months of basic living cost per student per year)"), default=STATUTORY_SCHOOL_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(STATUTORY_SCHOOL_MONTHS)])
    household_yearly_max_fen = models.BigIntegerField(
        _("yearly maximum per household (fen)"), null=True, blank=True,
        help_text=_("A local cap on all aid to one household in a year; empty for none."))
    living_aid_payments_per_year = models.PositiveSmallIntegerField(
        _("living-aid payments per household per year"), null=True, blank=True,
        help_text=_("E.g. 1 where the local rules allow one living-aid payment a year; empty for no limit."))
    notice_required = models.BooleanField(_("public notice before payment"), default=True)
    notice_days = models.PositiveSmallIntegerField(_("notice period (days)"), default=5)
    source = models.CharField(_("source of these rules"), max_length=200, blank=True)
    illustrative = models.BooleanField(_("illustrative values"), default=False)

    objects = ScopedQuerySet.as_manager()
    is_default = False  # True on the unsaved rules `in_force` returns when no union defines any

    class Meta:
        verbose_name = _("fund rules")
        verbose_name_plural = _("fund rules")
        ordering = ["org_id", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["org", "effective_from"], name="fund_policy_per_date"),
            models.CheckConstraint(
                condition=models.Q(living_aid_line_multiple__lte=12, school_aid_months__lte=10),
                name="fund_policy_within_national_caps"),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.effective_from}"

    @classmethod
    def in_force(cls, org, on: dt.date) -> FundPolicy:
        """The rules that bind a payment of `org` on date `on`: the strictest of the rows in force of every
        org in its lineage (a lower union may tighten its parents' rules, never loosen them), and never
        looser than the national rules (`STATUTORY_*`). The nearest row supplies the label and source."""
        lineage = [org.path[:i] for i in range(len(org.path), 0, -org.steplen)]
        rows = list(cls.objects.filter(org__path__in=lineage, effective_from__lte=on)
                    .select_related("org").order_by("-effective_from"))
        in_force = []  # the latest row of each org that has one, nearest org first
        for path in lineage:
            row = next((r for r in rows if r.org.path == path), None)
            if row is not None:
                in_force.append(row)
        if not in_force:
            default = cls(org=org, effective_from=dt.date(2000, 1, 1), source="platform default")
            default.is_default = True
            return default
        nearest = in_force[0]
        caps = [r.household_yearly_max_fen for r in in_force if r.household_yearly_max_fen is not None]
        counts = [r.living_aid_payments_per_year for r in in_force if r.living_aid_payments_per_year is not None]
        return cls(
            org=nearest.org, effective_from=nearest.effective_from, source=nearest.source,
            illustrative=any(r.illustrative for r in in_force),
            living_aid_line_multiple=min([STATUTORY_LIVING_MULTIPLE] + [r.living_aid_line_multiple for r in in_force]),
            school_aid_months=min([STATUTORY_SCHOOL_MONTHS] + [r.school_aid_months for r in in_force]),
            household_yearly_max_fen=min(caps) if caps else None,
            living_aid_payments_per_year=min(counts) if counts else None,
            notice_required=any(r.notice_required for r in in_force),
            notice_days=max(r.notice_days for r in in_force),
        )


class ApprovalRuleQuerySet(ScopedQuerySet):
    pass


class ApprovalRule(models.Model):
    """One step of an org's approval chain. A step applies to payments of at least `min_amount_fen`.

    Steps are taken in `order` by a user holding `role` in the paying org or above it; a step with
    `requires_minutes` is a leadership decision recorded with its meeting minutes.
    """

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("step"))
    role = models.CharField(_("role that decides"), max_length=24, choices=Role.choices)
    min_amount_fen = models.BigIntegerField(_("applies from amount (fen)"), default=0)
    requires_minutes = models.BooleanField(_("leadership decision with meeting minutes"), default=False)
    label = models.CharField(_("name of the step"), max_length=64, blank=True)

    objects = ApprovalRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        ordering = ["org_id", "order"]
        constraints = [models.UniqueConstraint(fields=["org", "order"], name="approval_step_order")]

    def __str__(self) -> str:
        return f"{self.org} {self.order}: {self.get_role_display()}"

    def as_step(self) -> dict:
        return {"order": self.order, "role": self.role, "min_amount_fen": self.min_amount_fen,
                "requires_minutes": self.requires_minutes, "label": self.label}


# Application → reviewer verifies → fund manager checks the money → above 5,000 yuan the leadership
# decides in a meeting (DOMAIN.md §5 names the chain; the threshold is an illustrative default).
DEFAULT_CHAIN = [
    {"order": 1, "role": Role.REVIEWER.value, "min_amount_fen": 0, "requires_minutes": False, "label": ""},
    {"order": 2, "role": Role.FUND_MANAGER.value, "min_amount_fen": 0, "requires_minutes": False, "label": ""},
    {"order": 3, "role": Role.LEADERSHIP.value, "min_amount_fen": 500_000, "requires_minutes": True, "label": ""},
]


def approval_chain(org) -> tuple[list[dict], object | None]:
    """The steps of the nearest org in the lineage that defines a chain, and that org (None: default)."""
    lineage = [org.path[:i] for i in range(len(org.path), 0, -org.steplen)]
    rules = list(ApprovalRule.objects.filter(org__path__in=lineage).select_related("org"))
    for path in lineage:
        own = [r for r in rules if r.org.path == path]
        if own:
            return [r.as_step() for r in sorted(own, key=lambda r: r.order)], own[0].org
    return [dict(step) for step in DEFAULT_CHAIN], None


def route_for(org, amount_fen: int) -> list[dict]:
    """The steps a payment of this amount must pass, in order."""
    steps, _org = approval_chain(org)
    return [s for s in steps if amount_fen >= s["min_amount_fen"]]
