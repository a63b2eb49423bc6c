"""Yearly budgets received by an org and allocations from a parent union to its children.

Both are records of one posted ledger transaction; like the ledger they are never edited (a correction
is a reversal of their transaction, see `bangfu.funds.services.budgets.reverse_transaction`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bangfu.audit.models import AppendOnlyModel, AppendOnlyQuerySetMixin
from bangfu.core.scoping import ScopedQuerySet
from bangfu.funds.models.sources import AidCategory


class BudgetQuerySet(AppendOnlyQuerySetMixin, ScopedQuerySet):
    pass


class Budget(AppendOnlyModel):
    """Money an org receives for a year from a source, for one category (e.g. central funds for living aid)."""

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey("funds.FundSource", verbose_name=_("source"), on_delete=models.PROTECT,
                               related_name="+")
    year = models.PositiveSmallIntegerField(_("budget year"))
    category = models.CharField(_("aid category"), max_length=16, choices=AidCategory.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    document_ref = models.CharField(_("document number"), max_length=64, blank=True,
                                    help_text=_("E.g. the number of the allocation notice (文号)."))
    received_on = models.DateField(_("received on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    transaction = models.OneToOneField("funds.LedgerTransaction", verbose_name=_("ledger transaction"),
                                       on_delete=models.PROTECT, related_name="budget")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = models.Manager.from_queryset(BudgetQuerySet)()

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        ordering = ["-year", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="budget_positive")]


class AllocationQuerySet(AppendOnlyQuerySetMixin, ScopedQuerySet):
    def restrict_to_subtree(self, user):
        # Both ends see an allocation: the giving union (its subtree) and the receiving one.
        org_path = user.scope_path
        if not org_path:
            return self.none()
        return self.filter(Q(from_org__path__startswith=org_path) | Q(to_org__path__startswith=org_path))


class Allocation(AppendOnlyModel):
    """Money a union passes down to one of its child unions; never more than it holds."""

    scope_org_path = "from_org__path"

    from_org = models.ForeignKey("orgs.Org", verbose_name=_("from union"), on_delete=models.PROTECT,
                                 related_name="+")
    to_org = models.ForeignKey("orgs.Org", verbose_name=_("to union"), on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey("funds.FundSource", verbose_name=_("source"), on_delete=models.PROTECT,
                               related_name="+")
    year = models.PositiveSmallIntegerField(_("budget year"))
    category = models.CharField(_("aid category"), max_length=16, choices=AidCategory.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    document_ref = models.CharField(_("document number"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    transaction = models.OneToOneField("funds.LedgerTransaction", verbose_name=_("ledger transaction"),
                                       on_delete=models.PROTECT, related_name="allocation")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = models.Manager.from_queryset(AllocationQuerySet)()

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["-year", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="allocation_positive")]
