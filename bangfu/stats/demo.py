"""Demo data: give the demo archives a history that matches their lifecycle dates.

The demo seeding writes every archive today, so the triggers date all of them today and a 24-month trend would
be one spike. After seeding, each archive's history is redated from its own (illustrative) dates: open since it
was activated, applied or exited; an exited archive was active from its activation until its exit. Then the
rollups are rebuilt from that history. Demo only: real history is never rewritten.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from bangfu.registry.models import Household, State
from bangfu.stats import rollup
from bangfu.stats.models import HouseholdSpan


def _moment(day: dt.date | None, fallback: dt.datetime) -> dt.datetime:
    if day is None:
        return fallback
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


@transaction.atomic
def backdate_history() -> int:
    """Redate the history of every archive from its lifecycle dates; returns how many were redated."""
    HouseholdSpan.objects.filter(valid_to__isnull=False).delete()  # the seeding's own steps, all of today
    spans = {s.household_id: s for s in HouseholdSpan.objects.filter(valid_to__isnull=True)}
    earlier, changed = [], []
    rows = Household.objects.values_list("pk", "state", "applied_on", "activated_on", "exited_on", "created_at")
    for pk, state, applied_on, activated_on, exited_on, created_at in rows:
        span = spans.get(pk)
        if span is None:
            continue
        start = _moment(applied_on, created_at)
        if state == State.ACTIVE:
            start = _moment(activated_on, start)
        elif state == State.EXITED and exited_on:
            start = _moment(exited_on, start)
            if activated_on and activated_on < exited_on:
                earlier.append(HouseholdSpan(
                    household_id=pk, org_id=span.org_id, state=State.ACTIVE, category=span.category,
                    main_cause=span.main_cause, exit_reason="", has_helper=False,
                    valid_from=_moment(activated_on, start), valid_to=start))
        span.valid_from = min(start, span.valid_from)
        changed.append(span)
    HouseholdSpan.objects.bulk_update(changed, ["valid_from"], batch_size=1000)
    HouseholdSpan.objects.bulk_create(earlier, batch_size=1000)
    rollup.rebuild()
    return len(changed)
