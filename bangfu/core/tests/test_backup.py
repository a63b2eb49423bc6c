"""Backup and restore on the configured database (SQLite or PostgreSQL): a backup restored into an empty
database holds exactly the same rows in every table."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import stat
from io import StringIO

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import CommandError, call_command
from django.db import connection

from bangfu.audit.models import AccessLogEntry
from bangfu.core import backups
from bangfu.core.models import Heartbeat
from bangfu.core.tasks import backup_database, heartbeat
from bangfu.orgs.models import Division
from bangfu.workdays.models import CalendarOverride
from tests.factories import TreeFactory

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees committed data only


@pytest.fixture
def some_data(settings):
    """Rows in many tables: divisions, the tree, users and roles, audit entries, calendar, tasks, sessions."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    if not Division.objects.exists():  # an earlier transactional test flushed the reference data
        call_command("load_divisions", verbosity=0)
    tree = TreeFactory().build()
    tree.user("backup-cadre", tree.grassroots, "case_worker")
    CalendarOverride.objects.create(date="2027-01-01", is_working_day=False, name="元旦", reason="国务院办公厅通知")
    Heartbeat.objects.beat(Heartbeat.Component.SCHEDULER, last_task="x", nested={"a": [1, 2, None]})
    heartbeat.enqueue()
    session = SessionStore()
    session["k"] = "v"
    session.create()
    return tree


@pytest.fixture
def backup_dir(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    return settings.BACKUP_DIR


def table_digests(conn) -> dict[str, tuple[int, str]]:
    """Per table: row count and a SHA-256 of all rows ordered by primary key (all columns, by name)."""
    quote = conn.ops.quote_name
    digests = {}
    with conn.cursor() as cursor:
        for table in conn.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {quote(table)} WHERE 1 = 0")  # noqa: S608
            columns = sorted(column[0] for column in cursor.description)
            order = conn.introspection.get_primary_key_columns(cursor, table) or columns
            cursor.execute(
                f"SELECT {', '.join(map(quote, columns))} FROM {quote(table)} "  # noqa: S608
                f"ORDER BY {', '.join(map(quote, order))}"
            )
            rows = cursor.fetchall()
            digests[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return digests


def schema_objects(conn) -> set[tuple[str, str]]:
    """Indexes and triggers (the audit tables' append-only guards must survive a restore)."""
    if conn.vendor == "sqlite":
        sql = "SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger') AND name NOT LIKE 'sqlite_%'"
    else:
        sql = (
            "SELECT 'index', indexname FROM pg_indexes WHERE schemaname = 'public' "
            "UNION SELECT 'trigger', tgname FROM pg_trigger WHERE NOT tgisinternal"
        )
    with conn.cursor() as cursor:
        cursor.execute(sql)
        return set(cursor.fetchall())


@pytest.fixture
def empty_target(tmp_path):
    """A separate, empty database: another SQLite file, or a fresh PostgreSQL database (dropped after)."""
    if connection.vendor == "sqlite":
        yield str(tmp_path / "restored.sqlite3")
        return
    name = f"{connection.settings_dict['NAME']}_restore"[:63]
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def compare_with(target_name):
    with backups.other_connection({**connection.settings_dict, "NAME": target_name}) as restored:
        source, copy = table_digests(connection), table_digests(restored)
        assert schema_objects(restored) == schema_objects(connection)
    assert set(connection.introspection.table_names()) == set(source)
    assert sorted(copy) == sorted(source)
    for table in source:
        assert copy[table] == source[table], f"{table} differs after restore"
    return source


def test_backup_restores_into_an_empty_database_identically(some_data, backup_dir, empty_target):
    out = StringIO()
    call_command("backup", stdout=out)
    path = backup_dir / out.getvalue().split(" (")[0].rsplit("/", 1)[-1]
    assert path.is_file()
    assert re.fullmatch(r"bangfu-[\w-]+-\d{8}-\d{6}\.(sqlite3|pgdump)", path.name)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup_dir.stat().st_mode) == 0o700
    # The backup was audited as an export of the whole database (and the record is inside the backup).
    assert AccessLogEntry.objects.filter(action="export", object_type="database").count() == 1

    assert not backups.has_data({**connection.settings_dict, "NAME": empty_target})
    call_command("restore", str(path), "--into", empty_target, stdout=StringIO())
    source = compare_with(empty_target)
    assert source["orgs_division"][0] > 3000
    assert source["accounts_user"][0] >= 1
    assert source["workdays_calendaroverride"][0] == 1
    assert source["django_tasks_database_dbtaskresult"][0] == 1
    assert any(kind == "trigger" for kind, _name in schema_objects(connection))

    # Now the target holds data: refused without --force, replaced with it.
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(path), "--into", empty_target, stdout=StringIO())
    call_command("restore", str(path), "--into", empty_target, "--force", stdout=StringIO())
    compare_with(empty_target)


def test_restore_refuses_the_live_database_and_wrong_files(some_data, backup_dir, tmp_path):
    (tmp_path / "x").mkdir()
    path = backups.create_backup("default", tmp_path / "x")  # a directory: the timestamped name goes in it
    assert path.name.startswith("bangfu-") and path.parent == tmp_path / "x"
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match="does not exist"):
        call_command("restore", str(tmp_path / "missing.sqlite3"), stdout=StringIO())
    wrong = tmp_path / "wrong.bin"
    wrong.write_bytes((b"PGDMP" if connection.vendor == "sqlite" else b"SQLite format 3\x00") + b"\x00" * 64)
    with pytest.raises(CommandError, match="backup; the target database is"):
        call_command("restore", str(wrong), "--into", str(tmp_path / "t.sqlite3"), "--force", stdout=StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", "--output", str(path), stdout=StringIO())


@pytest.fixture
def restore_process_state():
    """The in-process db_worker installs signal handlers: put pytest's back."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def test_nightly_backup_task_runs_on_the_worker_and_keeps_the_newest(
    some_data, backup_dir, settings, restore_process_state
):
    settings.BACKUP_KEEP = 2
    backup_dir.mkdir(mode=0o700)
    for day in (1, 2, 3):
        old = backup_dir / f"bangfu-old-2025010{day}-023000.sqlite3"
        old.write_bytes(b"old")
        os.utime(old, (1735669800 + day * 86400,) * 2)
    (backup_dir / "notes.txt").write_text("not ours")

    result = backup_database.enqueue()
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=StringIO())

    result.refresh()
    assert result.status == "SUCCESSFUL", result.errors
    written = backup_dir / result.return_value["path"].rsplit("/", 1)[-1]
    assert written.is_file() and stat.S_IMODE(written.stat().st_mode) == 0o600
    remaining = sorted(p.name for p in backup_dir.iterdir())
    assert written.name in remaining and "notes.txt" in remaining
    assert len([n for n in remaining if n.startswith("bangfu-")]) == 2
    assert sorted(result.return_value["pruned"]) == [
        "bangfu-old-20250101-023000.sqlite3",
        "bangfu-old-20250102-023000.sqlite3",
    ]
