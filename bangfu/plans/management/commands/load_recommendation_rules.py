"""Write version 1 of every shipped recommendation rule that has no row yet (a rule already there, edited or
not, is left alone). The migration does this once; run it again after a database was emptied."""

from django.core.management.base import BaseCommand

from bangfu.plans.models import RecommendationRule
from bangfu.plans.rules_data import load_rules


class Command(BaseCommand):
    help = "Load the shipped recommendation rules that are missing (never changes an existing rule)."

    def handle(self, *args, **options):
        written = load_rules(RecommendationRule)
        if options["verbosity"]:
            self.stdout.write(f"recommendation rules written: {written}")
