"""Reference data in the test databases, and a cheaper flush after transactional tests on PostgreSQL.

Every test expects the public reference data (divisions, code lists, fund sources, recommendation rules, data
sources) that the root conftest loads once per test database. A transactional test (live server, real
commits) ends with a flush that empties every table, so the data is loaded again after it — for each of the
~40 such tests. Two things made that slow, and both are done here more cheaply with the same result:

* `load_divisions` parses the GB/T 2260 data sets and writes ~4,000 rows with a row-by-row `bulk_update` of
  the parents (2–4 s a time). The command is deterministic, so the rows it wrote the first time in the session
  are kept in memory and inserted again as they are (`load_divisions`, ~0.2 s).
* Django's flush on PostgreSQL is one `TRUNCATE` of all ~120 tables: each gets new files, and the commit
  unlinks the old ones (≈ 5 s a time on this machine). `flush_by_delete()` makes the flush run `DELETE FROM`
  on every table instead — what Django's flush does on SQLite — unless the tables hold more than
  `DELETE_AT_MOST` rows (a bulk-import test), where the TRUNCATE is cheaper. The tables end up just as empty,
  sequences are untouched either way (pytest-django flushes with `reset_sequences=False`), every foreign key is
  deferred to the commit, and the audit tables are emptied under the same purge permit (`bangfu.audit`'s flush
  takes it).
"""

from __future__ import annotations

import contextlib

from django.core.management import call_command
from django.db import connection, transaction

# What a test database holds besides what migrate writes (the root conftest loads it once per test database).
REFERENCE_COMMANDS = (
    "load_divisions",
    "load_code_lists",
    "load_fund_sources",
    "load_recommendation_rules",
    "load_data_sources",
)

_divisions: dict = {}  # "fields" and "rows" of the Division table as the command wrote it, once per process


def load_divisions() -> None:
    """The divisions as `manage.py load_divisions` writes them: copied from the first load of this test process
    when the table is empty (after a flush), through the command otherwise."""
    from bangfu.orgs.models import Division

    if _divisions and not Division.objects.exists():
        fields = _divisions["fields"]
        with transaction.atomic():  # the parent foreign keys are checked at the commit
            Division.objects.bulk_create(
                [Division(**dict(zip(fields, row, strict=True))) for row in _divisions["rows"]], batch_size=2000
            )
        return
    if _divisions and Division.objects.count() == len(_divisions["rows"]):
        return  # already back after this flush (a file's own fixture restored them): the same rows
    call_command("load_divisions", verbosity=0)
    fields = [field.attname for field in Division._meta.concrete_fields]
    _divisions["fields"] = fields
    _divisions["rows"] = list(Division.objects.order_by("pk").values_list(*fields))


def load_reference_data() -> None:
    """Everything the root conftest loads into a new test database, in the same order."""
    load_divisions()
    for command in REFERENCE_COMMANDS[1:]:
        call_command(command, verbosity=0)


# Above this many rows a DELETE (row by row, with its foreign-key and audit triggers) costs more than the TRUNCATE.
DELETE_AT_MOST = 10_000


def _rows_up_to(connection, tables, cap: int) -> int:
    """How many rows the tables hold together, counting at most `cap` per table (one cheap statement)."""
    quote = connection.ops.quote_name  # the table names come from the introspection, not from input
    parts = [f"(SELECT COUNT(*) FROM (SELECT 1 FROM {quote(t)} LIMIT %s) AS t{i})" for i, t in enumerate(tables)]  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + " + ".join(parts), [cap] * len(parts))
        return cursor.fetchone()[0]


def _sql_flush_by_delete(original):
    def sql_flush(style, connection, reset_sequences=True, allow_cascade=False):
        tables = sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))
        if (
            connection.vendor != "postgresql"
            or reset_sequences
            or allow_cascade
            or _rows_up_to(connection, tables, DELETE_AT_MOST + 1) > DELETE_AT_MOST
        ):
            return original(style, connection, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [f"DELETE FROM {connection.ops.quote_name(table)};" for table in tables]  # noqa: S608

    return sql_flush


@contextlib.contextmanager
def flush_by_delete():
    """While this block runs, `manage.py flush` on PostgreSQL empties the tables with DELETE, not TRUNCATE
    (see the module docstring). Used only around the teardown of transactional tests; a test that calls
    `flush` itself still gets Django's own."""
    from django.core.management.commands import flush

    original = flush.sql_flush
    if connection.vendor != "postgresql":
        yield
        return
    flush.sql_flush = _sql_flush_by_delete(original)
    try:
        yield
    finally:
        flush.sql_flush = original
