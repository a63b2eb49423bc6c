"""Folding the pending deltas into the rollups, and reading exact counts for one union's subtree.

`compact()` moves every pending `HouseholdDelta` into the `HouseholdRollup` and `HouseholdFlow` rows of each
ancestor of its union, in one transaction: on PostgreSQL one statement (`DELETE … RETURNING` feeding two upserts,
so exactly the rows folded are the rows deleted even while triggers keep writing); on SQLite, which has one
writer at a time, the same in three statements. The readers add the rollup rows of the union to the deltas still
pending in its subtree, so a figure is exact whether or not the compaction has run.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Sum, Value, When

from bangfu.core.locks import xact_lock
from bangfu.stats import due
from bangfu.stats.models import FundDelta, FundRollup, HouseholdDelta, HouseholdFlow, HouseholdRollup
from bangfu.stats.sql import TUPLE, UTC_OFFSET_HOURS

_COLS = ", ".join(TUPLE)
_KEY = [c.removesuffix("_id") for c in TUPLE]  # ORM names: org, state, …
_COUNT_UPSERT = """ON CONFLICT (org_id, state, category, main_cause, exit_reason, has_helper)
    DO UPDATE SET households = stats_householdrollup.households + excluded.households"""
_FLOW_UPSERT = """ON CONFLICT (org_id, month, state) DO UPDATE SET
    entered = stats_householdflow.entered + excluded.entered, "left" = stats_householdflow."left" + excluded."left",
    state_entered = stats_householdflow.state_entered + excluded.state_entered,
    state_left = stats_householdflow.state_left + excluded.state_left"""
# A delta row counts the households of one statement that entered (+n) or left (−n) a tuple.
_FLOW_SUMS = """SUM(CASE WHEN delta > 0 THEN delta ELSE 0 END), SUM(CASE WHEN delta < 0 THEN -delta ELSE 0 END),
    SUM(CASE WHEN delta > 0 AND flag = 2 THEN delta ELSE 0 END),
    SUM(CASE WHEN delta < 0 AND flag = 2 THEN -delta ELSE 0 END)"""
_ROLLUP_INSERT = f"INSERT INTO stats_householdrollup ({_COLS}, households)"
_FLOW_INSERT = 'INSERT INTO stats_householdflow (org_id, month, state, entered, "left", state_entered, state_left)'
_TUPLE_NO_ORG = ", ".join(TUPLE[1:])

_FUND_COLS = "year, source_id, category, bucket"
_FUND_UPSERT = """ON CONFLICT (org_id, year, source_id, category, bucket)
    DO UPDATE SET amount_fen = stats_fundrollup.amount_fen + excluded.amount_fen"""


def _ancestors(org_alias: str = "o") -> str:
    """Join `a` to every ancestor of the org `o` (itself included): on PostgreSQL one index probe per level of
    the path; SQLite, with no generate_series and small trees, compares the path prefixes."""
    from bangfu.orgs.models import Org

    if connection.vendor == "postgresql":
        return (
            f"CROSS JOIN LATERAL generate_series(1, {org_alias}.depth) AS g(n) "
            f"JOIN orgs_org a ON a.path = substr({org_alias}.path, 1, g.n * {Org.steplen})"
        )
    return f"JOIN orgs_org a ON substr({org_alias}.path, 1, length(a.path)) = a.path"


def _pg_compact(cursor) -> None:
    tuple_m = ", ".join(f"m.{c}" for c in TUPLE[1:])
    cursor.execute(f"""
        WITH moved AS (DELETE FROM stats_householddelta RETURNING {_COLS}, delta, flag, month),
        anc AS (SELECT a.id AS ancestor_id, {tuple_m}, m.delta, m.flag, m.month FROM moved m
                JOIN orgs_org o ON o.id = m.org_id {_ancestors()}),
        counts AS ({_ROLLUP_INSERT}
            SELECT ancestor_id, {_TUPLE_NO_ORG}, SUM(delta) FROM anc
            GROUP BY ancestor_id, {_TUPLE_NO_ORG} HAVING SUM(delta) <> 0 {_COUNT_UPSERT} RETURNING 1)
        {_FLOW_INSERT}
        SELECT ancestor_id, month, state, {_FLOW_SUMS} FROM anc WHERE flag >= 1
        GROUP BY ancestor_id, month, state {_FLOW_UPSERT}""")
    cursor.execute(f"""
        WITH moved AS (DELETE FROM stats_funddelta RETURNING org_id, {_FUND_COLS}, amount_fen)
        INSERT INTO stats_fundrollup (org_id, {_FUND_COLS}, amount_fen)
        SELECT a.id, m.year, m.source_id, m.category, m.bucket, SUM(m.amount_fen) FROM moved m
        JOIN orgs_org o ON o.id = m.org_id {_ancestors()}
        GROUP BY a.id, m.year, m.source_id, m.category, m.bucket {_FUND_UPSERT}""")


def _sqlite_compact(cursor, last: int, last_fund: int) -> None:
    tuple_d = ", ".join(f"d.{c}" for c in TUPLE[1:])
    base = f"FROM stats_householddelta d JOIN orgs_org o ON o.id = d.org_id {_ancestors()} WHERE d.id <= %s"
    flow_sums = _FLOW_SUMS.replace("delta", "d.delta").replace("flag", "d.flag")
    cursor.execute(
        f"""{_ROLLUP_INSERT} SELECT a.id, {tuple_d}, SUM(d.delta) {base}
                       GROUP BY a.id, {tuple_d} HAVING SUM(d.delta) <> 0 {_COUNT_UPSERT}""",
        [last],
    )
    cursor.execute(
        f"""{_FLOW_INSERT} SELECT a.id, d.month, d.state, {flow_sums} {base} AND d.flag >= 1
                       GROUP BY a.id, d.month, d.state {_FLOW_UPSERT}""",
        [last],
    )
    cursor.execute("DELETE FROM stats_householddelta WHERE id <= %s", [last])
    cursor.execute(
        f"""INSERT INTO stats_fundrollup (org_id, {_FUND_COLS}, amount_fen)
                       SELECT a.id, d.year, d.source_id, d.category, d.bucket, SUM(d.amount_fen)
                       FROM stats_funddelta d JOIN orgs_org o ON o.id = d.org_id {_ancestors()} WHERE d.id <= %s
                       GROUP BY a.id, d.year, d.source_id, d.category, d.bucket {_FUND_UPSERT}""",
        [last_fund],
    )
    cursor.execute("DELETE FROM stats_funddelta WHERE id <= %s", [last_fund])


def compact() -> int:
    """Fold every pending delta into the rollups of all ancestors; returns how many were pending."""
    with transaction.atomic():
        xact_lock("stats.compact")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM stats_householddelta), "
                "(SELECT count(*) FROM stats_funddelta), (SELECT max(id) FROM stats_householddelta), "
                "(SELECT max(id) FROM stats_funddelta), (SELECT count(*) FROM stats_duedelta)"
            )
            households, funds, last, last_fund, dues = cursor.fetchone()
            if not (households or funds or dues):
                return 0
            if connection.vendor == "postgresql":
                _pg_compact(cursor)
            else:
                _sqlite_compact(cursor, last or 0, last_fund or 0)
            due.compact(cursor)
        return households + funds + dues


@contextmanager
def serial_plan():
    """Run the enclosed reads in one transaction without parallel workers on PostgreSQL. The rollup reads take a
    few hundred rows plus the pending deltas; when the deltas' table statistics are stale (the table is emptied
    every minute) the planner may run the two halves of a reader's `UNION ALL` in parallel workers, whose
    start-up cost 30 ms where the read itself takes 5 (bench/stats_dashboard.py, 18,000 pending deltas). One
    setting for a whole page: a transaction per read would cost more round trips than it saves."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield


DELTA_TABLES = ("stats_householddelta", "stats_funddelta", "stats_duedelta")


def vacuum_deltas() -> None:
    """VACUUM (ANALYZE) the delta tables on PostgreSQL, outside a transaction (the scheduled compaction does it
    after each fold). Every row of these tables is deleted within a minute of being written: without a vacuum
    their dead rows pile up and every reader's scan of the pending deltas reads them (3 ms per dashboard query
    after 150,000 changes, bench/stats_dashboard.py), and their statistics go stale. autovacuum would do it, but
    may be off or behind; it costs a few milliseconds here."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or not connection.get_autocommit():
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(DELTA_TABLES)}")


def folded(rollup_rows, pending_rows, figures: int = 1) -> dict[tuple, list[int]]:
    """{key: [sums…]}: rows of a rollup table plus the deltas still pending, added up per key. The two querysets
    give the same columns (the key, then `figures` numbers) and are read as one `UNION ALL` statement, so a
    compaction committing in between cannot make a delta count twice or not at all."""
    totals: dict[tuple, list[int]] = {}
    for row in rollup_rows.order_by().union(pending_rows.order_by(), all=True):
        cell = totals.setdefault(tuple(row[:-figures]), [0] * figures)
        for i, value in enumerate(row[-figures:]):
            cell[i] += value or 0
    return totals


def household_counts(org) -> dict[tuple, int]:
    """{(state, category, main_cause, exit_reason, has_helper): households} of `org`'s whole subtree, exact."""
    keys = _KEY[1:]
    totals = folded(
        HouseholdRollup.objects.filter(org=org).exclude(households=0).values_list(*keys, "households"),
        HouseholdDelta.objects.filter(org__path__startswith=org.path).values_list(*keys).annotate(n=Sum("delta")),
    )
    return {key: n for key, (n,) in totals.items() if n}


FLOW_FIGURES = ["entered", "left", "state_entered", "state_left"]


def pending_flows(queryset):
    """Pending deltas aggregated like `HouseholdFlow` rows (whatever keys `queryset` was grouped by)."""

    def count(households, **when):
        return Sum(Case(When(**when, then=households), default=Value(0), output_field=IntegerField()))

    entered, left = F("delta"), -F("delta")  # a delta row counts n households
    return queryset.filter(flag__gte=1).annotate(
        entered_n=count(entered, delta__gt=0), left_n=count(left, delta__lt=0),
        state_entered_n=count(entered, delta__gt=0, flag=2), state_left_n=count(left, delta__lt=0, flag=2))


def monthly_flows(org, since: dt.date) -> dict[tuple[dt.date, str], dict[str, int]]:
    """{(month, state): {entered, left, state_entered, state_left}} of `org`'s subtree from month `since`, exact."""
    totals = folded(
        HouseholdFlow.objects.filter(org=org, month__gte=since).values_list("month", "state", *FLOW_FIGURES),
        pending_flows(HouseholdDelta.objects.filter(org__path__startswith=org.path, month__gte=since)
                      .values_list("month", "state")),
        figures=len(FLOW_FIGURES),
    )
    return {key: dict(zip(FLOW_FIGURES, figures, strict=True)) for key, figures in totals.items()}


def rebuild(*, dues: bool = True) -> None:
    """Recompute every rollup from the history (after the union tree was restructured, to repair, and as the
    oracle of the tests): counts from the open spans, flows from consecutive spans, fund sums from the ledger,
    due-day histograms from every household's due days recomputed (`dues=False` only for migration 0002, which
    runs before the due tables exist)."""
    with transaction.atomic():
        xact_lock("stats.compact")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # writers' triggers wait until the rebuild is committed
                # In the order writers take them (a table's AFTER triggers fire by name: stats_due_… first).
                tables = ("stats_duedelta, " if dues else "") + "stats_householddelta, stats_funddelta"
                cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        for model in (HouseholdDelta, HouseholdRollup, HouseholdFlow, FundDelta, FundRollup):
            model.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(_rebuild_sql())
            cursor.execute(_rebuild_flows_sql())
            cursor.execute(f"""INSERT INTO stats_fundrollup (org_id, {_FUND_COLS}, amount_fen)
                SELECT a.id, e.year, e.source_id, e.category, e.bucket, SUM(e.amount_fen) FROM funds_ledgerentry e
                JOIN orgs_org o ON o.id = e.org_id {_ancestors()}
                GROUP BY a.id, e.year, e.source_id, e.category, e.bucket""")
            if dues:
                due.rebuild(cursor)


def _rebuild_sql() -> str:
    tuple_s = ", ".join(f"s.{c}" for c in TUPLE[1:])
    return f"""{_ROLLUP_INSERT} SELECT a.id, {tuple_s}, COUNT(*) FROM stats_householdspan s
               JOIN orgs_org o ON o.id = s.org_id {_ancestors()} WHERE s.valid_to IS NULL
               GROUP BY a.id, {tuple_s}"""


def _month_of(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"(date_trunc('month', {column} AT TIME ZONE 'Asia/Shanghai'))::date"
    return f"date({column}, '+{UTC_OFFSET_HOURS} hours', 'start of month')"


def _rebuild_flows_sql() -> str:
    """A span starts an entry into (union, state) unless the span before it had the same union and state, and its
    end is a leaving unless the span after it has them; "state" entries and leavings ignore the union — exactly
    what the triggers' flags count."""
    return f"""
    WITH ordered AS (
        SELECT s.org_id, s.state, s.valid_from, s.valid_to,
               LAG(s.state) OVER w AS prev_state, LAG(s.org_id) OVER w AS prev_org,
               LEAD(s.state) OVER w AS next_state, LEAD(s.org_id) OVER w AS next_org
        FROM stats_householdspan s WINDOW w AS (PARTITION BY s.household_id ORDER BY s.valid_from, s.id)),
    moves AS (
        SELECT org_id, state, {_month_of("valid_from")} AS month, 1 AS entered, 0 AS gone,
               CASE WHEN prev_state IS NULL OR prev_state <> state THEN 1 ELSE 0 END AS state_entered, 0 AS state_gone
        FROM ordered WHERE prev_state IS NULL OR prev_state <> state OR prev_org <> org_id
        UNION ALL
        SELECT org_id, state, {_month_of("valid_to")}, 0, 1, 0,
               CASE WHEN next_state IS NULL OR next_state <> state THEN 1 ELSE 0 END
        FROM ordered WHERE valid_to IS NOT NULL
          AND (next_state IS NULL OR next_state <> state OR next_org <> org_id))
    {_FLOW_INSERT}
    SELECT a.id, m.month, m.state, SUM(m.entered), SUM(m.gone), SUM(m.state_entered), SUM(m.state_gone)
    FROM moves m JOIN orgs_org o ON o.id = m.org_id {_ancestors()}
    GROUP BY a.id, m.month, m.state"""


def fund_sums(org, year: int) -> dict[tuple, int]:
    """{(source_id, category, bucket): fen} of the ledger entries of `org`'s whole subtree for budget `year`."""
    keys = ["source_id", "category", "bucket"]
    totals = folded(
        FundRollup.objects.filter(org=org, year=year).values_list(*keys, "amount_fen"),
        FundDelta.objects.filter(org__path__startswith=org.path, year=year).values_list(*keys)
        .annotate(n=Sum("amount_fen")),
    )
    return {key: n for key, (n,) in totals.items()}
