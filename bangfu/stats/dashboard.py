"""The figures of one union's dashboard (its whole subtree), each with the link to the list behind it.

Household figures come from the rollups (`bangfu.stats.rollup`: a few hundred rows whatever the size of the
subtree); overdue visits and reviews from the due-day histograms (`bangfu.stats.due`); funds from the ledger
rollups; the rest (crisis cases, service requests) are indexed counts of small, current sets. Every query is
restricted to the user's scope: the org itself is looked up through `restrict`, and the linked lists apply the
same scoping again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bangfu.core.months import add_months
from bangfu.registry.models import Category, State
from bangfu.registry.models.codes import code_label
from bangfu.registry.models.lifecycle import ExitReason
from bangfu.stats import due, rollup
from bangfu.stats.models import DueKind

MONTHS = 24


@dataclass
class Figure:
    """One number on the dashboard; `url` is the filtered list behind it when the user may see those records."""

    key: str
    label: str
    value: int | None
    url: str | None = None
    note: str = ""


@dataclass
class Breakdown:
    """A labelled distribution (by state, category, cause, …) for a chart and its table."""

    key: str
    title: str
    rows: list[Figure] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(row.value or 0 for row in self.rows)


def _households_url(user, org, **params) -> str | None:
    if not user.has_role_permission("registry.view_household"):
        return None
    return reverse("registry:list") + "?" + urlencode({"org": org.code, **params})


def month_starts(today: dt.date, months: int = MONTHS) -> list[dt.date]:
    first = today.replace(day=1)
    return [add_months(first, -i) for i in range(months - 1, -1, -1)]


def household_breakdowns(user, org, counts: dict[tuple, int]) -> list[Breakdown]:
    """By state (all archives), and for active archives by category and by main cause."""
    by_state, by_category, by_cause, by_exit = (defaultdict(int) for _ in range(4))
    for (state, category, cause, exit_reason, _helper), n in counts.items():
        by_state[state] += n
        if state == State.ACTIVE:
            by_category[category or ""] += n
            by_cause[cause or ""] += n
        if state == State.EXITED:
            by_exit[exit_reason or ""] += n
    states = Breakdown("state", _("Archives by state"), [
        Figure(value, label, by_state[value], _households_url(user, org, state=value))
        for value, label in State.choices if by_state.get(value)])
    categories = Breakdown("category", _("Active archives by category"), [
        Figure(value or "-", label if value else _("Not classified"), by_category[value],
               _households_url(user, org, state=State.ACTIVE, category=value) if value else None)
        for value, label in [*Category.choices, ("", "")] if by_category.get(value)])
    causes = Breakdown("cause", _("Active archives by main cause"), [
        Figure(code or "-", code_label("cause", code) if code else _("No main cause recorded"), n,
               _households_url(user, org, state=State.ACTIVE, cause=code, cause_main_only="on") if code else None)
        for code, n in sorted(by_cause.items(), key=lambda item: (-item[1], item[0]))])
    exits = Breakdown("exit", _("Exited archives by reason"), [
        Figure(value or "-", label if value else _("Reason not recorded"), by_exit[value],
               _households_url(user, org, state=State.EXITED, exit_reason=value) if value else None)
        for value, label in [*ExitReason.choices, ("", "")] if by_exit.get(value)])
    return [states, categories, causes, exits]


def monthly_series(user, org, today: dt.date) -> dict:
    """New, exited and relapsed households per month over the last 24 months (x axis: 'YYYY-MM')."""
    from bangfu.monitoring.models import RelapseWatch, WatchState

    months = month_starts(today)
    flows = rollup.monthly_flows(org, months[0])
    relapsed = defaultdict(int)
    may_see_relapse = user.has_role_permission("monitoring.view_relapsewatch")
    watches = [] if not may_see_relapse else (RelapseWatch.objects.restrict(user, "view")
               .filter(household__org__path__startswith=org.path, state=WatchState.REENTERED,
                       resolved_on__gte=months[0]).values_list("resolved_on", flat=True))
    for day in watches:
        relapsed[day.replace(day=1)] += 1
    empty = {"state_entered": 0}
    return {
        "months": [f"{m:%Y-%m}" for m in months],
        "new": [flows.get((m, State.ACTIVE), empty)["state_entered"] for m in months],
        "exited": [flows.get((m, State.EXITED), empty)["state_entered"] for m in months],
        "relapsed": [relapsed[m] for m in months] if may_see_relapse else None,
    }


def work_figures(user, org, counts: dict[tuple, int], today: dt.date) -> list[Figure]:
    """What needs doing: households without a helper, overdue reviews and visits, open crisis cases."""
    without = sum(n for (state, _c, _m, _e, helper), n in counts.items() if state == State.ACTIVE and not helper)
    figures = [Figure("without_helper", _("Active archives without a responsible helper"), without,
                      reverse("helpers:without") + "?" + urlencode({"org": org.code})
                      if user.has_role_permission("helpers.view_helperassignment") else None)]
    overdue = due.overdue_counts(org, today)
    figures.append(Figure("overdue_reviews", _("Annual reviews overdue"), overdue[DueKind.REVIEW],
                          _households_url(user, org, state=State.ACTIVE, review_overdue="on")))
    if user.has_role_permission("helpers.view_helperassignment"):
        figures.append(Figure("overdue_visits", _("Households with a visit overdue"), overdue[DueKind.VISIT],
                              reverse("helpers:overdue") + "?" + urlencode({"org": org.code})))
    if user.has_role_permission("stats.view_care_statistics"):
        figures.append(care_figure(user, org))
    return figures


def care_figure(user, org) -> Figure:
    """Open crisis cases of the subtree, as a count only (DOMAIN.md §8); the list only for counsellors."""
    from bangfu.care.models import CrisisCase

    count = CrisisCase.objects.filter(household__org__path__startswith=org.path).active().count()
    # The crisis list covers the user's whole subtree: it is the list behind the figure of the user's own union.
    url = reverse("care:crises") if user.has_role_permission("care.view_crisiscase") and org == user.org else None
    return Figure("open_crises", _("Crisis cases not closed"), count, url)


def fund_figures(user, org, year: int) -> dict:
    """Budget received, allocations received from above and passed down, approved-but-unpaid and paid (fen), the
    year's payments by source and by category. From the ledger rollups of the subtree and the org's own balances."""
    from bangfu.funds.models import Balance, FundSource
    from bangfu.funds.models.sources import AidCategory

    sums = rollup.fund_sums(org, year)
    budget = -sum(v for (_s, _c, bucket), v in sums.items() if bucket == "source")
    received = sum(sums.values())  # inside the subtree every other movement nets out (funds.reports)
    own = sum(Balance.objects.filter(org=org, year=year).values_list("amount_fen", flat=True))
    paid_by_source, paid_by_category = defaultdict(int), defaultdict(int)
    for (source_id, category, bucket), v in sums.items():
        if bucket == "paid":
            paid_by_source[source_id] += v
            paid_by_category[category] += v
    names = dict(FundSource.objects.filter(pk__in=list(paid_by_source)).values_list("pk", "name"))
    labels = dict(AidCategory.choices)
    link = (reverse("funds:reports") + "?" + urlencode({"org": org.pk, "year": year})
            if user.has_role_permission("funds.view_ledgerentry") else None)
    return {
        "year": year,
        "figures": [
            Figure("budget", _("Budgets received"), budget, link),
            Figure("received", _("Allocated from above"), received, link),
            Figure("passed_down", _("Passed down to lower unions"), received - own, link),
            Figure("reserved", _("Approved, not yet paid"),
                   sum(v for (_s, _c, b), v in sums.items() if b == "reserved"), link),
            Figure("paid", _("Paid to households"), sum(paid_by_source.values()), link),
        ],
        "by_source": [Figure(str(k), names.get(k, str(k)), v, link) for k, v in sorted(paid_by_source.items())],
        "by_category": [Figure(k, labels.get(k, k), v, link) for k, v in sorted(paid_by_category.items())],
    }


def service_figures(user, org) -> list[Figure]:
    """Requests answered in time and the workers' mean rating in the subtree."""
    from bangfu.services.models import ServiceRequest
    from bangfu.services.stats import _figures, _finish

    if not user.has_role_permission("services.view_servicerequest"):
        return []
    row = _finish(dict(ServiceRequest.objects.restrict(user, "view")
                       .filter(household__org__path__startswith=org.path).aggregate(**_figures())))
    # Per union, the page of response and satisfaction (its rows are the unions below the user's).
    url = reverse("services:stats") if org == user.org else None
    return [
        Figure("requests", _("Service requests"), row["requests"], url),
        Figure("answered_in_time", _("Answered in time"), row["in_time"], url,
               note=f"{row['in_time_share']}%" if row["in_time_share"] is not None else ""),
        Figure("rating", _("Mean satisfaction (1–5)"), None, url, note=str(row["rating"] or "–")),
    ]
