"""Django's `flush`, able to empty the append-only audit tables.

The audit triggers refuse DELETE/TRUNCATE unless the transaction holds a purge permit
(`bangfu.audit.triggers.purge_permitted`). `flush` empties every table on purpose — a deliberate operator
action, and what `TransactionTestCase` (pytest-django's `transactional_db`) does after each test — so it
takes the permit for exactly its own transaction. The permit never outlives it.
"""

from django.core.management.commands import flush

from bangfu.audit.triggers import purge_permitted


class Command(flush.Command):
    def handle(self, **options):
        if options["interactive"]:
            # Ask before opening the transaction, so no write lock is held while a person reads the prompt.
            from django.db import connections

            name = connections[options["database"]].settings_dict["NAME"]
            confirm = input(
                f'You have requested a flush of the database "{name}", audit logs included.\n'
                "This will IRREVERSIBLY DESTROY all data. Type 'yes' to continue, or 'no' to cancel: "
            )
            if confirm != "yes":
                self.stdout.write("Flush cancelled.")
                return
        with purge_permitted(options["database"]):
            super().handle(**{**options, "interactive": False})
