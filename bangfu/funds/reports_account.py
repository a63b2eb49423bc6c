"""The yearly fund account of one union (资金台账) and the per-household totals of a subtree.

Fund account — one union X, one budget year Y (optionally one source / category):

* Opening balance: always 0. Every ledger account carries its budget year (`year` is part of the account
  key): money of year Y is received, allocated and paid in year Y's accounts, and nothing is carried into
  Y+1. A late posting (a bank result in January for a December approval) still belongs to year Y, so the
  account shows every entry of year Y whatever its posting date, and its closing figures are the current
  cached balances.
* Summary per source × category, from X's own entries grouped by bucket and transaction kind (one query):
  budgets received (available + of `budget`), allocations in / out (available ± of `allocation`), reserved
  (reserved + of `reserve`), released (available + of `release`: approved payments cancelled), paid (paid + of
  `pay`), failed and returned (available + of `fail`), corrections (available legs of `reversal`, signed),
  closing available / reserved (Σ of the bucket). By construction closing available = budgets + in − out −
  reserved + released + failed + corrections, and closing reserved = reserved − released − paid − failed.
* Reconciliation (`ledger.verify` for this union and year only): the entries' sums per account against the
  cached `Balance`, the entries' sums per account and month against `MonthlyTotal` (amount and count), and
  every transaction touching X in year Y sums to zero. Three grouped queries on X's rows.
* The transactions, chronological (posting date, then number), one line per transaction with its effect
  on X's available, reserved and paid money and the running balances; paginated, the balance carried into
  a page is one more aggregate query.

Per-household totals — the households of X's subtree paid in budget year Y: per category, total and number
of payments, from `Disbursement` in state paid (its scope: the paying union's subtree or the household's,
so a grassroots union sees what the county paid its households). One grouped query per page, plus one for
the count and one for the totals. Names are the stored masked copy (surname + *).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from bangfu.funds.models import (
    AidCategory,
    Balance,
    Bucket,
    Disbursement,
    DisbursementState,
    FundSource,
    LedgerEntry,
    MonthlyTotal,
    TransactionKind,
)

Kind = TransactionKind

# --- per-household totals --------------------------------------------------------------------------------------

HOUSEHOLD_SORTS = {
    "-total": ("-total", "household_id"),
    "total": ("total", "household_id"),
    "-payments": ("-payments", "-total", "household_id"),
    "archive": ("household__archive_number",),
}


def _paid(user, org, year: int):
    return Disbursement.objects.restrict(user, "view").filter(
        state=DisbursementState.PAID, year=year, household__org__path__startswith=org.path)


def _per_category() -> dict:
    return {f"cat_{c}": Sum("amount_fen", filter=Q(category=c)) for c in AidCategory.values}


def household_rows(user, org, year: int, sort: str = "-total"):
    """One dict per household paid in `year` (values queryset, ordered, ready to paginate)."""
    return (
        _paid(user, org, year)
        .values("household_id", "household__archive_number", "household__head_name_masked")
        .annotate(total=Sum("amount_fen"), payments=Count("id"), **_per_category())
        .order_by(*HOUSEHOLD_SORTS.get(sort, HOUSEHOLD_SORTS["-total"]))
    )


def household_summary(user, org, year: int) -> dict:
    """Totals over all households of the report: households, payments, amount, amount per category."""
    row = _paid(user, org, year).aggregate(households=Count("household", distinct=True), payments=Count("id"),
                                           total=Sum("amount_fen"), **_per_category())
    return {k: v or 0 for k, v in row.items()}


def category_columns(summary: dict) -> list[tuple[str, str]]:
    """(category, label) of the categories with money in the report (the table shows only those)."""
    return [(value, str(label)) for value, label in AidCategory.choices if summary.get(f"cat_{value}")]


# --- the fund account -----------------------------------------------------------------------------------------

ACCOUNT_COLUMNS = ("budget", "alloc_in", "alloc_out", "reserved", "released", "paid", "failed", "corrections",
                   "closing_available", "closing_reserved")

# (column, bucket, kinds, sign): a column sums the bucket's entries of these kinds, positive (+1), negative
# (-1, shown as a positive amount) or both (0).
_DEFINITIONS = (
    ("budget", Bucket.AVAILABLE, (Kind.BUDGET,), 1),
    ("alloc_in", Bucket.AVAILABLE, (Kind.ALLOCATION,), 1),
    ("alloc_out", Bucket.AVAILABLE, (Kind.ALLOCATION,), -1),
    ("reserved", Bucket.RESERVED, (Kind.RESERVE,), 1),
    ("released", Bucket.AVAILABLE, (Kind.RELEASE,), 1),
    ("paid", Bucket.PAID, (Kind.PAY,), 1),
    ("failed", Bucket.AVAILABLE, (Kind.FAIL,), 1),
    ("corrections", Bucket.AVAILABLE, (Kind.REVERSAL,), 0),
)


@dataclass
class AccountLine:
    source: FundSource | None
    category: str
    label: str
    figures: dict[str, int]

    @property
    def balances(self) -> bool:
        f = self.figures
        return (f["closing_available"] == f["budget"] + f["alloc_in"] - f["alloc_out"] - f["reserved"]
                + f["released"] + f["failed"] + f["corrections"]
                and f["closing_reserved"] == f["reserved"] - f["released"] - f["paid"] - f["failed"])


def account_entries(user, org, year: int, *, source=None, category=None):
    """The union's own entries of the budget year (scoped)."""
    filters = ({"source": source} if source else {}) | ({"category": category} if category else {})
    return LedgerEntry.objects.restrict(user, "view").filter(org=org, year=year, **filters)


def account_summary(user, org, year: int, *, source=None, category=None,
                    sources: list[FundSource] | None = None) -> tuple[list[AccountLine], dict]:
    """Lines per source × category and their totals (one grouped query; two without `sources`)."""
    rows = (account_entries(user, org, year, source=source, category=category)
            .values("source_id", "category", "bucket", "transaction__kind")
            .annotate(plus=Sum("amount_fen", filter=Q(amount_fen__gt=0)),
                      minus=Sum("amount_fen", filter=Q(amount_fen__lt=0)))
            .order_by())
    cells: dict[tuple, dict[str, int]] = {}
    for r in rows:
        figures = cells.setdefault((r["source_id"], r["category"]), dict.fromkeys(ACCOUNT_COLUMNS, 0))
        plus, minus = r["plus"] or 0, r["minus"] or 0
        for column, bucket, kinds, sign in _DEFINITIONS:
            if r["bucket"] == bucket and r["transaction__kind"] in kinds:
                figures[column] += plus if sign == 1 else -minus if sign == -1 else plus + minus
        if r["bucket"] == Bucket.AVAILABLE:
            figures["closing_available"] += plus + minus
        elif r["bucket"] == Bucket.RESERVED:
            figures["closing_reserved"] += plus + minus
    sources = {s.pk: s for s in (FundSource.objects.all() if sources is None else sources)}
    order = {value: i for i, value in enumerate(AidCategory.values)}
    labels = dict(AidCategory.choices)
    lines = [
        AccountLine(source=sources.get(sid), category=cat, label=str(labels.get(cat, cat)), figures=cells[(sid, cat)])
        for sid, cat in sorted(cells, key=lambda k: (list(sources).index(k[0]) if k[0] in sources else 99,
                                                     order.get(k[1], 99)))
    ]
    totals = {c: sum(line.figures[c] for line in lines) for c in ACCOUNT_COLUMNS}
    return lines, totals


def reconcile(user, org, year: int) -> list[str]:
    """`ledger.verify` for one union and year: every difference found (empty: the ledger sums agree)."""
    from bangfu.funds import ledger

    return ledger.verify(
        entries=account_entries(user, org, year),
        balances=Balance.objects.restrict(user, "view").filter(org=org, year=year),
        monthly=MonthlyTotal.objects.restrict(user, "view").filter(org=org, year=year),
    )


def _bucket_sums() -> dict:
    return {
        "available": Sum("amount_fen", filter=Q(bucket=Bucket.AVAILABLE)),
        "reserved": Sum("amount_fen", filter=Q(bucket=Bucket.RESERVED)),
        "paid": Sum("amount_fen", filter=Q(bucket=Bucket.PAID)),
    }


def account_transactions(user, org, year: int, *, source=None, category=None):
    """One dict per transaction touching the union (its effect on each bucket), in posting order."""
    return (
        account_entries(user, org, year, source=source, category=category)
        .values("transaction_id", "posted_on", "transaction__kind", "transaction__memo", "transaction__reason",
                "transaction__org__name", "transaction__allocation__to_org__name", "source_id", "category",
                "household__archive_number", "household__head_name_masked")
        .annotate(**_bucket_sums())
        .order_by("posted_on", "transaction_id", "source_id", "category")
    )


def carried_into(user, org, year: int, first: dict | None, *, source=None, category=None) -> dict[str, int]:
    """The available / reserved / paid sums of every transaction before `first` (a row of a later page)."""
    if first is None:
        return {"available": 0, "reserved": 0, "paid": 0}
    before = Q(posted_on__lt=first["posted_on"]) | Q(posted_on=first["posted_on"],
                                                      transaction_id__lt=first["transaction_id"])
    sums = account_entries(user, org, year, source=source, category=category).filter(before).aggregate(**_bucket_sums())
    return {k: v or 0 for k, v in sums.items()}


def with_running_balances(rows, carried: dict[str, int], sources: dict, labels: dict):
    """Yield the transaction rows with their running balances and display labels (page or export)."""
    kinds = dict(TransactionKind.choices)
    available, reserved = carried["available"], carried["reserved"]
    for row in rows:
        row = dict(row)
        for key in ("available", "reserved", "paid"):
            row[key] = row[key] or 0
        available += row["available"]
        reserved += row["reserved"]
        row["available_balance"], row["reserved_balance"] = available, reserved
        row["kind_label"] = str(kinds.get(row["transaction__kind"], row["transaction__kind"]))
        source = sources.get(row["source_id"])
        row["source_name"] = source.name if source else ""
        row["category_label"] = str(labels.get(row["category"], row["category"]))
        row["counterpart"] = _counterpart(row)
        yield row


def _counterpart(row: dict) -> str:
    """Who else an allocation involved: the giving union (money in) or the receiving one (money out)."""
    if row["transaction__kind"] != Kind.ALLOCATION:
        return ""
    if row["available"] > 0:
        return row["transaction__org__name"] or ""
    return row["transaction__allocation__to_org__name"] or ""
