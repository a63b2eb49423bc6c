"""The union tree, administrative divisions and the local standards in force in each division."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from bangfu.core.scoping import ScopedQuerySet


class Division(models.Model):
    """A GB/T 2260 administrative division (province, city or county level).

    Loaded from public data sets at install (`manage.py load_divisions`); codes withdrawn in
    later revisions are kept with `is_current=False` so that old ID numbers still resolve.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("Province")
        CITY = 2, _("City")
        COUNTY = 3, _("County")

    code = models.CharField(
        _("division code"), max_length=6, primary_key=True, validators=[RegexValidator(r"^\d{6}$")]
    )
    name = models.CharField(_("name"), max_length=64)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent division"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    is_current = models.BooleanField(_("in the current revision"), default=True)
    last_revision = models.CharField(_("last revision seen"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("administrative division")
        verbose_name_plural = _("administrative divisions")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def lineage_codes(self) -> list[str]:
        """This division's code and its parents' codes, most specific first."""
        codes = [self.code]
        if self.level >= self.Level.CITY:
            codes.append(self.code[:4] + "00")
        if self.level >= self.Level.COUNTY or self.level == self.Level.CITY:
            codes.append(self.code[:2] + "0000")
        return list(dict.fromkeys(codes))


# Sent after an org was moved in the tree (the paths of its whole subtree changed), with `org`: whatever is kept
# per ancestor (the statistics' rollups) must be recomputed.
org_moved = Signal()


class OrgQuerySet(MP_NodeQuerySet, ScopedQuerySet):
    pass


class OrgManager(MP_NodeManager.from_queryset(OrgQuerySet)):
    def get_queryset(self):
        return OrgQuerySet(self.model).order_by("path")


class Org(MP_Node):
    """A trade-union organisation in the tree national → province → city → county → grassroots.

    The materialised path (treebeard) makes a subtree one indexed prefix match; every scoped
    record points at an org and is restricted through its path.
    """

    class Level(models.IntegerChoices):
        NATIONAL = 0, _("National")
        PROVINCE = 1, _("Province")
        CITY = 2, _("City")
        COUNTY = 3, _("County")
        GRASSROOTS = 4, _("Grassroots")

    class Kind(models.TextChoices):
        FEDERATION = "federation", _("Federation of trade unions")
        ASSISTANCE_CENTRE = "centre", _("Assistance centre")
        ENTERPRISE = "enterprise", _("Enterprise union")
        COMMUNITY = "community", _("Street / community union")

    steplen = 4
    node_order_by = ["code"]
    scope_org_path = "path"

    code = models.CharField(_("org code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    short_name = models.CharField(_("short name"), max_length=64, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FEDERATION)
    division = models.ForeignKey(
        Division, verbose_name=_("administrative division"), on_delete=models.PROTECT, related_name="orgs"
    )
    member_count = models.PositiveIntegerField(_("members"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrgManager()

    class Meta:
        verbose_name = _("union organisation")
        verbose_name_plural = _("union organisations")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        parent = self.get_parent() if self.pk else getattr(self, "_pending_parent", None)
        if self.level is None:
            raise ValidationError({"level": _("Choose the level of the org.")})
        # A county assistance centre belongs to the county federation at the same level.
        centre_under_county = (
            self.kind == self.Kind.ASSISTANCE_CENTRE
            and parent is not None
            and parent.level == self.Level.COUNTY
            and parent.kind == self.Kind.FEDERATION
        )
        if parent is not None and self.level <= parent.level and not centre_under_county:
            raise ValidationError({"level": _("A child org must be at a lower level than its parent.")})
        if self.kind in (self.Kind.ENTERPRISE, self.Kind.COMMUNITY) and self.level != self.Level.GRASSROOTS:
            raise ValidationError({"kind": _("Enterprise and community unions are grassroots unions.")})
        if self.kind == self.Kind.ASSISTANCE_CENTRE and self.level != self.Level.COUNTY:
            raise ValidationError({"kind": _("An assistance centre is a county-level body.")})

    def subtree(self):
        return Org.objects.filter(path__startswith=self.path)

    def move(self, target, pos=None):
        """Treebeard's move (the admin's form and its drag and drop both call it), then `org_moved`."""
        result = super().move(target, pos)
        org_moved.send(sender=Org, org=self)
        return result

    def is_within(self, other: Org) -> bool:
        return self.path.startswith(other.path)


class LocalStandard(models.Model):
    """A per-division, per-date parameter: the minimum-living line or the local minimum wage.

    Numbers are data with an effective date and a source, never constants in code. Values not
    taken from a cited source are flagged `illustrative` and shown as such.
    """

    class Kind(models.TextChoices):
        LIVING_LINE = "living_line", _("Urban minimum-living line (yuan per person per month)")
        MINIMUM_WAGE = "minimum_wage", _("Local minimum wage (yuan per month)")

    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="standards"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    effective_from = models.DateField(_("effective from"))
    source = models.CharField(_("source"), max_length=300)
    illustrative = models.BooleanField(
        _("illustrative value"), default=False, help_text=_("Not taken from a cited official source.")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("local standard")
        verbose_name_plural = _("local standards")
        ordering = ["division_id", "kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["division", "kind", "effective_from"], name="uniq_standard_per_date"),
        ]
        indexes = [models.Index(fields=["kind", "division", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.division} {self.get_kind_display()} {self.amount} ({self.effective_from})"

    @classmethod
    def in_force(cls, kind: str, division: Division | str, on: dt.date) -> LocalStandard | None:
        """The value in force for `division` on date `on`.

        The most specific division that has a value wins (county, then its city, then its
        province); within it, the latest row effective on or before `on`.
        """
        if isinstance(division, str):
            division = Division.objects.get(pk=division)
        codes = division.lineage_codes()
        # One query for the whole lineage; the most specific division with a row wins.
        rows = cls.objects.filter(kind=kind, division_id__in=codes, effective_from__lte=on).order_by("-effective_from")
        latest: dict[str, LocalStandard] = {}
        for row in rows:
            latest.setdefault(row.division_id, row)
        return next((latest[code] for code in codes if code in latest), None)


def living_line(division: Division | str, on: dt.date) -> LocalStandard | None:
    """The urban minimum-living line in force here on this date."""
    return LocalStandard.in_force(LocalStandard.Kind.LIVING_LINE, division, on)


def minimum_wage(division: Division | str, on: dt.date) -> LocalStandard | None:
    """The local minimum wage in force here on this date."""
    return LocalStandard.in_force(LocalStandard.Kind.MINIMUM_WAGE, division, on)
