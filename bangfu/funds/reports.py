"""Fund usage report (帮扶资金使用情况): set-based sums over the ledger's monthly cache, by union subtree.

A report is for one union X (in the user's scope), one budget year Y and a period of months m1..m2 of Y
(by posting date), optionally one source and/or one category. Its rows are X's own accounts ("this union
itself"), one row per child union aggregating that child's whole subtree, and the total (X's whole
subtree); the same figures are pivoted by source and by category over the whole subtree.

Where the figures come from
---------------------------
The caches kept by `ledger.post` in the same database transaction as the entries: `MonthlyTotal` (one row
per org/source/year/category/bucket/month with the signed sum of the month's entries) and `Balance` (the
same per account, all months). They are joined to `Org` by the materialised path and grouped by the path
prefix of X's children (`substr(path, 1, len(X.path) + 4)`: X's own rows keep X's path, each descendant
falls under its child of X), per bucket: the sum before the period and the sum in it. For a period near the
whole year that is `Balance` minus the few months outside the period (`_reads_balances`), otherwise the
months up to the period's end. All amounts are fen.

Each column, for a unit U (a set of orgs) and the period [P1, P2] (first day of m1 .. last day of m2 of Y):

* opening        — available + reserved of U at the start of the period: Σ available, reserved over the
                   months before m1. Each budget year is its own account in this design (`year` is part of
                   every ledger account, nothing carries over), so with m1 = 1 this is 0 unless money of
                   year Y was posted in an earlier calendar month (a budget received in advance).
* budget         — budgets received from outside: −Σ bucket `source` in the period (the source bucket only
                   moves on budgets and their reversals, so a reversed budget no longer counts).
* allocations    — allocations net: Σ of all four buckets in the period. Per org the legs of a budget,
                   reserve, release, payment or failure cancel out (both legs are the org's own), so what
                   remains is exactly allocations received − allocations given (reversals included). For a
                   child's subtree, allocations inside it cancel too, leaving what reached it from X. For
                   X's own row, "passed down" is the sum of its children's received (money only moves one
                   level down the tree), and "received" is X's net plus that. In the total and the pivots
                   the subtree is one unit: allocations inside it cancel, "received" is what came from
                   above X and "passed down" is 0.
* paid           — Σ bucket `paid` in the period (paid only ever grows: payments are never reversed).
* approved       — money reserved by final approvals in the period (gross): the reserved bucket only gains
                   on approval, so this is the month cache's `credit_fen` (money in) of bucket `reserved`,
                   see `_approved`.
* returned       — money of approved payments that went back to the available balance: failed at the bank
                   (`fail`) or cancelled after approval (`release`). The reserved bucket only loses on
                   payment, failure or release, so returned = approved − Δreserved − paid.
* reserved_end   — Σ bucket `reserved` up to the end of m2: approved payments the bank has not paid yet.
* available_end  — Σ bucket `available` up to the end of m2.

Every row balances: opening + budget + received − passed down − paid = reserved_end + available_end.
Postings of year Y made after December (a bank result in January) belong to no period of the year-Y report;
the period figures are as at the end of m2. The yearly fund account (`reports_account`) shows the whole
budget year whatever the posting dates.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field, fields

from django.db import connection
from django.db.models import Q, Sum
from django.db.models.functions import Substr

from bangfu.funds.models import (
    AidCategory,
    Balance,
    Bucket,
    FundSource,
    LedgerEntry,
    MonthlyTotal,
    TransactionKind,
)
from bangfu.orgs.models import Org

RETURN_KINDS = (TransactionKind.FAIL, TransactionKind.RELEASE)


@dataclass(frozen=True)
class Period:
    """Budget year `year`, months `month_from`..`month_to` of it (posting dates)."""

    year: int
    month_from: int = 1
    month_to: int = 12

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month_from, 1)

    @property
    def last_month(self) -> dt.date:
        return dt.date(self.year, self.month_to, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month_to, calendar.monthrange(self.year, self.month_to)[1])

    @property
    def whole_year(self) -> bool:
        return self.month_from == 1 and self.month_to == 12


@dataclass
class Flows:
    """The additive figures of one (unit, source, category) cell, in fen (see the module docstring)."""

    opening: int = 0
    budget: int = 0
    alloc_net: int = 0
    approved: int = 0
    paid: int = 0
    returned: int = 0
    reserved_end: int = 0
    available_end: int = 0

    def add(self, other: Flows) -> Flows:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


FIGURES = ("opening", "budget", "alloc_in", "alloc_out", "approved", "paid", "returned", "reserved_end",
           "available_end")


@dataclass
class Row:
    """One line of the report: a label and its figures (fen). `alloc_out` is None where it cannot apply."""

    label: str
    kind: str  # own | child | total | source | category
    flows: Flows = field(default_factory=Flows)
    alloc_out: int | None = None
    org: Org | None = None

    @property
    def alloc_in(self) -> int:
        return self.flows.alloc_net + (self.alloc_out or 0)

    def __getattr__(self, name):
        # The figures read like attributes in templates and the Excel writer: row.paid, row.available_end.
        if name in {f.name for f in fields(Flows)}:
            return getattr(self.flows, name)
        raise AttributeError(name)

    def figures(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in FIGURES}

    @property
    def balances(self) -> bool:
        """opening + budget + received − passed down − paid = reserved + available at the end."""
        f = self.flows
        return f.opening + f.budget + f.alloc_net - f.paid == f.reserved_end + f.available_end


@dataclass
class UsageReport:
    org: Org
    period: Period
    source: FundSource | None
    category: str | None
    own: Row
    children: list[Row]
    quiet_children: int  # children of X with no figures in the period
    total: Row
    by_source: list[Row]
    by_category: list[Row]

    @property
    def empty(self) -> bool:
        return not self.total.flows


# --- the two queries ------------------------------------------------------------------------------------------


def _unit(org: Org):
    """The path prefix naming the row an org falls under: X itself, or its child of X."""
    return Substr("org__path", 1, len(org.path) + Org.steplen)


def _filters(source, category) -> dict:
    return ({"source": source} if source else {}) | ({"category": category} if category else {})


def cached_flows(user, org: Org, period: Period, *, source=None, category=None) -> dict[tuple, Flows]:
    """{(unit path, source id, category): Flows} from the caches only (at most three grouped queries)."""
    sums = _bucket_sums(user, org, period, _filters(source, category))
    approved = _approved(user, org, period, _filters(source, category))
    result = {}
    for key in sums.keys() | approved.keys():
        buckets = sums.get(key, {})
        head = {b: buckets.get(b, (0, 0))[0] for b in Bucket.values}
        flow = {b: buckets.get(b, (0, 0))[1] for b in Bucket.values}
        gross = approved.get(key, 0)
        back = gross - flow[Bucket.RESERVED] - flow[Bucket.PAID]
        result[key] = Flows(
            opening=head[Bucket.AVAILABLE] + head[Bucket.RESERVED], budget=-flow[Bucket.SOURCE],
            alloc_net=sum(flow.values()), approved=gross,
            paid=flow[Bucket.PAID], returned=back, reserved_end=head[Bucket.RESERVED] + flow[Bucket.RESERVED],
            available_end=head[Bucket.AVAILABLE] + flow[Bucket.AVAILABLE],
        )
    return result


def _reads_balances(period: Period) -> bool:
    """Whether the period's sums are cheaper as `Balance` minus the months outside the period.

    Summing the months up to the period's end reads `month_to` months of cache rows. The other way reads
    `Balance` (about one month's worth of rows: one per account) and the months before and after the period
    (the months after include postings of the budget year made in the next calendar year): for the whole
    year that is `Balance` and almost nothing else. Both are exact: `ledger.post` keeps Balance = Σ monthly
    totals of each account in the same database transaction.
    """
    outside = (period.month_from - 1) + (12 - period.month_to)
    return outside + 1 < period.month_to


def _bucket_sums(user, org: Org, period: Period, filters: dict) -> dict[tuple, dict[str, tuple[int, int]]]:
    """{(unit, source id, category): {bucket: (before the period, in the period)}}, one or two grouped queries."""
    start, end = period.first_day, period.last_month
    months = (MonthlyTotal.objects.restrict(user, "view")
              .filter(org__path__startswith=org.path, year=period.year, **filters))
    sums: dict[tuple, dict[str, tuple[int, int]]] = {}
    if not _reads_balances(period):
        rows = _by_unit(months.filter(month__lte=end), org, head=Q(month__lt=start), flow=Q(month__gte=start))
        for unit, source_id, category, bucket, head, flow in rows:
            sums.setdefault((unit, source_id, category), {})[bucket] = (head or 0, flow or 0)
        return sums
    balances = (Balance.objects.restrict(user, "view")
                .filter(org__path__startswith=org.path, year=period.year, **filters))
    outside = months.filter(Q(month__lt=start) | Q(month__gt=end))
    edges = {tuple(r[:4]): (r[4] or 0, r[5] or 0)
             for r in _by_unit(outside, org, head=Q(month__lt=start), tail=Q(month__gt=end))}
    for unit, source_id, category, bucket, total in _by_unit(balances, org, total=None):
        head, tail = edges.pop((unit, source_id, category, bucket), (0, 0))
        sums.setdefault((unit, source_id, category), {})[bucket] = (head, (total or 0) - head - tail)
    for (unit, source_id, category, bucket), (head, tail) in edges.items():  # not in Balance: a broken cache
        sums.setdefault((unit, source_id, category), {})[bucket] = (head, -head - tail)
    return sums


def _by_unit(queryset, org: Org, column: str = "amount_fen", **sums: Q | None) -> list[tuple]:
    """(unit, source id, category, bucket, *sums) of a cache queryset (restricted and filtered already).

    Aggregated in two steps in the database: per org and account first, then those groups per unit (the
    org's path prefix). Grouping the cache rows by the path prefix directly makes PostgreSQL misjudge the
    number of groups and sort every row (spilling to disk): twice as slow at 1,000,000 ledger rows.
    """
    inner = (queryset.values("org_id", "source_id", "category", "bucket")
             .annotate(**{name: Sum(column, filter=condition) for name, condition in sums.items()})
             .order_by())
    sql, params = inner.query.sql_with_params()
    quote = connection.ops.quote_name
    totals = ", ".join(f"SUM(t.{quote(name)})" for name in sums)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT SUBSTR(o.path, 1, %s), t.source_id, t.category, t.bucket, {totals} "  # noqa: S608 - our names
            f"FROM ({sql}) t JOIN {quote(Org._meta.db_table)} o ON o.id = t.org_id GROUP BY 1, 2, 3, 4",
            [len(org.path) + Org.steplen, *params])
        return cursor.fetchall()


def _approved(user, org: Org, period: Period, filters: dict) -> dict[tuple, int]:
    """{(unit, source id, category): fen} reserved by final approvals in the period (money into `reserved`)."""
    months = (MonthlyTotal.objects.restrict(user, "view")
              .filter(org__path__startswith=org.path, year=period.year, bucket=Bucket.RESERVED,
                      month__gte=period.first_day, month__lte=period.last_month, **filters))
    return {(unit, source_id, category): total or 0
            for unit, source_id, category, _bucket, total in _by_unit(months, org, column="credit_fen", total=None)}


# --- assembling the rows (plain Python over at most units × sources × categories cells) ---------------------


def usage_report(user, org: Org, period: Period, *, source: FundSource | None = None, category: str | None = None,
                 sources: list[FundSource] | None = None) -> UsageReport:
    """The usage report of `org`'s subtree (see the module docstring). Five queries whatever the size (four
    with `sources`, the fund sources in their order, given)."""
    return assemble(org, period, cached_flows(user, org, period, source=source, category=category),
                    source=source, category=category, sources=sources)


def assemble(org: Org, period: Period, cells: dict[tuple, Flows], *, source=None, category=None,
             sources: list[FundSource] | None = None) -> UsageReport:
    """Rows, total and pivots from {(unit path, source id, category): Flows}. Shared by the report and the
    benchmark's baseline, so that both are compared figure by figure."""
    by_unit: dict[str, Flows] = {}
    by_source: dict[int, Flows] = {}
    by_category: dict[str, Flows] = {}
    total = Flows()
    for (unit, source_id, cat), flows in cells.items():
        by_unit.setdefault(unit, Flows()).add(flows)
        by_source.setdefault(source_id, Flows()).add(flows)
        by_category.setdefault(cat, Flows()).add(flows)
        total.add(flows)
    child_paths = sorted(path for path, flows in by_unit.items() if path != org.path and flows)
    children = {o.path: o for o in Org.objects.filter(path__in=child_paths).only("id", "name", "path", "depth",
                                                                                   "numchild")}
    child_rows = [Row(label=children[p].name, kind="child", flows=by_unit[p], org=children[p])
                  for p in child_paths if p in children]
    passed_down = sum(r.flows.alloc_net for r in child_rows)
    own = Row(label=org.name, kind="own", flows=by_unit.get(org.path, Flows()), alloc_out=passed_down, org=org)
    sources = {s.pk: s for s in (FundSource.objects.all() if sources is None else sources)}  # in their order
    source_rows = [Row(label=s.name, kind="source", flows=by_source[pk])
                   for pk, s in sources.items() if by_source.get(pk)]
    order = {value: i for i, value in enumerate(AidCategory.values)}
    labels = dict(AidCategory.choices)
    category_rows = [Row(label=str(labels.get(c, c)), kind="category", flows=by_category[c])
                     for c in sorted(by_category, key=lambda c: order.get(c, 99)) if by_category[c]]
    return UsageReport(
        org=org, period=period, source=source, category=category, own=own, children=child_rows,
        quiet_children=max(org.numchild - len(child_rows), 0), total=Row(label="", kind="total", flows=total),
        by_source=source_rows, by_category=category_rows,
    )


def baseline_cells(org: Org, period: Period, *, source=None, category=None) -> dict[tuple, Flows]:
    """The same cells by the plain ORM over `LedgerEntry` (the benchmark's baseline; also used in tests).

    Defined from the transaction kinds rather than from the buckets, so that it checks the cache and the
    derivations of `cached_flows` at once.
    """
    start = period.first_day
    in_period = Q(posted_on__gte=start)
    kind = "transaction__kind"
    rows = (
        LedgerEntry.objects.filter(org__path__startswith=org.path, year=period.year, posted_on__lte=period.last_day,
                                   **_filters(source, category))
        .annotate(unit=_unit(org))
        .values("unit", "source_id", "category")
        .annotate(
            opening=Sum("amount_fen", filter=Q(posted_on__lt=start, bucket__in=[Bucket.AVAILABLE, Bucket.RESERVED])),
            budget=Sum("amount_fen", filter=in_period & Q(bucket=Bucket.SOURCE)),
            allocations=Sum("amount_fen", filter=in_period & Q(**{kind: TransactionKind.ALLOCATION},
                                                               bucket=Bucket.AVAILABLE)),
            corrections=Sum("amount_fen", filter=in_period & Q(**{kind: TransactionKind.REVERSAL})),
            approved=Sum("amount_fen", filter=in_period & Q(**{kind: TransactionKind.RESERVE}, bucket=Bucket.RESERVED)),
            paid=Sum("amount_fen", filter=in_period & Q(**{kind: TransactionKind.PAY}, bucket=Bucket.PAID)),
            returned=Sum("amount_fen", filter=in_period & Q(**{f"{kind}__in": RETURN_KINDS}, bucket=Bucket.AVAILABLE)),
            reserved_end=Sum("amount_fen", filter=Q(bucket=Bucket.RESERVED)),
            available_end=Sum("amount_fen", filter=Q(bucket=Bucket.AVAILABLE)),
        )
        .order_by()
    )
    cells = {}
    for r in rows:
        v = {k: (r[k] or 0) for k in r if k not in ("unit", "source_id", "category")}
        # A reversed budget takes money back to the source (sums to 0 per org); a reversed allocation moves
        # it back up a level: the reversal's legs of this unit are its allocation correction.
        cells[(r["unit"], r["source_id"], r["category"])] = Flows(
            opening=v["opening"], budget=-v["budget"], alloc_net=v["allocations"] + v["corrections"],
            approved=v["approved"], paid=v["paid"], returned=v["returned"], reserved_end=v["reserved_end"],
            available_end=v["available_end"],
        )
    return cells
