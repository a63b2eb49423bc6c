"""Backups of the whole database and their restore, for SQLite and PostgreSQL.

* SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent snapshot while
  the platform keeps running; the copy is switched to a single self-contained file and checked
  with `PRAGMA quick_check`.
* PostgreSQL: `pg_dump --format=custom` (a consistent snapshot by MVCC), checked by listing the
  archive with `pg_restore --list`; restored with `pg_restore --clean --if-exists --no-owner`
  inside one transaction. `--clean` drops only the objects the archive contains: for an exact copy
  restore into an empty database.

Backups land in `settings.BACKUP_DIR` (var/backups by default, mode 0700) with a timestamped name,
mode 0600. They hold the encrypted columns as ciphertext: restoring needs the same field keys
(BANGFU_FIELD_KEYS / var/dev-field-keys), which are deliberately not part of the backup.

Restore refuses a target that already holds data unless forced. "Data" means rows in any table
other than the bookkeeping that `migrate` fills on its own, so a freshly migrated database counts
as empty.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.utils import load_backend
from django.utils import timezone

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
EXTENSIONS = {"sqlite": "sqlite3", "postgresql": "pgdump"}
# Tables `migrate` fills by itself: their rows do not make a database "hold data".
BOOKKEEPING_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})


class BackupError(Exception):
    """A backup or restore could not be done; the message says why and what to do."""


def vendor_of(settings_dict: dict) -> str:
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine or "postgis" in engine:
        return "postgresql"
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {engine}.")


def backup_dir() -> Path:
    directory = Path(settings.BACKUP_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def default_backup_path(settings_dict: dict, directory: Path | None = None) -> Path:
    """`bangfu-<database>-<local time>.<ext>` in the backup directory."""
    vendor = vendor_of(settings_dict)
    name = Path(str(settings_dict["NAME"]).split("?")[0]).stem if vendor == "sqlite" else settings_dict["NAME"]
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", str(name)).strip("-")[:40] or "db"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return (directory or backup_dir()) / f"bangfu-{slug}-{stamp}.{EXTENSIONS[vendor]}"


@contextmanager
def _private_file(path: Path) -> Iterator[Path]:
    """A new 0600 file next to `path`, renamed to `path` when the block succeeds, removed otherwise."""
    if path.exists():
        raise BackupError(f"{path} already exists; choose another --output.")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        yield partial
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _pg_command(executable: str, settings_dict: dict, *arguments: str) -> tuple[list[str], dict]:
    """Command line and environment for a PostgreSQL client tool, from Django's connection settings."""
    binary = shutil.which(executable)
    if binary is None:
        raise BackupError(f"{executable} was not found; install the PostgreSQL client matching the server version.")
    # The environment (password, sslmode, service, passfile) exactly as `manage.py dbshell` would set it.
    client = load_backend(settings_dict["ENGINE"]).DatabaseClient
    _args, env = client.settings_to_cmd_args_env(settings_dict, [])
    args = [binary]
    for flag, key in (("--username", "USER"), ("--host", "HOST"), ("--port", "PORT")):
        if settings_dict.get(key):
            args += [flag, str(settings_dict[key])]
    return [*args, *arguments], {**os.environ, **(env or {})}


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    return result


def _sqlite_check(path: Path) -> None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        verdict = con.execute("PRAGMA quick_check").fetchone()[0]
        has_migrations = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='django_migrations'"
        ).fetchone()
    finally:
        con.close()
    if verdict != "ok":
        raise BackupError(f"{path} is damaged: {verdict}")
    if not has_migrations:
        raise BackupError(f"{path} is not a backup of this platform (no django_migrations table).")


def create_backup(using: str = "default", output: Path | None = None) -> Path:
    """Back up database `using` to `output` (default: a new timestamped file) and verify the copy."""
    connection = connections[using]
    settings_dict = connection.settings_dict
    vendor = vendor_of(settings_dict)
    path = Path(output) if output else default_backup_path(settings_dict)
    if path.is_dir():
        path = default_backup_path(settings_dict, path)
    with _private_file(path) as partial:
        if vendor == "sqlite":
            # Through Django's own connection, so an in-memory database (tests) is backed up too.
            connection.ensure_connection()
            target = sqlite3.connect(partial)
            try:
                connection.connection.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal/-shm
            finally:
                target.close()
            _sqlite_check(partial)
        else:
            args, env = _pg_command(
                "pg_dump", settings_dict, "--format=custom", "--file", str(partial), "--dbname", settings_dict["NAME"]
            )
            _run(args, env)
            _run([shutil.which("pg_restore") or "pg_restore", "--list", str(partial)], env)
    return path


def log_backup(request, using: str = "default") -> None:
    """Audit a backup as an export of the whole database.

    Written before the copy is taken, so every backup carries the record of its own making.
    """
    from bangfu.audit.access import log_access

    log_access(
        request, "export", object_type="database", object_id=using, kind="backup", vendor=connections[using].vendor
    )


@contextmanager
def other_connection(settings_dict: dict, alias: str = "__bangfu_backup__"):
    """A Django connection to another database, closed after the block.

    Deliberately not registered in `django.db.connections`: nothing else in the process may pick it
    up by alias. Raw SQL, `ops` and table listing work; introspection that looks the connection up
    by alias (e.g. JSON-field feature probes on SQLite) does not.
    """
    connection = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(dict(settings_dict), alias)
    try:
        yield connection
    finally:
        connection.close()


def has_data(settings_dict: dict) -> bool:
    """Whether any table other than migrate's own bookkeeping holds a row."""
    if vendor_of(settings_dict) == "sqlite":
        name = str(settings_dict["NAME"])
        if not name.startswith("file:") and (not Path(name).exists() or Path(name).stat().st_size == 0):
            return False
    try:
        with other_connection(settings_dict) as connection, connection.cursor() as cursor:
            for table in connection.introspection.table_names(cursor):
                if table in BOOKKEEPING_TABLES:
                    continue
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
                if cursor.fetchone():
                    return True
        return False
    except DatabaseError as error:
        if "does not exist" in str(error):
            raise BackupError(f"Database {settings_dict['NAME']} does not exist; create it first.") from error
        raise


def backup_kind(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite backup nor a pg_dump custom-format archive.")


def restore_backup(path: Path, settings_dict: dict, *, force: bool = False) -> None:
    """Restore backup `path` into the database described by `settings_dict`.

    Refuses when the target holds data, unless `force`. Connections of this process to the target
    are closed first; SQLite is copied page by page with the backup API (other processes see the
    restored content on their next query); PostgreSQL is restored in a single transaction.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    vendor = vendor_of(settings_dict)
    kind = backup_kind(path)
    if kind != vendor:
        raise BackupError(f"{path} is a {kind} backup; the target database is {vendor}.")
    if not force and has_data(settings_dict):
        raise BackupError(f"The target database {settings_dict['NAME']} already holds data; use --force to replace it.")
    for connection in connections.all(initialized_only=True):
        if connection.settings_dict["NAME"] == settings_dict["NAME"]:
            connection.close()
    if vendor == "sqlite":
        _sqlite_check(path)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        name = str(settings_dict["NAME"])
        target = sqlite3.connect(name, timeout=60, uri=name.startswith("file:"))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        args, env = _pg_command(
            "pg_restore",
            settings_dict,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            settings_dict["NAME"],
            str(path),
        )
        _run(args, env)


def prune_backups(keep: int, directory: Path | None = None) -> list[Path]:
    """Delete all but the newest `keep` backups this platform wrote in `directory`; return the deleted."""
    directory = directory or backup_dir()
    ours = [p for p in directory.glob("bangfu-*") if p.is_file() and p.suffix.lstrip(".") in EXTENSIONS.values()]
    ours.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    doomed = ours[max(keep, 1) :]
    for path in doomed:
        path.unlink()
    return doomed
