"""`manage.py check_ledger`: recompute every balance and monthly total from the ledger entries.

Runs `bangfu.funds.ledger.verify()` (three GROUP BY queries) and prints each difference between the
cached sums and the entries, and each transaction that does not sum to zero. Exit code 0 when the
ledger agrees with itself, 1 otherwise (a CommandError) — so cron, CI or an operator can act on it.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from bangfu.funds import ledger
from bangfu.funds.models import LedgerEntry, LedgerTransaction


class Command(BaseCommand):
    help = "Check that balances and monthly totals equal the sums of the ledger entries (exit 1 on any difference)."

    def handle(self, *args, **options):
        problems = ledger.verify()
        transactions, entries = LedgerTransaction.objects.count(), LedgerEntry.objects.count()
        if not problems:
            self.stdout.write(self.style.SUCCESS(
                f"Ledger OK: {transactions} transactions, {entries} entries; balances and monthly totals agree."))
            return
        for problem in problems:
            self.stderr.write(f"  {problem}")
        # CommandError: manage.py prints it and exits with status 1.
        raise CommandError(f"the ledger check found {len(problems)} problem(s) in {transactions} transactions, "
                           f"{entries} entries (listed above)")
