"""The ledger (台账): append-only double-entry rows, and the balances derived from them.

Every movement of money is one `LedgerTransaction` with two or more `LedgerEntry` rows whose amounts sum
to zero. An account is (org, source, year, category, bucket):

* `source`    — the outside world a budget came from (goes negative as money comes in);
* `available` — money an org holds and may allocate down or commit to payments;
* `reserved`  — committed to approved payments that the bank has not paid yet;
* `paid`      — paid to households' bank cards.

A budget moves source → available; an allocation moves the parent's available → the child's available;
final approval moves available → reserved; the bank's result moves reserved → paid, or back to available
for a failed payment. Nothing is ever updated or deleted (ORM guards and database triggers): a mistake is
corrected by a reversing transaction with a reason.

`Balance` and `MonthlyTotal` are caches of sums over the entries, written in the same database
transaction by `bangfu.funds.ledger.post` only. `Balance` carries a CHECK (amount ≥ 0 outside `source`)
and is decremented with a conditional UPDATE, which is what keeps balances non-negative under concurrent
approvals; `bangfu.funds.ledger.verify` recomputes both from the entries and reports any difference.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from bangfu.audit.models import AppendOnlyModel, AppendOnlyQuerySetMixin
from bangfu.core.scoping import ScopedQuerySet, permission_name
from bangfu.funds.models.sources import AidCategory


class Bucket(models.TextChoices):
    SOURCE = "source", _("Funding source")
    AVAILABLE = "available", _("Available")
    RESERVED = "reserved", _("Reserved for approved payments")
    PAID = "paid", _("Paid")


class TransactionKind(models.TextChoices):
    BUDGET = "budget", _("Budget received")
    ALLOCATION = "allocation", _("Allocation to a lower union")
    RESERVE = "reserve", _("Payment approved (funds reserved)")
    RELEASE = "release", _("Approved payment cancelled (funds released)")
    PAY = "pay", _("Paid by the bank")
    FAIL = "fail", _("Payment failed (returned to the balance)")
    REVERSAL = "reversal", _("Correction (reversing entry)")


class LedgerQuerySet(AppendOnlyQuerySetMixin, ScopedQuerySet):
    pass


class LedgerManager(models.Manager.from_queryset(LedgerQuerySet)):
    pass


class LedgerTransactionQuerySet(LedgerQuerySet):
    def restrict(self, user, action: str = "view"):
        """Reading: a transaction made by a union of the user's subtree, or one that moved money of such a
        union (a county reads the allocation its city sent it). Other actions (reversal): only the former."""
        queryset = super().restrict(user, action)
        if action != "view" or getattr(user, "kind", "") != "staff" or not user.scope_path:
            return queryset
        if not user.has_role_permission(permission_name(self.model, action)):
            return queryset  # already empty
        touched = LedgerEntry.objects.filter(transaction=OuterRef("pk"), org__path__startswith=user.scope_path)
        return self.filter(Q(org__path__startswith=user.scope_path) | Exists(touched))


class LedgerTransaction(AppendOnlyModel):
    """One movement of money; its entries sum to zero. A correction points at what it `reverses`."""

    scope_org_path = "org__path"

    kind = models.CharField(_("kind"), max_length=16, choices=TransactionKind.choices)
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+",
        help_text=_("The union whose action this is."),
    )
    year = models.PositiveSmallIntegerField(_("budget year"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self", verbose_name=_("reverses"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    reason = models.TextField(_("reason"), blank=True)
    disbursement = models.ForeignKey(
        "funds.Disbursement", verbose_name=_("payment"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="transactions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True, db_index=True)

    objects = models.Manager.from_queryset(LedgerTransactionQuerySet)()

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["-id"]
        permissions = [("reverse_ledgertransaction", "Correct the ledger with a reversing entry")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"


class LedgerEntry(AppendOnlyModel):
    """One side of a transaction on one account. Positive adds to the account, negative takes from it."""

    scope_org_path = "org__path"

    transaction = models.ForeignKey(
        LedgerTransaction, verbose_name=_("transaction"), on_delete=models.PROTECT, related_name="entries"
    )
    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(
        "funds.FundSource", verbose_name=_("source"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("budget year"))
    category = models.CharField(_("aid category"), max_length=16, choices=AidCategory.choices)
    bucket = models.CharField(_("account"), max_length=16, choices=Bucket.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    posted_on = models.DateField(_("posted on"))

    objects = LedgerManager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["transaction_id", "id"]
        indexes = [
            models.Index(fields=["org", "source", "year", "category", "bucket"], name="ledger_account"),
            models.Index(fields=["household", "bucket"], name="ledger_household"),
            models.Index(fields=["posted_on"], name="ledger_posted_on"),
        ]

    def __str__(self) -> str:
        return f"{self.bucket} {self.amount_fen}"


class BalanceQuerySet(ScopedQuerySet):
    pass


class Balance(models.Model):
    """Current sum of one account (a cache of the ledger, kept by `ledger.post` only)."""

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey("funds.FundSource", verbose_name=_("source"), on_delete=models.PROTECT,
                               related_name="+")
    year = models.PositiveSmallIntegerField(_("budget year"))
    category = models.CharField(_("aid category"), max_length=16, choices=AidCategory.choices)
    bucket = models.CharField(_("account"), max_length=16, choices=Bucket.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"), default=0)

    objects = BalanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("balance")
        verbose_name_plural = _("balances")
        ordering = ["org_id", "year", "source_id", "category", "bucket"]
        constraints = [
            models.UniqueConstraint(fields=["org", "source", "year", "category", "bucket"], name="balance_account"),
            models.CheckConstraint(condition=Q(bucket="source") | Q(amount_fen__gte=0), name="balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.source_id}/{self.year}/{self.category}/{self.bucket}: {self.amount_fen}"


class MonthlyTotal(models.Model):
    """Sum of entries per account and month (a cache for reports, kept by `ledger.post` only)."""

    scope_org_path = "org__path"

    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey("funds.FundSource", verbose_name=_("source"), on_delete=models.PROTECT,
                               related_name="+")
    year = models.PositiveSmallIntegerField(_("budget year"))
    category = models.CharField(_("aid category"), max_length=16, choices=AidCategory.choices)
    bucket = models.CharField(_("account"), max_length=16, choices=Bucket.choices)
    month = models.DateField(_("month"))
    amount_fen = models.BigIntegerField(_("amount (fen)"), default=0)
    # The gross money that came into the account in the month (sum of the positive entries): with it, reports
    # tell approvals from returns without reading the entries (the net sum alone cannot).
    credit_fen = models.BigIntegerField(_("money in (fen)"), default=0)
    entry_count = models.PositiveIntegerField(_("entries"), default=0)

    objects = BalanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly total")
        verbose_name_plural = _("monthly totals")
        ordering = ["org_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["org", "source", "year", "category", "bucket", "month"],
                                    name="monthly_total_account"),
        ]
        indexes = [models.Index(fields=["month", "bucket"], name="monthly_total_month")]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.source_id}/{self.category}/{self.bucket} {self.month:%Y-%m}: {self.amount_fen}"
