"""The two lists of DOMAIN.md §3, as querysets over the archives a user may see (each one SQL statement).

* **Not updated for a year** (`not_updated`): an open archive (any state from draft to active) whose own record
  was last changed (`Household.updated_at`) before the cut-off AND that has no timeline row at or after the
  cut-off (members, incomes, expenses, documents, decisions, visits, payments … all write the timeline). The
  cut-off is the day `not_updated_days` (default 365) before today, at midnight.
* **Archived but never helped** (`never_helped`): an active archive, active since at least `never_helped_days`
  (default 90) days, for which nothing of the following was ever recorded: a payment in state paid
  (`funds.Disbursement`), a measure done (`plans.Measure`), a visit (`helpers.Visit`), a rights case
  (`rights.RightsCase`, any state: consultation is help).

**Parameters per archive, not per viewer**: each archive is measured with the parameters of its own union — the
`MonitoringPolicy` row in force on the day for the nearest union along its lineage that has one, else the national
row, else the built-in defaults (the same resolution as `MonitoringPolicy.in_force`). Set-based: the policy rows
in force partition the tree (a row's subtree minus the subtrees of deeper rows; the national row takes what is
left), the partitions with the same number of days are OR-ed into one condition, and the whole list is one SQL
statement; each row is annotated with the days that applied to it (`listed_days`), shown on the page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone

from bangfu.registry.models import OPEN_STATES, State, TimelineEvent


def cutoff(on: dt.date, days: int) -> dt.datetime:
    day = on - dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def policy_partition(on: dt.date, path_field: str = "org__path") -> list[tuple[Q, object]]:
    """[(condition on the household's union, MonitoringPolicy)]: every union falls in exactly one condition, the
    one of the nearest union along its lineage with a row in force on `on`, or the national row's (default)."""
    from bangfu.monitoring.models import MonitoringPolicy

    by_path: dict[str, MonitoringPolicy] = {}
    national = None
    for row in (MonitoringPolicy.objects.filter(effective_from__lte=on).select_related("org")
                .order_by("-effective_from", "-id")):
        if row.org_id is None:
            national = national or row
        else:
            by_path.setdefault(row.org.path, row)
    national = national or MonitoringPolicy.in_force(None, on)
    parts = []
    for path, row in by_path.items():
        condition = Q(**{f"{path_field}__startswith": path})
        for deeper in by_path:
            if deeper != path and deeper.startswith(path):
                condition &= ~Q(**{f"{path_field}__startswith": deeper})
        parts.append((condition, row))
    rest = Q(**{f"{path_field}__isnull": False})
    for path in by_path:
        rest &= ~Q(**{f"{path_field}__startswith": path})
    parts.append((rest, national))
    return parts


def _per_policy(households, on: dt.date, attribute: str, condition):
    """`households` where `condition(days)` holds with each household's own union's `attribute` (days),
    annotated with `listed_days`."""
    by_days: dict[int, Q] = defaultdict(Q)
    for part, policy in policy_partition(on):
        days = getattr(policy, attribute)
        by_days[days] = (by_days[days] | part) if days in by_days else part
    listed = Q(pk__in=[])
    for days, part in by_days.items():
        listed |= part & condition(days)
    return households.filter(listed).annotate(listed_days=Case(
        *[When(part, then=Value(days)) for days, part in by_days.items()], output_field=IntegerField()))


def not_updated(households, on: dt.date):
    def condition(days):
        since = cutoff(on, days)
        return Q(updated_at__lt=since) & ~Q(Exists(TimelineEvent.objects.filter(household=OuterRef("pk"),
                                                                                at__gte=since)))

    return _per_policy(households.filter(state__in=OPEN_STATES), on, "not_updated_days", condition)


def never_helped(households, on: dt.date):
    from bangfu.funds.models import Disbursement
    from bangfu.helpers.models import Visit
    from bangfu.plans.models import Measure, MeasureState
    from bangfu.rights.models import RightsCase

    households = _per_policy(households.filter(state=State.ACTIVE), on, "never_helped_days",
                             lambda days: Q(activated_on__lte=on - dt.timedelta(days=days)))
    return (households
            .exclude(Exists(Disbursement.objects.filter(household=OuterRef("pk"), state="paid")))
            .exclude(Exists(Measure.objects.filter(household=OuterRef("pk"), state=MeasureState.DONE)))
            .exclude(Exists(Visit.objects.filter(household=OuterRef("pk"))))
            .exclude(Exists(RightsCase.objects.filter(household=OuterRef("pk")))))
