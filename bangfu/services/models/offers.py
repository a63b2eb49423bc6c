"""Offers (资源清单): what a provider offers, to whom, where, how much and when."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.core.scoping import ScopedQuerySet

# Bounds of the value factor (an offer's value per unit against the item's reference value), so that one
# very valuable offer cannot drown need and urgency in the weight.
FIT_MIN = Decimal("0.5")
FIT_MAX = Decimal("2.0")


class OfferState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


def list_key(values) -> str:
    """A list of codes as the ",a,b," key that SQL matches with LIKE '%,' || code || ',%' (both databases).
    Empty: no restriction."""
    values = sorted({str(v) for v in values or () if str(v)})
    return f",{','.join(values)}," if values else ""


def division_prefix(code: str, level: int) -> str:
    """The part of a GB/T 2260 code that every division inside it shares: 2 digits of a province, 4 of a city,
    6 of a county."""
    return code[: {1: 2, 2: 4}.get(level, 6)]


def org_prefixes(path: str, steplen: int = 4) -> list[str]:
    """The materialised paths of an org and every org above it (its lineage)."""
    return [path[:i] for i in range(steplen, len(path) + 1, steplen)]


class OfferQuerySet(ScopedQuerySet):
    """Staff: offers whose area lies in their subtree. A provider's account: its own offers (any action).
    A worker: published offers whose area covers their household's union (view only)."""

    def restrict_for_provider(self, user, action):
        return self.filter(provider__accounts__user=user)

    def restrict_for_worker(self, user, action):
        if action != "view":
            return self.none()
        from bangfu.registry.models import Household

        paths = list(Household.objects.filter(members__account=user).values_list("org__path", flat=True)[:1])
        if not paths:
            return self.none()
        return self.published().filter(area_org__path__in=org_prefixes(paths[0]))

    def published(self):
        return self.filter(state=OfferState.PUBLISHED, provider__state="verified")

    def valid_on(self, day):
        return self.filter(valid_from__lte=day, valid_until__gte=day)


class Offer(models.Model):
    """One offer of a provider: an item of the menu, for whom (eligibility), where (a union's subtree), how
    many units (capacity), worth how much per unit, and when (validity window).

    A union of the area moderates it before it is published; only published offers of verified providers
    appear in the public feed and in matching rounds. The eligibility lists are kept twice: as lists (forms,
    API) and as ",a,b," keys that the round's set-based pair building matches in SQL.
    """

    scope_org_path = "area_org__path"

    provider = models.ForeignKey("services.Provider", verbose_name=_("provider"), on_delete=models.PROTECT,
                                 related_name="offers")
    item = models.ForeignKey("services.ServiceItem", verbose_name=_("menu item"), on_delete=models.PROTECT,
                             related_name="offers")
    project = models.ForeignKey("services.Project", verbose_name=_("project"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="offers")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    area_org = models.ForeignKey("orgs.Org", verbose_name=_("area (union and its subtree)"),
                                 on_delete=models.PROTECT, related_name="+")
    capacity = models.PositiveIntegerField(_("capacity (units)"), validators=[MinValueValidator(1)])
    unit_value = models.DecimalField(_("value of one unit (yuan)"), max_digits=10, decimal_places=2, null=True,
                                     blank=True, validators=[MinValueValidator(0)])
    certificate = models.CharField(_("certificate it leads to"), max_length=100, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))

    divisions = models.JSONField(
        _("only households living in these divisions"), default=list, blank=True,
        help_text=_("GB/T 2260 codes of provinces, cities or counties; empty: the whole area of the union."))
    division_key = models.CharField(max_length=400, blank=True, editable=False)
    categories = models.JSONField(_("hardship categories"), default=list, blank=True)
    causes = models.JSONField(_("causes of hardship"), default=list, blank=True)
    work_statuses = models.JSONField(_("work statuses"), default=list, blank=True)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    category_key = models.CharField(max_length=200, blank=True, editable=False)
    cause_key = models.CharField(max_length=400, blank=True, editable=False)
    work_status_key = models.CharField(max_length=400, blank=True, editable=False)
    fit_factor = models.DecimalField(_("value factor"), max_digits=4, decimal_places=2, default=Decimal("1.00"),
                                     editable=False)

    state = models.CharField(_("state"), max_length=16, choices=OfferState.choices, default=OfferState.DRAFT,
                             db_index=True)
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("moderated by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    moderation_note = models.CharField(_("moderation note"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = OfferQuerySet.as_manager()

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        permissions = [("moderate_offer", _("Can publish or reject offers (moderation)"))]
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(valid_until__gte=models.F("valid_from")),
                                   name="offer_valid_window"),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="offer_capacity_positive"),
            models.CheckConstraint(
                condition=models.Q(min_age__isnull=True) | models.Q(max_age__isnull=True)
                | models.Q(max_age__gte=models.F("min_age")), name="offer_age_range"),
        ]
        # Pair building joins published offers on (item, area) — see bangfu.services.matching.pairs.
        indexes = [models.Index(fields=["item", "area_org", "state"], name="offer_item_area_state")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        from bangfu.orgs.models import Division

        levels = dict(Division.objects.filter(code__in=self.divisions or ()).values_list("code", "level"))
        self.division_key = list_key(division_prefix(code, levels.get(code, 3)) for code in self.divisions or ())
        self.category_key = list_key(self.categories)
        self.cause_key = list_key(self.causes)
        self.work_status_key = list_key(self.work_statuses)
        self.fit_factor = self.compute_fit_factor()
        super().save(*args, **kwargs)

    def compute_fit_factor(self) -> Decimal:
        """Value per unit against the item's reference value, bounded to [0.5, 2]; 1 when either is unknown."""
        reference = self.item.reference_value if self.item_id else None
        if not reference or self.unit_value is None:
            return Decimal("1.00")
        factor = (Decimal(self.unit_value) / Decimal(reference)).quantize(Decimal("0.01"))
        return min(max(factor, FIT_MIN), FIT_MAX)
