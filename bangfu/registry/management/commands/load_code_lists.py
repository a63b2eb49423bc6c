from django.core.management.base import BaseCommand

from bangfu.registry.code_lists import load_code_lists
from bangfu.registry.models import CodeItem


class Command(BaseCommand):
    help = "Add the shipped code-list entries that are missing (never changes an existing entry)."

    def handle(self, *args, **options):
        added = load_code_lists(CodeItem)
        if options["verbosity"]:
            self.stdout.write(f"{added} code-list entries added.")
