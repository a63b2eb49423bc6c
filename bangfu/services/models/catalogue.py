"""The menu (服务菜单): what workers can order, and projects (项目清单) that group offers and requests."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.core.scoping import ReferenceQuerySet, ScopedQuerySet


class ItemKind(models.TextChoices):
    POLICY = "policy", _("Policy information")
    ACTIVITY = "activity", _("Activity")
    TRAINING = "training", _("Training")
    JOB = "job", _("Job vacancy")
    DISCOUNT = "discount", _("Discount")
    DONATION_MONEY = "donation_money", _("Donation of money")
    DONATION_GOODS = "donation_goods", _("Donation of goods")
    VOLUNTEER = "volunteer", _("Volunteer service")


# Kinds the public feed shows to every worker of the area (the rest is ordered and allocated).
FEED_KINDS = (ItemKind.POLICY, ItemKind.ACTIVITY, ItemKind.TRAINING, ItemKind.JOB)


class ServiceItemQuerySet(ReferenceQuerySet):
    """National reference data: staff read every item; workers and providers read the active menu."""

    def restrict_for_worker(self, user, action):
        return self.filter(is_active=True) if action == "view" else self.none()

    restrict_for_provider = restrict_for_worker


class ServiceItem(models.Model):
    """One entry of the menu (e.g. "skills training: electrician", "school-aid grant", "home repair hours").

    Offers and requests name an item: only an offer of the item a request orders can serve it. The reference
    value of one unit is what an offer's own value per unit is compared with (an offer worth more per unit fits
    a request better).
    """

    scope_org_path = None

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ItemKind.choices)
    unit = models.CharField(_("unit"), max_length=16, help_text=_("E.g. seat, place, piece, hour, share."))
    reference_value = models.DecimalField(
        _("reference value of one unit (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)])
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("on the menu"), default=True)

    objects = ServiceItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("menu item")
        verbose_name_plural = _("menu items")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    """A project (项目) of a union that groups offers and requests (e.g. "Golden Autumn school aid 2026")."""

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="project_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name
