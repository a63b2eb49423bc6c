"""Campaigns: festive aid (两节送温暖) and the autumn school-aid drive (金秋助学).

A campaign selects households by criteria, proposes an amount for each by its rule, and creates their
payments together; every payment still passes the same checks, caps and approvals as a single one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.core.scoping import ScopedQuerySet
from bangfu.funds.models.sources import AidCategory


class Campaign(models.Model):
    class Kind(models.TextChoices):
        FESTIVE = "festive", _("Festive aid (两节送温暖)")
        SCHOOL = "school", _("Autumn school-aid drive (金秋助学)")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PROPOSED = "proposed", _("Households proposed")
        SUBMITTED = "submitted", _("Payments created and submitted")
        CLOSED = "closed", _("Closed")

    # The category each kind pays.
    CATEGORY = {Kind.FESTIVE: AidCategory.FESTIVE, Kind.SCHOOL: AidCategory.SCHOOL}

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("paying union"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    year = models.PositiveSmallIntegerField(_("budget year"))
    period = models.CharField(_("period"), max_length=16)
    source = models.ForeignKey("funds.FundSource", verbose_name=_("source"), on_delete=models.PROTECT,
                               related_name="+")
    criteria = models.JSONField(_("selection criteria"), default=dict, blank=True)
    amount_rule = models.JSONField(_("amount rule"), default=dict, blank=True)
    proposal = models.JSONField(_("proposed payments"), default=list, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def category(self) -> str:
        return self.CATEGORY[self.kind]
