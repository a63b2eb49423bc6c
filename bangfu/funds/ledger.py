"""Posting to the ledger: the only code that writes ledger rows, balances and monthly totals.

`post()` writes one balanced transaction and moves the cached sums in the same database transaction.
Each account touched is changed with one statement, in a fixed order (sorted account keys, balances
before monthly totals) so that concurrent postings cannot deadlock each other:

* an account that loses money (outside the `source` bucket) is decremented with
  `UPDATE … SET amount = amount - x WHERE … AND amount >= x`. Under concurrency PostgreSQL makes the
  second writer wait for the first and re-checks the condition on the committed row, so two approvals
  can never both spend the last yuan; no row updated means "not enough money" and the whole posting
  rolls back. The CHECK constraint on `Balance` is the second line of defence;
* an account that gains money is incremented with an upsert (`INSERT … ON CONFLICT DO UPDATE`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from bangfu.core import context
from bangfu.funds.models import Balance, Bucket, LedgerEntry, LedgerTransaction, MonthlyTotal


@dataclass(frozen=True)
class Leg:
    """One side of a posting: an account and a signed amount in fen."""

    org_id: int
    source_id: int
    year: int
    category: str
    bucket: str
    amount_fen: int
    household_id: int | None = None

    @property
    def account(self) -> tuple:
        return (self.org_id, self.source_id, self.year, self.category, self.bucket)


class LedgerError(Exception):
    pass


class InsufficientFunds(LedgerError):
    """An account would go below zero. Carries the account, what it holds and what was asked."""

    def __init__(self, account: tuple, available_fen: int, needed_fen: int):
        self.account = account
        self.available_fen = available_fen
        self.needed_fen = needed_fen
        super().__init__(f"account {account}: holds {available_fen} fen, {needed_fen} fen needed")


@dataclass
class Posting:
    """One transaction to write: its kind, legs and what it belongs to (see `post_many`)."""

    kind: str
    legs: list[Leg]
    org: object
    year: int
    memo: str = ""
    reason: str = ""
    reverses: object = None
    disbursement: object = None
    on: dt.date | None = None


def post(kind: str, legs: list[Leg], *, org, year: int, memo: str = "", reason: str = "", reverses=None,
         disbursement=None, actor=None, on: dt.date | None = None) -> LedgerTransaction:
    """Write one balanced transaction; raise `InsufficientFunds` (and write nothing) if money is short."""
    posting = Posting(kind, legs, org, year, memo, reason, reverses, disbursement, on)
    return post_many([posting], actor=actor)[0]


def post_many(postings: list[Posting], *, actor=None) -> list[LedgerTransaction]:
    """Write many balanced transactions at once (a bank result file settles hundreds of payments).

    Every account's change is summed over all postings and applied with one statement (the same guarded
    decrement and upsert as for one posting), transactions and entries are inserted in bulk; all or nothing.
    """
    today = timezone.localdate()
    net: dict[tuple, int] = defaultdict(int)
    monthly: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])  # net, entries, money in
    for posting in postings:
        legs = posting.legs
        if len(legs) < 2 or sum(leg.amount_fen for leg in legs) != 0 or any(leg.amount_fen == 0 for leg in legs):
            raise LedgerError("a transaction needs two or more non-zero legs that sum to zero")
        month = (posting.on or today).replace(day=1)
        for leg in legs:
            net[leg.account] += leg.amount_fen
            monthly[(*leg.account, month)][0] += leg.amount_fen
            monthly[(*leg.account, month)][1] += 1
            monthly[(*leg.account, month)][2] += max(leg.amount_fen, 0)
    ctx = context.current()
    actor_id = getattr(actor, "pk", None) if actor is not None else ctx.user_id
    with transaction.atomic():
        for account in sorted(net):
            delta = net[account]
            if delta < 0 and account[4] != Bucket.SOURCE:
                _take(account, -delta)
            elif delta:
                _add(Balance, account, delta)
        for key in sorted(monthly, key=str):
            amount, entries, credit = monthly[key]
            if amount or entries:
                _add(MonthlyTotal, key[:5], amount, month=key[5], entries=entries, credit=credit)
        transactions = LedgerTransaction.objects.bulk_create([
            LedgerTransaction(kind=p.kind, org=p.org, year=p.year, memo=(p.memo or "")[:200], reason=p.reason,
                              reverses=p.reverses, disbursement=p.disbursement, created_by_id=actor_id)
            for p in postings
        ])
        LedgerEntry.objects.bulk_create([
            LedgerEntry(transaction=txn, org_id=leg.org_id, source_id=leg.source_id, year=leg.year,
                        category=leg.category, bucket=leg.bucket, amount_fen=leg.amount_fen,
                        household_id=leg.household_id, posted_on=p.on or today)
            for p, txn in zip(postings, transactions, strict=True) for leg in p.legs
        ], batch_size=1000)
    return transactions


def move(from_bucket: str, to_bucket: str, *, org_id: int, source_id: int, year: int, category: str,
         amount_fen: int, household_id: int | None = None, to_org_id: int | None = None) -> list[Leg]:
    """The two legs moving `amount_fen` between two buckets (and, for allocations, two orgs)."""
    return [
        Leg(org_id, source_id, year, category, from_bucket, -amount_fen, household_id),
        Leg(to_org_id or org_id, source_id, year, category, to_bucket, amount_fen, household_id),
    ]


def _take(account: tuple, amount: int) -> None:
    org_id, source_id, year, category, bucket = account
    rows = Balance.objects.filter(
        org_id=org_id, source_id=source_id, year=year, category=category, bucket=bucket, amount_fen__gte=amount
    ).update(amount_fen=F("amount_fen") - amount)
    if rows != 1:
        held = Balance.objects.filter(org_id=org_id, source_id=source_id, year=year, category=category,
                                      bucket=bucket).values_list("amount_fen", flat=True).first()
        raise InsufficientFunds(account, held or 0, amount)


def _add(model, account: tuple, delta: int, month: dt.date | None = None, entries: int = 0, credit: int = 0) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ["org_id", "source_id", "year", "category", "bucket"] + (["month"] if month else [])
    values = list(account) + ([month] if month else [])
    extra_columns, extra_values, extra_set = "", "", ""
    if month:
        extra_columns, extra_values = ", entry_count, credit_fen", ", %s, %s"
        values.extend([entries, credit])
        extra_set = (f", entry_count = {table}.entry_count + excluded.entry_count"
                     f", credit_fen = {table}.credit_fen + excluded.credit_fen")
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}, amount_fen{extra_columns}) "  # noqa: S608 - names are ours
        f"VALUES ({', '.join(['%s'] * len(columns))}, %s{extra_values}) "
        f"ON CONFLICT ({', '.join(columns)}) DO UPDATE SET amount_fen = {table}.amount_fen + excluded.amount_fen"
        f"{extra_set}"
    )
    params = values[: len(columns)] + [delta] + values[len(columns):]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def reversal_legs(txn: LedgerTransaction) -> list[Leg]:
    """The legs that undo `txn` exactly."""
    return [
        Leg(e.org_id, e.source_id, e.year, e.category, e.bucket, -e.amount_fen, e.household_id)
        for e in txn.entries.all()
    ]


def balance_of(org_id: int, source_id: int, year: int, category: str, bucket: str = Bucket.AVAILABLE) -> int:
    return Balance.objects.filter(org_id=org_id, source_id=source_id, year=year, category=category,
                                  bucket=bucket).values_list("amount_fen", flat=True).first() or 0


def verify(entries=None, balances=None, monthly=None) -> list[str]:
    """Recompute balances and monthly totals from the entries; return every difference (empty: all agree).

    Also checks that every transaction sums to zero. Set-based: three GROUP BY queries. By default the whole
    ledger; a report passes the (scoped) querysets of one union and year instead.
    """
    whole = entries is None
    entries = LedgerEntry.objects.all() if whole else entries
    balances = Balance.objects.all() if balances is None else balances
    monthly = MonthlyTotal.objects.all() if monthly is None else monthly
    problems: list[str] = []
    keys = ["org_id", "source_id", "year", "category", "bucket"]
    from_entries = {
        tuple(row[k] for k in keys): row["total"]
        for row in entries.values(*keys).annotate(total=Sum("amount_fen")).order_by()
    }
    cached = {tuple(row[k] for k in keys): row["amount_fen"] for row in balances.values(*keys, "amount_fen")}
    for account in sorted(set(from_entries) | set(cached), key=str):
        if from_entries.get(account, 0) != cached.get(account, 0):
            problems.append(
                f"balance {account}: ledger {from_entries.get(account, 0)}, cached {cached.get(account, 0)}")
    monthly_entries = {
        tuple(row[k] for k in keys) + (row["posted_on__month"], row["posted_on__year"]):
            (row["total"], row["n"], row["credit"] or 0)
        for row in entries.values(*keys, "posted_on__year", "posted_on__month")
        .annotate(total=Sum("amount_fen"), n=Count("id"), credit=Sum("amount_fen", filter=Q(amount_fen__gt=0)))
        .order_by()
    }
    monthly_cached = {
        tuple(row[k] for k in keys) + (row["month"].month, row["month"].year):
            (row["amount_fen"], row["entry_count"], row["credit_fen"])
        for row in monthly.values(*keys, "month", "amount_fen", "entry_count", "credit_fen")
    }
    for key in sorted(set(monthly_entries) | set(monthly_cached), key=str):
        if monthly_entries.get(key, (0, 0, 0)) != monthly_cached.get(key, (0, 0, 0)):
            problems.append(f"monthly total {key}: ledger {monthly_entries.get(key)}, cached {monthly_cached.get(key)}")
    legs = LedgerEntry.objects.all() if whole else LedgerEntry.objects.filter(
        transaction__in=entries.values("transaction_id"))
    unbalanced = (legs.values("transaction_id").annotate(total=Sum("amount_fen"))
                  .exclude(total=0).order_by().values_list("transaction_id", flat=True)[:20])
    problems.extend(f"transaction {pk} does not sum to zero" for pk in unbalanced)
    return problems
