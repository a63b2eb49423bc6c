"""Restore a backup made by `manage.py backup` (refuses a database that holds data, unless --force)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from bangfu.core import backups


class Command(BaseCommand):
    help = (
        "Restore a backup into the database. Refuses when the target already holds data unless --force. "
        "--into restores into another SQLite file or PostgreSQL database on the same server instead "
        "(a restore drill that leaves the live database alone)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="A .sqlite3 or .pgdump file written by manage.py backup.")
        parser.add_argument("--force", action="store_true", help="Replace the data the target already holds.")
        parser.add_argument("--database", default="default", help="Database alias (default: %(default)s).")
        parser.add_argument(
            "--into", metavar="NAME", help="SQLite: path of another database file; PostgreSQL: another database name."
        )

    def handle(self, *args, path, force=False, database="default", into=None, **options):
        target = dict(connections[database].settings_dict)
        if into:
            target["NAME"] = str(Path(into).resolve()) if connections[database].vendor == "sqlite" else into
        try:
            backups.restore_backup(path, target, force=force)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {path} into {target['NAME']}.")
        if not into:
            self.stdout.write("Run `manage.py migrate` if the backup is older than the code.")
