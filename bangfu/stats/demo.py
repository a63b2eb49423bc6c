"""Demo data: give the demo archives a history that matches their lifecycle dates.

The demo seeding writes every archive today, so the triggers date all of them today and a 24-month trend would
be one spike. After seeding, the seeding's intermediate spans are dropped and each archive's history is dated
from its own (illustrative) lifecycle dates by `history.reconstruct_history`, as the installation does for real
archives that existed before the statistics.
"""

from __future__ import annotations

from django.db import transaction

from bangfu.stats.history import reconstruct_history
from bangfu.stats.models import HouseholdSpan


@transaction.atomic
def backdate_history() -> None:
    """Forget the seeding's own steps (all of today) and date each archive's history from its lifecycle dates."""
    HouseholdSpan.objects.filter(valid_to__isnull=False).delete()
    reconstruct_history()
