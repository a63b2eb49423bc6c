"""Back up the database (SQLite online backup API or pg_dump) into var/backups/."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bangfu.core import backups


class Command(BaseCommand):
    help = "Back up the database to a timestamped 0600 file in BACKUP_DIR (or --output) and verify it."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="File to write, or a directory for the timestamped file.")
        parser.add_argument("--database", default="default", help="Database alias (default: %(default)s).")
        parser.add_argument("--keep", type=int, help="Afterwards delete all but the newest N backups in BACKUP_DIR.")

    def handle(self, *args, output=None, database="default", keep=None, **options):
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1.")
        # Audited with source "command" (bangfu.audit wraps every management command).
        try:
            backups.log_backup(None, using=database)
            path = backups.create_backup(database, output)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        pruned = backups.prune_backups(keep) if keep else []
        self.stdout.write(f"{path} ({path.stat().st_size} bytes)")
        for old in pruned:
            self.stdout.write(f"removed old backup {old.name}")
