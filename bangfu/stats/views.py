"""The statistics pages: a union's dashboard and the comparison of its children (charts with the numbers beside
them, each linked to its list). `?org=<code>` picks a union of the user's subtree; any other code is a 404."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from bangfu.core.decorators import staff_page
from bangfu.core.scoping import get_scoped_or_404
from bangfu.orgs.models import Org
from bangfu.stats import dashboard as figures
from bangfu.stats.compare import compare


def org_for(request) -> Org:
    """The union asked for (`?org=<code>`), or the user's own; 404 outside the user's subtree."""
    code = (request.GET.get("org") or "").strip()[:32]
    if not code:
        return request.user.org
    return get_scoped_or_404(Org, request.user, "view", code=code)


def dashboard_context(user, org: Org, today: dt.date) -> dict:
    """Everything the dashboard shows for `org` (also what the API returns and the benchmark times)."""
    from bangfu.stats.rollup import household_counts, serial_plan

    with serial_plan():
        counts = household_counts(org)
        return {
            "org": org,
            "today": today,
            "breakdowns": figures.household_breakdowns(user, org, counts),
            "work": figures.work_figures(user, org, counts, today),
            "monthly": figures.monthly_series(user, org, today),
            "funds": figures.fund_figures(user, org, today.year)
            if user.has_role_permission("funds.view_ledgerentry")
            else None,
            "services": figures.service_figures(user, org),
        }


def _ancestors_in_scope(user, org: Org) -> list[Org]:
    """The breadcrumb: from the user's own union down to `org`."""
    top = user.org
    return list(
        Org.objects.filter(
            path__in=[org.path[:n] for n in range(len(top.path), len(org.path) + 1, Org.steplen)]
        ).order_by("path")
    )


def _series(name, values) -> dict:
    return {"name": str(name), "values": values}


def dashboard_charts(context: dict) -> dict[str, dict]:
    """The chart specifications (read by static/stats/charts.js) of the dashboard's figures."""
    charts = {}
    for breakdown, kind in zip(context["breakdowns"], ("hbar", "pie", "hbar", "pie"), strict=True):
        if breakdown.rows:
            charts[breakdown.key] = {
                "type": kind,
                "labels": [str(r.label) for r in breakdown.rows],
                "series": [_series(breakdown.title, [r.value for r in breakdown.rows])],
            }
    monthly = context["monthly"]
    charts["monthly"] = {
        "type": "line",
        "legend": True,
        "labels": monthly["months"],
        "series": [
            _series(_("New archives"), monthly["new"]),
            _series(_("Exited"), monthly["exited"]),
            *([_series(_("Relapsed (re-entered)"), monthly["relapsed"])] if monthly["relapsed"] is not None else []),
        ],
    }
    funds = context["funds"]
    if funds and funds["by_category"]:
        charts["paid_category"] = {
            "type": "hbar",
            "labels": [str(r.label) for r in funds["by_category"]],
            "series": [_series(_("Paid (yuan)"), [r.value / 100 for r in funds["by_category"]])],
        }
    if funds and funds["by_source"]:
        charts["paid_source"] = {
            "type": "pie",
            "labels": [str(r.label) for r in funds["by_source"]],
            "series": [_series(_("Paid (yuan)"), [r.value / 100 for r in funds["by_source"]])],
        }
    return charts


@require_safe
@staff_page("stats.view_statistics")
def dashboard(request):
    org = org_for(request)
    today = timezone.localdate()
    context = dashboard_context(request.user, org, today)
    context["charts"] = {f"chart-{name}": spec for name, spec in dashboard_charts(context).items()}
    monthly = context["monthly"]
    relapsed = monthly["relapsed"] or [None] * len(monthly["months"])
    rows = zip(monthly["months"], monthly["new"], monthly["exited"], relapsed, strict=True)
    context["monthly_rows"] = list(rows)[::-1]
    context["trail"] = _ancestors_in_scope(request.user, org)
    context["children"] = Org.objects.filter(path__startswith=org.path, depth=org.depth + 1).order_by("path")
    return render(request, "stats/dashboard.html", context)


SORTS = {
    "active",
    "in_progress",
    "exited",
    "deep",
    "without_helper",
    "paid_fen",
    "members",
    "active_per_1000",
    "paid_per_member",
}


def _columns(show_funds: bool) -> list[tuple[str, str]]:
    columns = [
        ("active", _("Active archives")),
        ("in_progress", _("In progress")),
        ("exited", _("Exited")),
        ("deep", _("Deep hardship")),
        ("without_helper", _("Without a helper")),
    ]
    if show_funds:
        columns.append(("paid_fen", _("Paid this year (yuan)")))
    columns += [("members", _("Members")), ("active_per_1000", _("Active per 1,000 members"))]
    if show_funds:
        columns.append(("paid_per_member", _("Paid per member (yuan)")))
    return columns


@require_safe
@staff_page("stats.view_statistics")
def comparison(request):
    org = org_for(request)
    today = timezone.localdate()
    data = compare(org, today)
    sort = request.GET.get("sort", "-active")
    key = sort.lstrip("-")
    if key in SORTS:
        data["rows"].sort(key=lambda row: (row[key] is None, row[key] or 0), reverse=sort.startswith("-"))
        if sort.startswith("-"):  # keep the rows without a figure last either way
            data["rows"].sort(key=lambda row: row[key] is None)
    show_funds = request.user.has_role_permission("funds.view_ledgerentry")
    trend = data["trend"]
    charts = {
        "compare": {
            "type": "bar",
            "legend": True,
            "labels": [r["org"].short_name or r["org"].name for r in data["rows"]],
            "series": [
                _series(_("Active archives"), [r["active"] for r in data["rows"]]),
                _series(_("Deep hardship"), [r["deep"] for r in data["rows"]]),
                _series(_("Without a helper"), [r["without_helper"] for r in data["rows"]]),
            ],
        },
        "trend": {
            "type": "line",
            "legend": True,
            "labels": trend["months"],
            "series": [_series(s["name"], s["values"]) for s in trend["series"].values()],
        },
    }
    return render(
        request,
        "stats/compare.html",
        {
            "org": org,
            "today": today,
            "rows": data["rows"],
            "sort": sort,
            "charts": {f"chart-{name}": spec for name, spec in charts.items()},
            "trail": _ancestors_in_scope(request.user, org),
            "show_funds": show_funds,
            "columns": _columns(show_funds),
        },
    )
