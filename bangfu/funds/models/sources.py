"""Where money comes from and what it may pay (DOMAIN.md §5)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class AidCategory(models.TextChoices):
    """What a payment is for. Caps are coded per category (`bangfu.funds.caps`); their numbers are data."""

    LIVING = "living", _("Living aid (生活救助)")
    MEDICAL = "medical", _("Medical aid (医疗救助)")
    SCHOOL = "school", _("School aid (子女助学)")
    LEGAL = "legal", _("Legal aid (法律援助)")
    TRAINING = "training", _("Vocational training (职业培训)")
    JOB = "job", _("Job placement (职业介绍)")
    FESTIVE = "festive", _("Festive aid (送温暖)")


class FundSource(models.Model):
    """A source of assistance money and the categories it may pay (configurable in the admin).

    Central and provincial special funds may pay only the categories of the 2022 rules; the union's own
    funds and donations are freer. Switched off (`is_active`), never deleted: ledger rows point at it.
    """

    class Kind(models.TextChoices):
        CENTRAL = "central", _("Central special funds (中央财政专项)")
        MATCHING = "matching", _("Provincial / local matching funds (地方配套)")
        UNION_OWN = "union_own", _("Union's own funds (工会自有)")
        DONATION = "donation", _("Donations (社会捐赠)")
        INTEREST = "interest", _("Interest of the special account (专户利息)")

    code = models.CharField(_("code"), max_length=24, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    allowed_categories = models.JSONField(
        _("categories it may pay"), default=list, blank=True,
        help_text=_("Codes of the aid categories this source may pay."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("fund source")
        verbose_name_plural = _("fund sources")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        unknown = set(self.allowed_categories or []) - set(AidCategory.values)
        if unknown:
            raise ValidationError({"allowed_categories": _("Unknown categories: %(codes)s")
                                   % {"codes": ", ".join(sorted(unknown))}})

    def may_pay(self, category: str) -> bool:
        return self.is_active and category in (self.allowed_categories or [])

    @property
    def allowed_category_labels(self) -> list[str]:
        labels = dict(AidCategory.choices)
        return [str(labels[c]) for c in self.allowed_categories or [] if c in labels]


# The platform's starting configuration (migration 0002): central and matching funds only for the
# categories of the 2022 rules (DOMAIN.md §5); the union's own funds, donations and interest for all.
STANDARD_CATEGORIES = [c.value for c in AidCategory]
SEED_SOURCES = [
    ("central", "中央财政专项帮扶资金", FundSource.Kind.CENTRAL, STANDARD_CATEGORIES),
    ("matching", "省级及地方配套资金", FundSource.Kind.MATCHING, STANDARD_CATEGORIES),
    ("union_own", "工会自有资金", FundSource.Kind.UNION_OWN, STANDARD_CATEGORIES),
    ("donation", "社会捐赠资金", FundSource.Kind.DONATION, STANDARD_CATEGORIES),
    ("interest", "专户利息", FundSource.Kind.INTEREST, ["living", "medical", "school"]),
]


def seed_sources(model=None) -> int:
    """Create the starting fund sources that are missing (idempotent); return how many were created.

    Used by migration 0002 (with the historical model) and `load_fund_sources` (tests re-seed after a flush).
    """
    model = model or FundSource
    created = 0
    for order, (code, name, kind, categories) in enumerate(SEED_SOURCES, start=1):
        _row, made = model.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "allowed_categories": categories, "sort_order": order}
        )
        created += made
    return created
