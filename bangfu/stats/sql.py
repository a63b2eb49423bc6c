"""The triggers that keep `HouseholdSpan` and `HouseholdDelta` (see `bangfu.stats.models`), for PostgreSQL and SQLite.

One piece of SQL, `sync_statements(ids)`, brings the history of a set of households up to date: for each household
whose current tuple differs from its open span, it logs −1 for the old tuple and +1 for the new one, closes the old
span and opens a new one. The four statements are plain SQL (no CTE: SQLite does not allow them in triggers), so
both databases run the same text:

* PostgreSQL: statement-level triggers with transition tables on households, causes and helper assignments call
  the function `stats_sync_households(bigint[])` once per statement, so a bulk UPDATE of 300,000 households is
  four set-based statements, not 300,000 trigger calls. The function first locks the households' rows, so two
  transactions changing different parts of one household's tuple take turns (`tests/test_races.py`);
* SQLite: row-level triggers run the four statements for the one household of the row.
"""

from __future__ import annotations

# (table, column naming the household) of every table whose rows decide a household's tuple.
WATCHED = [
    ("registry_household", "id"),
    ("registry_householdcause", "household_id"),
    ("helpers_helperassignment", "household_id"),
]
TUPLE = ["org_id", "state", "category", "main_cause", "exit_reason", "has_helper"]
# Household columns that are part of the tuple (an UPDATE touching none of them changes nothing).
HOUSEHOLD_COLUMNS = ["org_id", "state", "category", "exit_reason"]
UTC_OFFSET_HOURS = 8  # China Standard Time, no daylight saving: months are counted in local time

DIALECT = {
    "postgresql": {
        "now": "now()",
        "month": "(date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai'))::date",
    },
    "sqlite": {
        "now": "strftime('%Y-%m-%d %H:%M:%f', 'now')",
        "month": f"date('now', '+{UTC_OFFSET_HOURS} hours', 'start of month')",
    },
}


def _among(column: str, ids: str) -> str:
    """`column` is one of `ids`: a PostgreSQL array variable (`= ANY`, which the planner sizes right; an `IN
    (SELECT unnest(…))` is guessed at 200 rows and turned a 10,000-household update into a join of every span
    with every household), or an SQL list / subquery."""
    return f"{column} = ANY({ids})" if ids == "ids" else f"{column} IN ({ids})"


def _current(ids: str | None) -> str:
    """Each household's current tuple, for the households whose ids the SQL `ids` lists — or, with `ids` None,
    for every household, where the query joins it on its own key to rows already restricted to the ids (a
    second `= ANY(ids)` there is checked row by row against the whole array: quadratic in a bulk import)."""
    return f"""(SELECT h.id AS household_id, h.org_id AS org_id, h.state AS state, h.category AS category,
        COALESCE((SELECT c.code FROM registry_householdcause c WHERE c.household_id = h.id AND c.is_main
                  LIMIT 1), '') AS main_cause,
        h.exit_reason AS exit_reason,
        EXISTS (SELECT 1 FROM helpers_helperassignment a WHERE a.household_id = h.id AND a.ends_on IS NULL)
            AS has_helper
      FROM registry_household h{"" if ids is None else " WHERE " + _among("h.id", ids)})"""


def _differs(a: str, b: str) -> str:
    return "(" + " OR ".join(f"{a}.{c} <> {b}.{c}" for c in TUPLE) + ")"


def _flag(old: str, new: str, old_missing: str, new_missing: str) -> str:
    return (
        f"CASE WHEN {old_missing} OR {new_missing} OR {old}.state <> {new}.state THEN 2 "
        f"WHEN {old}.org_id <> {new}.org_id THEN 1 ELSE 0 END"
    )


def sync_statements(vendor: str, ids: str, now: str | None = None, month: str | None = None) -> list[str]:
    """The four statements that bring the spans and deltas of the households `ids` (SQL) up to date; `now` and
    `month` are SQL for the moment and the month to record (the dialect's current time by default)."""
    now, month = now or DIALECT[vendor]["now"], month or DIALECT[vendor]["month"]
    cols = ", ".join(TUPLE)
    delta_cols = f"{cols}, delta, flag, month"
    old_cols = ", ".join(f"s.{c}" for c in TUPLE)
    cur_cols = ", ".join(f"cur.{c}" for c in TUPLE)
    current = _current(ids)
    left_flag = _flag("s", "cur", "0 = 1", "cur.household_id IS NULL")
    entered_flag = _flag("s", "cur", "s.id IS NULL", "0 = 1")
    return [
        # −n for the households of every tuple left (their open span no longer holds, or they are gone): one row
        # per tuple and statement, so a bulk UPDATE leaves a few hundred pending rows, not one per household.
        f"""INSERT INTO stats_householddelta ({delta_cols})
            SELECT {old_cols}, -COUNT(*), {left_flag}, {month}
            FROM stats_householdspan s LEFT JOIN {_current(None)} cur ON cur.household_id = s.household_id
            WHERE s.valid_to IS NULL AND {_among("s.household_id", ids)}
              AND (cur.household_id IS NULL OR {_differs("s", "cur")})
            GROUP BY {old_cols}, {left_flag}""",
        # +n for the households of every tuple entered (no open span yet with that tuple).
        f"""INSERT INTO stats_householddelta ({delta_cols})
            SELECT {cur_cols}, COUNT(*), {entered_flag}, {month}
            FROM {current} cur
            LEFT JOIN stats_householdspan s ON s.household_id = cur.household_id AND s.valid_to IS NULL
            WHERE s.id IS NULL OR {_differs("s", "cur")}
            GROUP BY {cur_cols}, {entered_flag}""",
        # Close the spans that no longer hold.
        f"""UPDATE stats_householdspan SET valid_to = {now}
            WHERE valid_to IS NULL AND {_among("household_id", ids)}
              AND NOT EXISTS (SELECT 1 FROM {_current(None)} cur
                              WHERE cur.household_id = stats_householdspan.household_id
                                AND NOT {_differs("stats_householdspan", "cur")})""",
        # Open a span for every household that has none.
        f"""INSERT INTO stats_householdspan (household_id, {cols}, valid_from, valid_to)
            SELECT cur.household_id, {cur_cols}, {now}, NULL FROM {current} cur
            WHERE NOT EXISTS (SELECT 1 FROM stats_householdspan s
                              WHERE s.household_id = cur.household_id AND s.valid_to IS NULL)""",
    ]


def _pg_changed_households(table: str, key: str, event: str) -> str:
    """The household ids a statement touched, from its transition tables."""
    if event == "INSERT":
        return f"SELECT {key} FROM new_rows"
    if event == "DELETE":
        return f"SELECT {key} FROM old_rows"
    if table == "registry_household":
        changed = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in HOUSEHOLD_COLUMNS)
        return f"SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {changed}"
    return f"SELECT {key} FROM new_rows UNION SELECT {key} FROM old_rows"


def install(vendor: str) -> list[str]:
    """CREATE statements of the function and triggers (idempotent on PostgreSQL: CREATE OR REPLACE)."""
    if vendor == "postgresql":
        # The moment is taken once, after the lock, from the clock (not now(), the start of the transaction): a
        # long import that started before a case worker's change must not date its own spans before it.
        month = "(date_trunc('month', moment AT TIME ZONE 'Asia/Shanghai'))::date"
        body = ";\n".join(sync_statements(vendor, "ids", now="moment", month=month))
        sql = [
            f"""CREATE OR REPLACE FUNCTION stats_sync_households(ids bigint[]) RETURNS void
                   LANGUAGE plpgsql AS $fn$ DECLARE moment timestamptz; BEGIN
                   IF cardinality(ids) = 0 THEN RETURN; END IF;
                   -- One writer per household at a time: a transaction changing another part of the same
                   -- household's tuple (its cause, its helper) waits here until this one commits, and then
                   -- reads the tuple and the open span as they are (each statement below takes a new snapshot).
                   PERFORM 1 FROM registry_household WHERE id = ANY(ids) ORDER BY id
                       FOR NO KEY UPDATE;
                   moment := clock_timestamp();
                   {body};
                   END $fn$"""
        ]
        for table, key in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                name = f"stats_{table}_{event.lower()}"
                refs = {
                    "INSERT": "NEW TABLE AS new_rows",
                    "DELETE": "OLD TABLE AS old_rows",
                    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                }[event]
                sql.append(f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN
                    PERFORM stats_sync_households(ARRAY({_pg_changed_households(table, key, event)}));
                    RETURN NULL; END $fn$""")
                sql.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                sql.append(f"""CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {refs}
                               FOR EACH STATEMENT EXECUTE FUNCTION {name}()""")
        return sql
    sql = []
    for table, key in WATCHED:
        for event in ("INSERT", "UPDATE", "DELETE"):
            name = f"stats_{table}_{event.lower()}"
            ids = {"INSERT": f"NEW.{key}", "DELETE": f"OLD.{key}", "UPDATE": f"OLD.{key}, NEW.{key}"}[event]
            of = f" OF {', '.join(HOUSEHOLD_COLUMNS)}" if (event == "UPDATE" and table == "registry_household") else ""
            body = ";\n".join(sync_statements(vendor, ids))
            sql.append(f"DROP TRIGGER IF EXISTS {name}")
            sql.append(f"CREATE TRIGGER {name} AFTER {event}{of} ON {table} FOR EACH ROW BEGIN\n{body};\nEND")
    return sql


FUND_COLS = "org_id, year, source_id, category, bucket, amount_fen"


def install_ledger(vendor: str) -> list[str]:
    """The ledger is append-only (UPDATE and DELETE are refused by its own triggers): copying each new entry's
    account and amount into `stats_funddelta` is all the fund rollups need."""
    if vendor == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION stats_funds_ledgerentry_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$
                BEGIN INSERT INTO stats_funddelta ({FUND_COLS})
                    SELECT {FUND_COLS.removesuffix(", amount_fen")}, SUM(amount_fen) FROM new_rows
                    GROUP BY {FUND_COLS.removesuffix(", amount_fen")};
                RETURN NULL; END $fn$""",
            "DROP TRIGGER IF EXISTS stats_funds_ledgerentry_insert ON funds_ledgerentry",
            """CREATE TRIGGER stats_funds_ledgerentry_insert AFTER INSERT ON funds_ledgerentry
               REFERENCING NEW TABLE AS new_rows
               FOR EACH STATEMENT EXECUTE FUNCTION stats_funds_ledgerentry_insert()""",
        ]
    values = ", ".join(f"NEW.{c.strip()}" for c in FUND_COLS.split(","))
    return [
        "DROP TRIGGER IF EXISTS stats_funds_ledgerentry_insert",
        f"""CREATE TRIGGER stats_funds_ledgerentry_insert AFTER INSERT ON funds_ledgerentry FOR EACH ROW BEGIN
            INSERT INTO stats_funddelta ({FUND_COLS}) VALUES ({values}); END""",
    ]


def backfill_ledger() -> list[str]:
    return [f"INSERT INTO stats_funddelta ({FUND_COLS}) SELECT {FUND_COLS} FROM funds_ledgerentry"]


def uninstall(vendor: str) -> list[str]:
    sql = [
        "DROP TRIGGER IF EXISTS stats_funds_ledgerentry_insert"
        + (" ON funds_ledgerentry" if vendor == "postgresql" else "")
    ]
    if vendor == "postgresql":
        sql.append("DROP FUNCTION IF EXISTS stats_funds_ledgerentry_insert()")
    for table, _key in WATCHED:
        for event in ("INSERT", "UPDATE", "DELETE"):
            name = f"stats_{table}_{event.lower()}"
            sql.append(
                f"DROP TRIGGER IF EXISTS {name} ON {table}"
                if vendor == "postgresql"
                else f"DROP TRIGGER IF EXISTS {name}"
            )
            if vendor == "postgresql":
                sql.append(f"DROP FUNCTION IF EXISTS {name}()")
    if vendor == "postgresql":
        sql.append("DROP FUNCTION IF EXISTS stats_sync_households(bigint[])")
    return sql


def backfill(vendor: str) -> list[str]:
    """Bring every household's history up to date (after installing, or to repair)."""
    if vendor == "postgresql":
        return ["SELECT stats_sync_households(ARRAY(SELECT id FROM registry_household))"]
    return sync_statements(vendor, "SELECT id FROM registry_household")
