"""Overdue visits and overdue annual reviews, counted from per-union histograms of due days.

"Overdue" moves with the calendar, so it cannot be a stored count; but the day each household's next visit (or
review) falls due only moves when its data does. The database keeps, per household, those two days
(`HouseholdDue`) and logs −n/+n per (union, kind, day) whenever some change (`DueDelta`); `compact` folds the
log into every ancestor's histogram (`DueRollup`). The figure for a union is the sum of its histogram before
today plus the pending log of its subtree — a few hundred rows at national level, exact at every moment.

The due days follow the rules of the pages that list the same households:

* visit (`HelperAssignment.objects.overdue`): households in an assignable state with a current assignment; the
  latest visit, or the assignment's start, plus the interval of the helper's kind — from the nearest union of
  the household's lineage that sets it (`VisitFrequency`), else the default table of `bangfu.helpers.frequencies`;
* review: active archives with a review due date.

Triggers (statement-level on PostgreSQL, row-level on SQLite, the same statements as `bangfu.stats.sql`) watch
households (union, state, review date), helper assignments, visits and visit frequencies; a statement logs one
row per union and day (−n/+n), so a bulk UPDATE leaves few pending rows. Concurrency on PostgreSQL: writers of
one household take turns on its row (`stats_sync_due` locks it), and a change of frequencies waits for every
writer in flight and is waited for (`FREQUENCY_LOCK`), so its recomputation sees the helper being assigned at
that moment (`tests/test_races.py`). A union moved in the tree changes lineages: `rebuild` (run after every
move) recomputes the due days of all households.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Sum

from bangfu.core.locks import lock_key
from bangfu.helpers.frequencies import DEFAULT_FREQUENCIES, FALLBACK_INTERVAL_DAYS, epoch_day
from bangfu.helpers.models import ASSIGNABLE_STATES
from bangfu.registry.models.household import State
from bangfu.stats.models import DueDelta, DueKind, DueRollup
from bangfu.stats.sql import _among

# kind -> the column of HouseholdDue holding its day.
COLUMNS = {DueKind.VISIT: "visit_due_day", DueKind.REVIEW: "review_due_day"}
HOUSEHOLD_COLUMNS = ["org_id", "state", "review_due_on"]


def _epoch_day(vendor: str, expression: str) -> str:
    if vendor == "postgresql":
        return f"({expression} - DATE '1970-01-01')"
    return f"CAST(julianday({expression}) - 2440587.5 AS INTEGER)"


def _quoted(values) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


def _interval() -> str:
    """The interval of the current assignment `a` of a household of union `ho` (same rule as
    `frequencies.interval_days_expression`). The default table is written into the triggers' SQL when they are
    installed: changing it needs a migration that runs `install` and `rebuild` again (`tests/test_due.py` checks,
    on a freshly migrated database, that every default gives the due day the lists compute)."""
    defaults = " ".join(f"WHEN '{kind}' THEN {days}" for kind, (_label, days) in DEFAULT_FREQUENCIES.items())
    return f"""COALESCE((SELECT f.interval_days FROM helpers_visitfrequency f JOIN orgs_org fo ON fo.id = f.org_id
                         WHERE f.helper_kind = a.helper_kind AND fo.path = substr(ho.path, 1, length(fo.path))
                         ORDER BY fo.depth DESC LIMIT 1),
                        CASE a.helper_kind {defaults} ELSE {FALLBACK_INTERVAL_DAYS} END)"""


def _current(vendor: str, ids: str | None) -> str:
    """Each household's due days now, for the households whose ids the SQL `ids` lists (all with None: where
    the query joins it on its own key, as `stats.sql._current`)."""
    last_visit = "(SELECT MAX(v.visited_on) FROM helpers_visit v WHERE v.household_id = h.id)"
    return f"""(SELECT h.id AS household_id, h.org_id AS org_id,
        CASE WHEN h.state IN ({_quoted(ASSIGNABLE_STATES)}) THEN
            (SELECT {_epoch_day(vendor, f"COALESCE({last_visit}, a.starts_on)")} + {_interval()}
             FROM helpers_helperassignment a WHERE a.household_id = h.id AND a.ends_on IS NULL) END AS visit_due_day,
        CASE WHEN h.state = '{State.ACTIVE}' THEN {_epoch_day(vendor, "h.review_due_on")} END AS review_due_day
      FROM registry_household h JOIN orgs_org ho ON ho.id = h.org_id
      {"" if ids is None else "WHERE " + _among("h.id", ids)})"""


def _moved(vendor: str, a: str, b: str, column: str) -> str:
    # IS NOT is SQLite's null-safe "differs" (IS DISTINCT FROM only exists from SQLite 3.39).
    differs = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return f"({a}.{column} {differs} {b}.{column} OR {a}.org_id <> {b}.org_id)"


def sync_statements(vendor: str, ids: str) -> list[str]:
    """The statements that bring the due days of the households `ids` (SQL) up to date and log the changes
    (one row per union and day of each statement, −n for the households that left it, +n for those entered)."""
    current, every = _current(vendor, ids), _current(vendor, None)
    statements = []
    for kind, column in COLUMNS.items():
        statements += [
            f"""INSERT INTO stats_duedelta (org_id, kind, day, delta)
                SELECT d.org_id, {kind.value}, d.{column}, -COUNT(*)
                FROM stats_householddue d LEFT JOIN {every} cur ON cur.household_id = d.household_id
                WHERE {_among("d.household_id", ids)} AND d.{column} IS NOT NULL
                  AND (cur.household_id IS NULL OR {_moved(vendor, "cur", "d", column)})
                GROUP BY d.org_id, d.{column}""",
            f"""INSERT INTO stats_duedelta (org_id, kind, day, delta)
                SELECT cur.org_id, {kind.value}, cur.{column}, COUNT(*)
                FROM {current} cur LEFT JOIN stats_householddue d ON d.household_id = cur.household_id
                WHERE cur.{column} IS NOT NULL AND (d.household_id IS NULL OR {_moved(vendor, "cur", "d", column)})
                GROUP BY cur.org_id, cur.{column}""",
        ]
    same = " AND ".join(f"NOT {_moved(vendor, 'cur', 'stats_householddue', c)}" for c in COLUMNS.values())
    return statements + [
        f"""DELETE FROM stats_householddue WHERE {_among("household_id", ids)}
              AND NOT EXISTS (SELECT 1 FROM {every} cur
                              WHERE cur.household_id = stats_householddue.household_id AND {same})""",
        f"""INSERT INTO stats_householddue (household_id, org_id, visit_due_day, review_due_day)
            SELECT cur.household_id, cur.org_id, cur.visit_due_day, cur.review_due_day FROM {current} cur
            WHERE (cur.visit_due_day IS NOT NULL OR cur.review_due_day IS NOT NULL)
              AND NOT EXISTS (SELECT 1 FROM stats_householddue d WHERE d.household_id = cur.household_id)""",
    ]


# Households whose visit interval a changed frequency row `{r}` may change: those of its union's subtree with a
# current helper of its kind. `{source}` is a PostgreSQL transition table or, on SQLite, a one-row stand-in.
_SUBTREE = """SELECT h.id FROM {source} JOIN orgs_org fo ON fo.id = {r}.org_id
    JOIN orgs_org ho ON substr(ho.path, 1, length(fo.path)) = fo.path
    JOIN registry_household h ON h.org_id = ho.id
    WHERE EXISTS (SELECT 1 FROM helpers_helperassignment a
                  WHERE a.household_id = h.id AND a.ends_on IS NULL AND a.helper_kind = {r}.helper_kind)"""
# A frequency row's columns that decide intervals (an UPDATE of its label alone recomputes nothing).
FREQUENCY_COLUMNS = ["org_id", "helper_kind", "interval_days"]
# table -> the column naming the household (None: the households come from `_SUBTREE`).
WATCHED = {
    "registry_household": "id",
    "helpers_helperassignment": "household_id",
    "helpers_visit": "household_id",
    "helpers_visitfrequency": None,
}


def _pg_touched(table: str, rows: str) -> str:
    column = WATCHED[table]
    if column is None:
        return _SUBTREE.format(source=f"{rows} r", r="r")
    return f"SELECT r.{column} FROM {rows} r"


def _pg_changed(table: str, event: str) -> str:
    """The household ids a statement touched, from its transition tables."""
    if event == "INSERT":
        return _pg_touched(table, "new_rows")
    if event == "DELETE":
        return _pg_touched(table, "old_rows")
    if table == "registry_household":
        changed = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in HOUSEHOLD_COLUMNS)
        return f"SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {changed}"
    if table == "helpers_visitfrequency":
        changed = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in FREQUENCY_COLUMNS)
        pairs = f"new_rows n JOIN old_rows o ON o.id = n.id AND ({changed})"
        return " UNION ".join(_SUBTREE.format(source=f"{pairs} JOIN {rows} r ON r.id = n.id", r="r")
                              for rows in ("new_rows", "old_rows"))
    return f"{_pg_touched(table, 'new_rows')} UNION {_pg_touched(table, 'old_rows')}"


def _sqlite_ids(table: str, event: str) -> str:
    rows = {"INSERT": ["NEW"], "DELETE": ["OLD"], "UPDATE": ["OLD", "NEW"]}[event]
    column = WATCHED[table]
    if column is None:
        return " UNION ".join(_SUBTREE.format(source="(SELECT 1) AS one", r=row) for row in rows)
    return ", ".join(f"{row}.{column}" for row in rows)


def _trigger(table: str, event: str) -> str:
    return f"stats_due_{table}_{event.lower()}"


EVENTS = ("INSERT", "UPDATE", "DELETE")
# On PostgreSQL, every statement that may move a due day takes this lock shared, before it touches a row, and a
# change of visit frequencies takes it exclusively: the frequency's trigger then waits for the writers in flight
# (a helper being assigned, a household moving into the union) and recomputes with their rows committed, and
# writers that start meanwhile wait for the new frequency. Taken before any row lock, it cannot deadlock with
# the household locks of `stats_sync_due`.
FREQUENCY_LOCK = lock_key("stats.due.frequencies")


def install(vendor: str) -> list[str]:
    """CREATE statements of the function and the triggers."""
    if vendor == "postgresql":
        body = ";\n".join(sync_statements(vendor, "ids"))
        sql = [f"""CREATE OR REPLACE FUNCTION stats_sync_due(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $fn$
                   BEGIN
                   IF cardinality(ids) = 0 THEN RETURN; END IF;
                   -- One writer per household at a time, as in stats_sync_households.
                   PERFORM 1 FROM registry_household WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
                   {body};
                   END $fn$"""]
        refs = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
                "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
        sql += [
            f"""CREATE OR REPLACE FUNCTION stats_due_lock_shared() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN
                PERFORM pg_advisory_xact_lock_shared({FREQUENCY_LOCK}); RETURN NULL; END $fn$""",
            f"""CREATE OR REPLACE FUNCTION stats_due_lock_exclusive() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN
                PERFORM pg_advisory_xact_lock({FREQUENCY_LOCK}); RETURN NULL; END $fn$""",
        ]
        for table in WATCHED:
            mode = "exclusive" if table == "helpers_visitfrequency" else "shared"
            sql += [f"DROP TRIGGER IF EXISTS stats_due_{table}_lock ON {table}",
                    f"""CREATE TRIGGER stats_due_{table}_lock BEFORE INSERT OR UPDATE OR DELETE ON {table}
                        FOR EACH STATEMENT EXECUTE FUNCTION stats_due_lock_{mode}()"""]
            for event in EVENTS:
                name = _trigger(table, event)
                sql += [
                    f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN
                        PERFORM stats_sync_due(ARRAY({_pg_changed(table, event)}));
                        RETURN NULL; END $fn$""",
                    f"DROP TRIGGER IF EXISTS {name} ON {table}",
                    f"""CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {refs[event]}
                        FOR EACH STATEMENT EXECUTE FUNCTION {name}()""",
                ]
        return sql
    sql = []
    for table in WATCHED:
        for event in EVENTS:
            name = _trigger(table, event)
            of, when = "", ""
            if event == "UPDATE" and table == "registry_household":
                of = f" OF {', '.join(HOUSEHOLD_COLUMNS)}"
            elif event == "UPDATE" and table == "helpers_visitfrequency":
                of = f" OF {', '.join(FREQUENCY_COLUMNS)}"
                when = " WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in FREQUENCY_COLUMNS)
            body = ";\n".join(sync_statements(vendor, _sqlite_ids(table, event)))
            sql += [f"DROP TRIGGER IF EXISTS {name}",
                    f"CREATE TRIGGER {name} AFTER {event}{of} ON {table} FOR EACH ROW{when} BEGIN\n{body};\nEND"]
    return sql


def uninstall(vendor: str) -> list[str]:
    sql = []
    for table in WATCHED:
        for event in EVENTS:
            name = _trigger(table, event)
            if vendor == "postgresql":
                sql += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
                if event == "DELETE":
                    sql.append(f"DROP TRIGGER IF EXISTS stats_due_{table}_lock ON {table}")
            else:
                sql.append(f"DROP TRIGGER IF EXISTS {name}")
    if vendor == "postgresql":
        sql += ["DROP FUNCTION IF EXISTS stats_sync_due(bigint[])", "DROP FUNCTION IF EXISTS stats_due_lock_shared()",
                "DROP FUNCTION IF EXISTS stats_due_lock_exclusive()"]
    return sql


def compact(cursor) -> None:
    """Fold the pending due changes into every ancestor's histogram (inside `rollup.compact`'s transaction and
    lock), and drop the days that emptied."""
    from bangfu.stats.rollup import _ancestors

    upsert = """ON CONFLICT (org_id, kind, day) DO UPDATE SET households = stats_duerollup.households
        + excluded.households"""
    if connection.vendor == "postgresql":
        cursor.execute(f"""
            WITH moved AS (DELETE FROM stats_duedelta RETURNING org_id, kind, day, delta),
            folded AS (INSERT INTO stats_duerollup (org_id, kind, day, households)
                SELECT a.id, m.kind, m.day, SUM(m.delta) FROM moved m JOIN orgs_org o ON o.id = m.org_id {_ancestors()}
                GROUP BY a.id, m.kind, m.day HAVING SUM(m.delta) <> 0 {upsert} RETURNING id, households)
            SELECT id FROM folded WHERE households = 0""")
        emptied = [row[0] for row in cursor.fetchall()]
        if emptied:
            cursor.execute("DELETE FROM stats_duerollup WHERE id = ANY(%s) AND households = 0", [emptied])
        return
    cursor.execute("SELECT max(id) FROM stats_duedelta")
    last = cursor.fetchone()[0]
    if last is None:
        return
    cursor.execute(f"""INSERT INTO stats_duerollup (org_id, kind, day, households)
        SELECT a.id, d.kind, d.day, SUM(d.delta) FROM stats_duedelta d JOIN orgs_org o ON o.id = d.org_id
        {_ancestors()} WHERE d.id <= %s GROUP BY a.id, d.kind, d.day HAVING SUM(d.delta) <> 0 {upsert}""", [last])
    cursor.execute("DELETE FROM stats_duedelta WHERE id <= %s", [last])
    cursor.execute("DELETE FROM stats_duerollup WHERE households = 0")


def rebuild(cursor) -> None:
    """Recompute every household's due days (lineages may have changed) and the histograms from them (inside
    `rollup.rebuild`'s transaction and lock)."""
    from bangfu.stats.rollup import _ancestors

    for statement in sync_statements(connection.vendor, "SELECT id FROM registry_household"):
        cursor.execute(statement)
    cursor.execute("DELETE FROM stats_duedelta")
    cursor.execute("DELETE FROM stats_duerollup")
    for kind, column in COLUMNS.items():
        cursor.execute(f"""INSERT INTO stats_duerollup (org_id, kind, day, households)
            SELECT a.id, {kind.value}, d.{column}, COUNT(*) FROM stats_householddue d
            JOIN orgs_org o ON o.id = d.org_id {_ancestors()} WHERE d.{column} IS NOT NULL
            GROUP BY a.id, d.{column}""")


def overdue_counts(org, today: dt.date) -> dict[int, int]:
    """{DueKind: households of `org`'s subtree whose visit / review was due before `today`}, exact."""
    from bangfu.stats.rollup import folded

    day = epoch_day(today)
    totals = folded(
        DueRollup.objects.filter(org=org, day__lt=day).values_list("kind").annotate(n=Sum("households")),
        DueDelta.objects.filter(org__path__startswith=org.path, day__lt=day).values_list("kind")
        .annotate(n=Sum("delta")),
    )
    return {kind: totals.get((kind.value,), [0])[0] for kind in DueKind}
