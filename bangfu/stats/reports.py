"""The statistics office's standard reports (统计报表) of one union X, as of a date D, read from history.

Every report but the per-household list has one row for X's own households or accounts ("本级"), one row per
child of X aggregating that child's whole subtree, and a total row (X's whole subtree). Each is a handful of
grouped queries: rows are grouped in the database by the path prefix naming the row (`substr(path, 1,
len(X.path) + 4)`: X's own rows keep X's path, every descendant falls under its child of X); Python only
arranges the few grouped cells into rows.

"As of D" means at the end of D, the next local midnight (`end_of`): a household's tuple is the one of its
`HouseholdSpan` with valid_from <= end < valid_to (or still open), so the figures of a past date do not move
when archives change afterwards. The ledger is append-only: money as of D is the entries posted on or before D
of D's budget year.

* archives — active archives by category and by main cause;
* funds    — budgets received, paid and approved-not-paid per source and category (also needs the ledger);
* exits    — archives that went into the state "exited" in D's year up to D, by exit reason (the union and
             reason recorded when they exited; a later change of an exited archive is not a new exit);
* help     — one row per household paid by a union of the subtree in D's budget year up to D: archive number,
             masked name, its union and category as of D, paid per aid category, payments (no ID numbers).

Exports suppress small counts (`suppressed`): a count from 1 to `BANGFU_STATS_MIN_CELL` − 1 is shown as "<N".
A 0 discloses nothing and stays; totals are summed from the exact figures and suppressed the same way. The
per-household list is a list of help, not counts: nothing is suppressed there, and it needs the ledger
permission (`funds.view_ledgerentry`) besides the export permission.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangfu.funds.models import AidCategory, Bucket, FundSource, LedgerEntry
from bangfu.orgs.models import Org
from bangfu.registry.models import Category, State
from bangfu.registry.models.codes import CodeItem, CodeList, code_label
from bangfu.registry.models.lifecycle import ExitReason
from bangfu.stats.models import HouseholdSpan

KINDS = {
    "archives": gettext_lazy("Active archives by category and main cause"),
    "funds": gettext_lazy("Fund usage by source and category"),
    "exits": gettext_lazy("Exits by reason"),
    "help": gettext_lazy("Help delivered per household"),
}
LEDGER_KINDS = {"funds", "help"}  # read the ledger: `funds.view_ledgerentry` is needed too
LEDGER_PERMISSION = "funds.view_ledgerentry"


def kinds_for(user) -> dict:
    """The reports this user may export (the caller has checked `stats.export_statistics`)."""
    ledger = user.has_role_permission(LEDGER_PERMISSION)
    return {kind: label for kind, label in KINDS.items() if ledger or kind not in LEDGER_KINDS}


def min_cell() -> int:
    return max(1, int(settings.BANGFU_STATS_MIN_CELL))


def suppressed(value, minimum: int):
    """A count as exported: from 1 to `minimum` − 1 it becomes the text "<minimum"; 0 and larger stay."""
    if isinstance(value, int) and 0 < value < minimum:
        return f"<{minimum}"
    return value


def end_of(day: dt.date) -> dt.datetime:
    """The end of `day`: the next midnight in the platform's time zone (Asia/Shanghai), aware."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_default_timezone())


def spans_at(moment: dt.datetime):
    """The spans holding at `moment`: each household's tuple as it was then (at most one per household)."""
    return HouseholdSpan.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=moment), valid_from__lte=moment)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"  # count (suppressed in exports) | int | yuan (fen in, yuan out) | text
    width: float = 12


@dataclass
class Table:
    """One sheet: rows of values in the order of `columns`, and the total row."""

    name: str
    columns: list[Column]
    rows: Iterable[list]
    total: list | None = None


@dataclass
class Report:
    kind: str
    org: Org
    as_of: dt.date
    tables: list[Table]
    rows: int = 0  # what the audit log records: union rows, or households listed
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(KINDS[self.kind])

    @property
    def has_counts(self) -> bool:
        return any(c.kind == "count" for t in self.tables for c in t.columns)

    @property
    def has_amounts(self) -> bool:
        return any(c.kind == "yuan" for t in self.tables for c in t.columns)


def build(kind: str, user, org: Org, as_of: dt.date) -> Report:
    return {"archives": archives, "funds": funds, "exits": exits, "help": help_delivered}[kind](user, org, as_of)


# --- rows by union ---------------------------------------------------------------------------------------------


def _unit(org: Org, lookup: str = "org__path"):
    """The path prefix naming the row an org falls under: X itself, or its child of X."""
    return Substr(lookup, 1, len(org.path) + Org.steplen)


def units(org: Org) -> list[tuple[str, str]]:
    """(path, label) of the rows: X itself ("本级"), then each child of X in tree order."""
    children = Org.objects.filter(path__startswith=org.path, depth=org.depth + 1).order_by("path")
    return [(org.path, _("%(union)s (itself)") % {"union": org.name}), *children.values_list("path", "name")]


def _union_table(name: str, org: Org, columns: list[Column], cells: dict[str, dict[str, int]]) -> Table:
    """Rows of X itself and of its children from {unit path: {column key: figure}}; the total sums them all."""
    total: dict[str, int] = defaultdict(int)
    for figures in cells.values():
        for key, value in figures.items():
            total[key] += value
    keys = [c.key for c in columns[1:]]
    rows = [[label, *(cells.get(path, {}).get(k, 0) for k in keys)] for path, label in units(org)]
    return Table(name, columns, rows, [_("Total"), *(total.get(k, 0) for k in keys)])


def _label(value: str, choices, empty: str) -> str:
    return str(dict(choices).get(value, value)) if value else empty


# --- a. active archives by category and main cause -------------------------------------------------------------


def archives(user, org: Org, as_of: dt.date) -> Report:
    rows = (spans_at(end_of(as_of)).filter(org__path__startswith=org.path, state=State.ACTIVE)
            .annotate(unit=_unit(org)).values_list("unit", "category", "main_cause")
            .annotate(n=Count("pk")).order_by())
    cells: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    causes_seen = set()
    for unit, category, cause, n in rows:
        cell = cells[unit]
        cell["total"] += n
        cell[f"category:{category if category in Category.values else ''}"] += n
        cell[f"cause:{cause}"] += n
        causes_seen.add(cause)
    causes = list(CodeItem.objects.of(CodeList.CAUSE).order_by("sort_order", "code").values_list("code", flat=True))
    causes += sorted(causes_seen - set(causes) - {""})  # a code withdrawn from the list since
    columns = [
        Column("union", _("Union"), "text", 30), Column("total", _("Active archives"), width=10),
        *(Column(f"category:{value}", str(label)) for value, label in Category.choices),
        Column("category:", _("Not classified")),
        *(Column(f"cause:{code}", code_label(CodeList.CAUSE, code)) for code in causes),
        Column("cause:", _("No main cause recorded")),
    ]
    report = Report("archives", org, as_of, [_union_table(_("By union"), org, columns, cells)])
    report.rows = len(report.tables[0].rows)
    report.notes.append(_("Columns: the active archives by category, then the same archives by main cause."))
    return report


# --- c. exits by reason ----------------------------------------------------------------------------------------


def exits(user, org: Org, as_of: dt.date) -> Report:
    moment, year_start = end_of(as_of), end_of(dt.date(as_of.year - 1, 12, 31))
    # A span in the state "exited" is an exit when the household's previous span (spans are only ever
    # appended: the previous one has the next lower id) was in another state, or when it has none.
    previous = (HouseholdSpan.objects.filter(household_id=OuterRef("household_id"), pk__lt=OuterRef("pk"))
                .order_by("-pk").values("state")[:1])
    rows = (HouseholdSpan.objects.filter(org__path__startswith=org.path, state=State.EXITED,
                                         valid_from__gt=year_start, valid_from__lte=moment)
            .annotate(before=Coalesce(Subquery(previous), Value(""))).exclude(before=State.EXITED)
            .annotate(unit=_unit(org)).values_list("unit", "exit_reason").annotate(n=Count("pk")).order_by())
    cells: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for unit, reason, n in rows:
        cells[unit]["total"] += n
        cells[unit][f"reason:{reason if reason in ExitReason.values else ''}"] += n
    columns = [
        Column("union", _("Union"), "text", 30), Column("total", _("Archives exited"), width=10),
        *(Column(f"reason:{value}", str(label), width=16) for value, label in ExitReason.choices),
        Column("reason:", _("Reason not recorded")),
    ]
    report = Report("exits", org, as_of, [_union_table(_("By union"), org, columns, cells)])
    report.rows = len(report.tables[0].rows)
    report.notes.append(_("Archives that exited from 1 January %(year)s to the end of %(date)s, with the union "
                          "and reason recorded when they exited.") % {"year": as_of.year, "date": as_of.isoformat()})
    return report


# --- b. fund usage per source and category ---------------------------------------------------------------------

FUND_FIGURES = ("budget", "paid", "reserved")


def _ledger(user, org: Org, as_of: dt.date):
    return (LedgerEntry.objects.restrict(user, "view")
            .filter(org__path__startswith=org.path, year=as_of.year, posted_on__lte=as_of,
                    # recorded by then too: a bank result imported later carries the bank's earlier date
                    transaction__created_at__lt=end_of(as_of)))


def _fund_columns(*first: Column) -> list[Column]:
    return [*first, Column("budget", _("Budgets received"), "yuan", 16), Column("paid", _("Paid"), "yuan", 16),
            Column("reserved", _("Approved, not yet paid"), "yuan", 16)]


def funds(user, org: Org, as_of: dt.date) -> Report:
    rows = (_ledger(user, org, as_of).filter(bucket__in=[Bucket.SOURCE, Bucket.PAID, Bucket.RESERVED])
            .annotate(unit=_unit(org)).values_list("unit", "source_id", "category")
            .annotate(source_sum=Sum("amount_fen", filter=Q(bucket=Bucket.SOURCE)),
                      paid_sum=Sum("amount_fen", filter=Q(bucket=Bucket.PAID)),
                      reserved_sum=Sum("amount_fen", filter=Q(bucket=Bucket.RESERVED)))
            .order_by())
    # Budgets are money taken from the `source` bucket (a reversed budget gives it back): −Σ source.
    cells = {(unit, source_id, category): {"budget": -(budget or 0), "paid": paid or 0, "reserved": reserved or 0}
             for unit, source_id, category, budget, paid, reserved in rows}
    by_unit: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_account: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (unit, source_id, category), figures in cells.items():
        for key in FUND_FIGURES:
            by_unit[unit][key] += figures[key]
            by_account[(source_id, category)][key] += figures[key]
    sources = list(FundSource.objects.all())  # in their configured order
    order = [(s, value, label) for s in sources for value, label in AidCategory.choices]
    accounts = [(s, value, label) for s, value, label in order if any(by_account[(s.pk, value)].values())]

    by_union = _union_table(_("By union"), org, _fund_columns(Column("union", _("Union"), "text", 30)), by_unit)
    source_column, category_column = Column("source", _("Source"), "text", 24), Column("category", _("Aid category"),
                                                                                        "text", 22)
    pivot = Table(_("By source and category"), _fund_columns(source_column, category_column), [
        [s.name, str(label), *(by_account[(s.pk, value)][k] for k in FUND_FIGURES)] for s, value, label in accounts
    ], [_("Total"), "", *by_union.total[1:]])
    detail_rows = []
    for path, name in units(org):
        for s, value, label in accounts:
            figures = cells.get((path, s.pk, value))
            if figures and any(figures.values()):
                detail_rows.append([name, s.name, str(label), *(figures[k] for k in FUND_FIGURES)])
    detail = Table(_("By union, source and category"), _fund_columns(Column("union", _("Union"), "text", 30),
                                                                      source_column, category_column),
                   detail_rows, [_("Total"), "", "", *by_union.total[1:]])
    report = Report("funds", org, as_of, [by_union, pivot, detail], rows=len(by_union.rows))
    report.notes.append(_("Budget year %(year)s, ledger entries posted up to %(date)s. Budgets received: budgets "
                          "recorded by the union (net of reversals); approved, not yet paid: money reserved for "
                          "approved payments that the bank had not paid by then.")
                        % {"year": as_of.year, "date": as_of.isoformat()})
    return report


# --- d. help delivered per household ---------------------------------------------------------------------------


def help_delivered(user, org: Org, as_of: dt.date) -> Report:
    moment = end_of(as_of)
    # The household's span holding at the end of D; for a payment older than the recorded history, its first
    # span. Spans never change once closed, so either answer stays the same whatever happens later.
    known = (HouseholdSpan.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=moment),
                                          household_id=OuterRef("household_id")).order_by("valid_from", "-pk"))
    paid = _ledger(user, org, as_of).filter(bucket=Bucket.PAID, household__isnull=False)
    sums = {f"cat_{value}": Sum("amount_fen", filter=Q(category=value)) for value in AidCategory.values}
    figures = dict(sums, total_paid=Sum("amount_fen"), payments=Count("pk", filter=Q(amount_fen__gt=0)))
    rows = (paid.values("household_id", "household__archive_number", "household__head_name_masked")
            .annotate(union_name=Subquery(known.values("org__name")[:1]),
                      category_then=Subquery(known.values("category")[:1]), **figures)
            .order_by("household__archive_number"))
    summary = paid.aggregate(households=Count("household_id", distinct=True), **figures)
    columns = [
        Column("archive", _("Archive number"), "text", 20), Column("head", _("Head of household"), "text", 12),
        Column("union", _("Union"), "text", 26), Column("category", _("Category"), "text", 22),
        *(Column(f"cat_{value}", str(label), "yuan", 14) for value, label in AidCategory.choices),
        Column("total_paid", _("Total paid"), "yuan", 14), Column("payments", _("Payments"), "int", 10),
    ]
    not_classified = _("Not classified")

    def values():
        for row in rows.iterator(chunk_size=2000):
            yield [row["household__archive_number"], row["household__head_name_masked"], row["union_name"] or "",
                   _label(row["category_then"] or "", Category.choices, not_classified),
                   *(row[f"cat_{value}"] or 0 for value in AidCategory.values), row["total_paid"] or 0,
                   row["payments"]]

    total = [_("Total"), _("%(count)s households") % {"count": summary["households"]}, "", "",
             *(summary[f"cat_{value}"] or 0 for value in AidCategory.values), summary["total_paid"] or 0,
             summary["payments"] or 0]
    report = Report("help", org, as_of, [Table(_("Households"), columns, values(), total)],
                    rows=summary["households"])
    report.notes.append(_("Payments of budget year %(year)s made by the unions of the subtree and paid up to %(date)s; "
                          "the household's union and category as of that date. Households appear only with their "
                          "archive number and masked name.") % {"year": as_of.year, "date": as_of.isoformat()})
    return report
