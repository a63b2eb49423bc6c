"""The children of a union side by side: archives by state and category, without a helper, paid this year, rates
per 1,000 members where membership counts exist, and the active archives of each child over 24 months.

One query per table for all children (rollup rows of the children plus the deltas pending below each child,
grouped by the child's path prefix); the monthly trend walks back from today's stock with the monthly flows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Sum
from django.db.models.functions import Substr

from bangfu.orgs.counts import with_counts
from bangfu.orgs.models import Org
from bangfu.registry.models import OPEN_STATES, State
from bangfu.stats.dashboard import month_starts
from bangfu.stats.models import FundDelta, FundRollup, HouseholdDelta, HouseholdFlow, HouseholdRollup
from bangfu.stats.rollup import folded, pending_flows, serial_plan

COLUMNS = ["active", "in_progress", "exited", "deep", "without_helper", "paid_fen"]
DEEP_CATEGORIES = ("A_dibao", "B_deep")


def children_of(org: Org):
    return with_counts(Org.objects.filter(path__startswith=org.path, depth=org.depth + 1)).order_by("path")


def compare(org: Org, today: dt.date) -> dict:
    """{"rows": [{org, figures…, rates…}], "trend": {"months": […], "series": {code: […]}}} for `org`'s children."""
    with serial_plan():
        return _compare(org, today)


def _compare(org: Org, today: dt.date) -> dict:
    children = list(children_of(org))
    by_path = {child.path: child for child in children}
    width = len(org.path) + Org.steplen
    figures: dict[int, dict[str, int]] = {child.pk: dict.fromkeys(COLUMNS, 0) for child in children}

    def add(child_id, state, category, helper, n):
        cell = figures[child_id]
        if state == State.ACTIVE:
            cell["active"] += n
            cell["deep"] += n if category in DEEP_CATEGORIES else 0
            cell["without_helper"] += 0 if helper else n
        elif state == State.EXITED:
            cell["exited"] += n
        elif state in OPEN_STATES:
            cell["in_progress"] += n

    keys = ("state", "category", "has_helper")
    branch = Substr("org__path", 1, width)
    below = {"org__path__startswith": org.path, "org__depth__gt": org.depth}
    counts = folded(
        HouseholdRollup.objects.filter(org__in=children).exclude(households=0).annotate(branch=branch)
        .values_list("branch", *keys, "households"),
        HouseholdDelta.objects.filter(**below).annotate(branch=branch).values_list("branch", *keys)
        .annotate(n=Sum("delta")),
    )
    for (path, *rest), (n,) in counts.items():
        if path in by_path:
            add(by_path[path].pk, *rest, n)

    year = today.year
    paid = folded(
        FundRollup.objects.filter(org__in=children, year=year, bucket="paid").annotate(branch=branch)
        .values_list("branch", "amount_fen"),
        FundDelta.objects.filter(**below, year=year, bucket="paid").annotate(branch=branch).values_list("branch")
        .annotate(n=Sum("amount_fen")),
    )
    for (path,), (amount,) in paid.items():
        if path in by_path:
            figures[by_path[path].pk]["paid_fen"] += amount

    rows = []
    for child in children:
        cell = figures[child.pk]
        members = child.membership or None
        rows.append({
            "org": child, **cell,
            "members": members,
            "active_per_1000": round(1000 * cell["active"] / members, 2) if members else None,
            "paid_per_member": round(cell["paid_fen"] / 100 / members, 2) if members else None,
        })
    return {"rows": rows, "trend": _trend(org, children, by_path, width, figures, today)}


def _trend(org, children, by_path, width, figures, today) -> dict:
    """Active archives of each child at the end of each of the last 24 months: today's stock minus what
    entered, plus what left, in the months after."""
    months = month_starts(today)
    net: dict[int, dict[dt.date, int]] = {child.pk: defaultdict(int) for child in children}
    branch = Substr("org__path", 1, width)
    flows = folded(
        HouseholdFlow.objects.filter(org__in=children, state=State.ACTIVE, month__gte=months[0])
        .annotate(branch=branch).values_list("branch", "month", "entered", "left"),
        pending_flows(HouseholdDelta.objects.filter(org__path__startswith=org.path, org__depth__gt=org.depth,
                                                    state=State.ACTIVE, month__gte=months[0])
                      .annotate(branch=branch).values_list("branch", "month"))
        .values_list("branch", "month", "entered_n", "left_n"),
        figures=2,
    )
    for (path, month), (entered, left) in flows.items():
        if path in by_path:
            net[by_path[path].pk][month] += entered - left
    series = {}
    for child in children:
        stock, values = figures[child.pk]["active"], []
        for month in reversed(months):
            values.append(stock)
            stock -= net[child.pk].get(month, 0)
        series[child.code] = {"name": child.short_name or child.name, "values": list(reversed(values))}
    return {"months": [f"{m:%Y-%m}" for m in months], "series": series}
