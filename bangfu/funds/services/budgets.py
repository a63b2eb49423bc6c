"""Budgets received, allocations down the tree, and corrections of the ledger."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.funds import ledger
from bangfu.funds.models import Allocation, Bucket, Budget, FundSource, LedgerTransaction, TransactionKind
from bangfu.funds.money import format_yuan
from bangfu.funds.rules import RuleBreach
from bangfu.funds.services import FundsRefused


def _check_source(source: FundSource, category: str) -> None:
    if not source.may_pay(category):
        from bangfu.funds.models import AidCategory

        raise FundsRefused([RuleBreach("source_category", _(
            "%(source)s may not pay %(category)s; it may pay: %(allowed)s."
        ) % {"source": source.name, "category": AidCategory(category).label,
             "allowed": "、".join(source.allowed_category_labels) or "—"}, "source")])


def _check_amount(amount_fen: int) -> None:
    if amount_fen is None or amount_fen <= 0:
        raise FundsRefused([RuleBreach("amount", _("The amount must be more than zero."), "amount")])


def record_budget(*, org, source: FundSource, year: int, category: str, amount_fen: int, actor,
                  document_ref: str = "", received_on: dt.date | None = None, note: str = "") -> Budget:
    """Money received by `org` for `year` from `source`, earmarked for `category`."""
    _check_source(source, category)
    _check_amount(amount_fen)
    today = timezone.localdate()
    received_on = received_on or today
    if received_on > today or received_on.year not in (year - 1, year):
        raise FundsRefused([RuleBreach("received_on", _(
            "A budget for %(year)s is received in %(year)s or at the end of the year before, and not in the "
            "future."
        ) % {"year": year}, "received_on")])
    with transaction.atomic():
        txn = ledger.post(
            TransactionKind.BUDGET,
            ledger.move(Bucket.SOURCE, Bucket.AVAILABLE, org_id=org.pk, source_id=source.pk, year=year,
                        category=category, amount_fen=amount_fen),
            org=org, year=year, memo=document_ref or note, actor=actor, on=received_on,
        )
        budget = Budget.objects.create(org=org, source=source, year=year, category=category, amount_fen=amount_fen,
                                       document_ref=document_ref, received_on=received_on, note=note,
                                       transaction=txn, created_by=actor)
        audit.log_access(None, "fund_budget", obj=budget, user=actor, amount_fen=amount_fen)
    return budget


def allocate(*, from_org, to_org, source: FundSource, year: int, category: str, amount_fen: int, actor,
             document_ref: str = "", note: str = "") -> Allocation:
    """Pass money down to a child union; refused when the parent does not hold that much (nothing written)."""
    _check_amount(amount_fen)
    if to_org.depth != from_org.depth + 1 or not to_org.path.startswith(from_org.path):
        raise FundsRefused([RuleBreach("not_child", _(
            "%(to)s is not a direct child of %(from)s: allocations go one level down the tree."
        ) % {"to": to_org.name, "from": from_org.name}, "to_org")])
    _check_source(source, category)
    with transaction.atomic():
        try:
            txn = ledger.post(
                TransactionKind.ALLOCATION,
                ledger.move(Bucket.AVAILABLE, Bucket.AVAILABLE, org_id=from_org.pk, to_org_id=to_org.pk,
                            source_id=source.pk, year=year, category=category, amount_fen=amount_fen),
                org=from_org, year=year, memo=document_ref or note, actor=actor,
            )
        except ledger.InsufficientFunds as short:
            raise FundsRefused([insufficient_breach(short, from_org)]) from None
        allocation = Allocation.objects.create(
            from_org=from_org, to_org=to_org, source=source, year=year, category=category, amount_fen=amount_fen,
            document_ref=document_ref, note=note, transaction=txn, created_by=actor,
        )
        audit.log_access(None, "fund_allocation", obj=allocation, user=actor, amount_fen=amount_fen)
    return allocation


def insufficient_breach(short: ledger.InsufficientFunds, org=None) -> RuleBreach:
    """The refusal for an account that would go below zero (named by its own union)."""
    from bangfu.orgs.models import Org

    org = Org.objects.filter(pk=short.account[0]).first() or org
    return RuleBreach("insufficient_funds", _(
        "%(union)s holds %(available)s yuan of this source and category for the year; %(needed)s yuan are needed."
    ) % {"union": org.name, "available": format_yuan(short.available_fen), "needed": format_yuan(short.needed_fen)},
        "amount")


def reverse_transaction(txn: LedgerTransaction, *, actor, reason: str) -> LedgerTransaction:
    """Correct the ledger: a new transaction with every entry of `txn` negated, and the reason.

    Payments are corrected through their own actions (cancel, bank result), never here; a transaction
    can be reversed once; reversing money that was already passed on or spent is refused (balances would
    go negative).
    """
    reason = (reason or "").strip()
    if not reason:
        raise FundsRefused([RuleBreach("reason", _("Give the reason of the correction."), "reason")])
    if txn.kind in {TransactionKind.REVERSAL} or txn.disbursement_id:
        raise FundsRefused([RuleBreach("not_reversible", _(
            "Payments are corrected by cancelling them or by the bank's result, and corrections are not "
            "reversed again."))])
    with transaction.atomic():
        # Lock the original (a row lock, not an update) so that two corrections at once cannot both pass the
        # check below; the unique `reverses` column would otherwise stop the second with an error.
        LedgerTransaction.objects.select_for_update().filter(pk=txn.pk).first()
        if LedgerTransaction.objects.filter(reverses=txn).exists():
            raise FundsRefused([RuleBreach("already_reversed", _("This transaction was already reversed."))])
        try:
            correction = ledger.post(TransactionKind.REVERSAL, ledger.reversal_legs(txn), org=txn.org, year=txn.year,
                                     memo=_("Reverses #%(number)s") % {"number": txn.pk}, reason=reason,
                                     reverses=txn, actor=actor)
        except ledger.InsufficientFunds as short:
            raise FundsRefused([insufficient_breach(short, txn.org)]) from None
        audit.log_access(None, "fund_reversal", obj=correction, user=actor, reverses=txn.pk)
    return correction
