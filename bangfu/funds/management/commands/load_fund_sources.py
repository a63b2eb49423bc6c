"""Create the platform's starting fund sources where they are missing (migration 0002 does it once; tests
re-seed after a transactional flush empties every table)."""

from django.core.management.base import BaseCommand

from bangfu.funds.models.sources import seed_sources


class Command(BaseCommand):
    help = "Create the starting fund sources that are missing."

    def handle(self, *args, **options):
        created = seed_sources()
        if options["verbosity"]:
            self.stdout.write(f"fund sources created: {created}")
