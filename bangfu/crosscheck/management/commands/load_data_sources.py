"""Load the shipped government data sources (schemas updated in place) and the cross-check rules that have no
version yet (an administrator's edits are never overwritten). The migration does this once; run it again after
a database was emptied."""

from django.core.management.base import BaseCommand

from bangfu.crosscheck.shipped import load


class Command(BaseCommand):
    help = "Load the shipped government data sources and missing cross-check rules."

    def handle(self, *args, **options):
        sources, rules = load()
        if options["verbosity"]:
            self.stdout.write(f"data sources: {sources}; cross-check rules written: {rules}")
