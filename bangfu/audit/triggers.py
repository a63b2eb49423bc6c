"""Database triggers that make audit tables append-only, even for raw SQL.

The ORM guards in `bangfu.audit.models` stop application code; these triggers stop everything else
that talks SQL to the database (a shell, a script, a careless migration):

* UPDATE is always refused — except, for tables declared with `mutable_while=(column, value)`, while
  the old row still has that value (a bulk job may update its own row until it is finished).
* DELETE (and TRUNCATE on PostgreSQL) is refused unless the current transaction holds a *purge permit*:

  - PostgreSQL: the custom setting `bangfu.allow_audit_purge` is `on`, set with `SET LOCAL` so it ends
    with the transaction and never leaks to other sessions or to the next transaction;
  - SQLite has no session variables, and a trigger in the main schema may not read a TEMP table, so the
    permit is a row in the one-column table `bangfu_purge_permit`, inserted and deleted again inside
    the same transaction. SQLite serialises writers and other connections only see committed data,
    so no other connection can ever observe the permit.

Only two code paths take a permit, both through `purge_permitted()`: Django's `flush` (overridden in
`bangfu/audit/management/commands/flush.py`, used by `TransactionTestCase`/pytest-django's
`transactional_db` and by a deliberate operator), and a future retention purge. Retention (keep at
least 6 months; fund records much longer) is a later issue; a purge command would run as a named
operator, inside one transaction: take the permit, `DELETE ... WHERE time < cutoff` on the log tables
(never UPDATE), and write an access-log row recording who purged what before which date — so the purge
is itself audited and rolls back as a whole if anything fails.

A database owner can still drop the triggers; these guards document and enforce intent against
mistakes and against the application's own credentials, they are not a substitute for shipping the
logs to write-once storage. Vendors other than SQLite and PostgreSQL get no triggers (ORM guards only).

Caveat (SQLite): when a later migration alters a protected table, Django's SQLite schema editor
rebuilds the table and the triggers go with it; `ensure_triggers()` runs after every `migrate`
(post_migrate) and recreates any that are missing.
"""

from __future__ import annotations

import contextlib

from django.db import connections, transaction
from django.db.migrations.operations.base import Operation

PURGE_SETTING = "bangfu.allow_audit_purge"
PERMIT_TABLE = "bangfu_purge_permit"
SUPPORTED_VENDORS = ("sqlite", "postgresql")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION bangfu_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Optional (column, value): the row may change while that column still holds that value.
        IF TG_NARGS = 2 AND (to_jsonb(OLD) ->> TG_ARGV[0]) = TG_ARGV[1] THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'bangfu: % is append-only, UPDATE refused', TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF coalesce(current_setting('bangfu.allow_audit_purge', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NULL;  -- statement-level TRUNCATE: the return value is ignored
    END IF;
    RAISE EXCEPTION 'bangfu: % is append-only, % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
"""


def _names(table: str) -> dict[str, str]:
    return {op: f"{table}_no_{op}" for op in ("update", "delete", "truncate")}


def create_sql(vendor: str, table: str, mutable_while: tuple[str, str] | None = None) -> list[str]:
    """Statements that install the append-only triggers on `table` (idempotent)."""
    names = _names(table)
    if vendor == "sqlite":
        update_when = f'WHEN OLD."{mutable_while[0]}" IS NOT \'{mutable_while[1]}\' ' if mutable_while else ""
        return [
            f'CREATE TABLE IF NOT EXISTS "{PERMIT_TABLE}" ("granted" integer NOT NULL)',
            f'CREATE TRIGGER IF NOT EXISTS "{names["update"]}" BEFORE UPDATE ON "{table}" {update_when}'
            f"BEGIN SELECT RAISE(ABORT, 'bangfu: {table} is append-only, UPDATE refused'); END",
            # Identifiers come from migrations and model metadata, never from user input.
            f'CREATE TRIGGER IF NOT EXISTS "{names["delete"]}" BEFORE DELETE ON "{table}" '  # noqa: S608
            f'WHEN NOT EXISTS (SELECT 1 FROM "{PERMIT_TABLE}") '
            f"BEGIN SELECT RAISE(ABORT, 'bangfu: {table} is append-only, DELETE refused'); END",
        ]
    if vendor == "postgresql":
        args = f"'{mutable_while[0]}', '{mutable_while[1]}'" if mutable_while else ""
        return [
            _PG_FUNCTION,
            f'DROP TRIGGER IF EXISTS "{names["update"]}" ON "{table}"',
            f'CREATE TRIGGER "{names["update"]}" BEFORE UPDATE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION bangfu_append_only({args})",
            f'DROP TRIGGER IF EXISTS "{names["delete"]}" ON "{table}"',
            f'CREATE TRIGGER "{names["delete"]}" BEFORE DELETE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION bangfu_append_only()",
            f'DROP TRIGGER IF EXISTS "{names["truncate"]}" ON "{table}"',
            f'CREATE TRIGGER "{names["truncate"]}" BEFORE TRUNCATE ON "{table}" '
            f"FOR EACH STATEMENT EXECUTE FUNCTION bangfu_append_only()",
        ]
    return []


def drop_sql(vendor: str, table: str) -> list[str]:
    names = _names(table)
    if vendor == "sqlite":
        return [f'DROP TRIGGER IF EXISTS "{names[op]}"' for op in ("update", "delete")]
    if vendor == "postgresql":
        return [f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"' for name in names.values()]
    return []


def installed_triggers(connection, table: str) -> set[str]:
    """Names of the append-only triggers present on `table`."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal", [table]
            )
        else:
            return set()
        return {row[0] for row in cursor.fetchall()} & set(_names(table).values())


def expected_triggers(vendor: str, table: str) -> set[str]:
    names = _names(table)
    if vendor == "sqlite":
        return {names["update"], names["delete"]}
    if vendor == "postgresql":
        return set(names.values())
    return set()


class AppendOnlyTriggers(Operation):
    """Migration operation: install the append-only triggers on a table (reversible).

    Later apps use it for their own append-only tables, e.g. the funds ledger:
    `AppendOnlyTriggers("funds_ledgerentry")`, with their model inheriting `AppendOnlyModel`.
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, table: str, mutable_while: tuple[str, str] | None = None):
        self.table = table
        self.mutable_while = tuple(mutable_while) if mutable_while else None

    def deconstruct(self):
        kwargs = {"mutable_while": self.mutable_while} if self.mutable_while else {}
        return self.__class__.__qualname__, [self.table], kwargs

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for statement in create_sql(schema_editor.connection.vendor, self.table, self.mutable_while):
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for statement in drop_sql(schema_editor.connection.vendor, self.table):
            schema_editor.execute(statement, params=None)

    def describe(self):
        return f"Append-only triggers on {self.table}"

    @property
    def migration_name_fragment(self):
        return f"append_only_{self.table}"


def ensure_triggers(using: str = "default") -> list[str]:
    """Recreate append-only triggers that are missing (see the SQLite caveat above); return the tables fixed."""
    from bangfu.audit.models import append_only_models

    connection = connections[using]
    fixed = []
    for model in append_only_models():
        table = model._meta.db_table
        if table not in connection.introspection.table_names():
            continue  # not migrated yet
        if installed_triggers(connection, table) >= expected_triggers(connection.vendor, table):
            continue
        with transaction.atomic(using=using), connection.cursor() as cursor:
            for statement in create_sql(connection.vendor, table, model.append_only_mutable_while):
                cursor.execute(statement)
        fixed.append(table)
    return fixed


@contextlib.contextmanager
def purge_permitted(using: str = "default"):
    """Inside this block (one transaction) the append-only tables accept DELETE/TRUNCATE.

    Only `flush` and a retention purge may use it (see the module docstring).
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL {PURGE_SETTING} = 'on'")
            elif connection.vendor == "sqlite" and PERMIT_TABLE in connection.introspection.table_names():
                cursor.execute('INSERT INTO "bangfu_purge_permit" ("granted") VALUES (1)')
        yield
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL {PURGE_SETTING} = 'off'")
            elif connection.vendor == "sqlite" and PERMIT_TABLE in connection.introspection.table_names():
                cursor.execute('DELETE FROM "bangfu_purge_permit"')
