"""The fund report pages: usage by subtree / source / category, per-household totals, the yearly fund account.

Each page reads the union from `?org=` (a union of the user's subtree, anything else answers 404; default
the user's own), the budget year and its filters from the query string, and asks `bangfu.funds.reports` /
`reports_account` for a handful of grouped queries. `?format=xlsx` exports what the page shows (permission
`funds.export_report`, audited). The per-household and account pages show masked names of households:
each read is logged.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangfu import audit
from bangfu.core.scoping import get_scoped_or_404
from bangfu.funds import excel
from bangfu.funds.models import AidCategory, FundSource
from bangfu.funds.reports import Period, usage_report
from bangfu.funds.reports_account import (
    HOUSEHOLD_SORTS,
    account_summary,
    account_transactions,
    carried_into,
    category_columns,
    household_rows,
    household_summary,
    reconcile,
    with_running_balances,
)
from bangfu.funds.views_budgets import org_options, require, scope_orgs
from bangfu.orgs.models import Org

PAGE_SIZE = 50
YEAR_MIN, YEAR_MAX = 2000, 2100
MONTHS = [(m, str(m)) for m in range(1, 13)]


class ReportFilterForm(forms.Form):
    """Year, months, source, category and order of a report (GET). Invalid values are shown as errors."""

    year = forms.IntegerField(required=False, min_value=YEAR_MIN, max_value=YEAR_MAX, label=gettext_lazy("Budget year"))
    month_from = forms.TypedChoiceField(choices=MONTHS, coerce=int, required=False, label=gettext_lazy("From month"))
    month_to = forms.TypedChoiceField(choices=MONTHS, coerce=int, required=False, label=gettext_lazy("To month"))
    source = forms.ModelChoiceField(queryset=FundSource.objects.all(), required=False, label=gettext_lazy("Source"))
    category = forms.ChoiceField(choices=[("", "")] + list(AidCategory.choices), required=False,
                                 label=gettext_lazy("Category"))
    sort = forms.ChoiceField(choices=[(k, k) for k in HOUSEHOLD_SORTS], required=False, label=gettext_lazy("Order"))

    def clean(self):
        data = super().clean()
        first, last = data.get("month_from") or 1, data.get("month_to") or 12
        if first > last:
            self.add_error("month_to", _("The last month comes before the first."))
        data["year"] = data.get("year") or timezone.localdate().year
        data["month_from"], data["month_to"] = first, last
        return data


def _setup(request, permission: str):
    """(user, org, form) of a report request; 404 for a union outside the user's scope."""
    user = request.user
    require(user, permission)
    raw = request.GET.get("org", "")
    org = user.org if raw == "" else get_scoped_or_404(Org, user, "view", pk=raw)
    form = ReportFilterForm(request.GET)
    form.is_valid()
    return user, org, form


def _context(request, user, org, form, title: str, sources: list, **extra) -> dict:
    data = getattr(form, "cleaned_data", {})
    year = data.get("year") or timezone.localdate().year
    this_year = timezone.localdate().year
    tab_query = urlencode({"org": org.pk, "year": year})
    export_query = request.GET.copy()
    export_query["format"] = "xlsx"
    return {
        "org": org, "form": form, "year": year, "title": title,
        "years": sorted(set(range(this_year - 5, this_year + 2)) | {year}, reverse=True),
        "months": range(1, 13), "sources": sources, "categories": AidCategory.choices,
        "org_options": org_options(scope_orgs(user), org), "tab_query": tab_query,
        "can_export": user.has_role_permission("funds.export_report") and not form.errors,
        "export_url": "?" + export_query.urlencode(),
        "crumbs": [(_("Assistance funds"), reverse("funds:home")), (_("Reports"), reverse("funds:reports")),
                   (title, "")],
        **extra,
    }


def _wants_export(request, user) -> bool:
    if request.GET.get("format") != "xlsx":
        return False
    require(user, "funds.export_report")
    return True


@login_required
def usage(request):
    user, org, form = _setup(request, "funds.view_monthlytotal")
    sources = list(FundSource.objects.all())
    report = None
    if not form.errors:
        data = form.cleaned_data
        period = Period(data["year"], data["month_from"], data["month_to"])
        report = usage_report(user, org, period, source=data["source"], category=data["category"] or None,
                              sources=sources)
        if _wants_export(request, user):
            audit.log_access(request, "export", object_type="funds.report_usage", object_id=str(org.pk),
                             year=period.year, months=f"{period.month_from}-{period.month_to}",
                             source=data["source"].pk if data["source"] else None, category=data["category"],
                             rows=len(report.children) + 1)
            return excel.usage_workbook(report)
    pivots = [(_("By source"), _("Source"), report.by_source, "usage-by-source"),
              (_("By category"), _("Category"), report.by_category, "usage-by-category")] if report else []
    show_opening = bool(report and (report.period.month_from > 1 or report.total.opening))
    return render(request, "funds/reports/usage.html",
                  _context(request, user, org, form, _("Fund usage"), sources, report=report, report_tab="usage",
                           pivots=pivots, show_opening=show_opening))


@login_required
def households(request):
    user, org, form = _setup(request, "funds.view_disbursement")
    context = {}
    if not form.errors:
        data = form.cleaned_data
        year, sort = data["year"], data["sort"] or "-total"
        summary = household_summary(user, org, year)
        rows = household_rows(user, org, year, sort)
        columns = category_columns(summary)
        if _wants_export(request, user):
            audit.log_access(request, "export", object_type="funds.report_households", object_id=str(org.pk),
                             year=year, rows=summary["households"], sort=sort)
            return excel.households_workbook(org, year, rows.iterator(chunk_size=2000), summary, columns)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        audit.log_access(request, "view", object_type="funds.report_households", object_id=str(org.pk),
                         year=year, rows=len(page.object_list), page=page.number, sort=sort)
        keep = {k: v for k, v in request.GET.items() if k not in ("page", "sort", "format") and v}
        rows = [{**row, "cells": [row[f"cat_{value}"] or 0 for value, _label in columns]} for row in page.object_list]
        context = {"summary": summary, "summary_cells": [summary[f"cat_{value}"] for value, _label in columns],
                   "page": page, "rows": rows, "columns": columns, "sort": sort,
                   "sort_url": {k.replace("-", "desc_"): "?" + urlencode({**keep, "sort": k}) for k in HOUSEHOLD_SORTS},
                   "page_query": urlencode({**keep, "sort": sort})}
    return render(request, "funds/reports/households.html",
                  _context(request, user, org, form, _("Payments per household"), list(FundSource.objects.all()),
                           report_tab="households", **context))


@login_required
def account(request):
    user, org, form = _setup(request, "funds.view_ledgerentry")
    source_list = list(FundSource.objects.all())
    context = {}
    if not form.errors:
        data = form.cleaned_data
        year, source, category = data["year"], data["source"], data["category"] or None
        lines, totals = account_summary(user, org, year, source=source, category=category, sources=source_list)
        problems = reconcile(user, org, year)
        transactions = account_transactions(user, org, year, source=source, category=category)
        sources = {s.pk: s for s in source_list}
        labels = dict(AidCategory.choices)
        if _wants_export(request, user):
            audit.log_access(request, "export", object_type="funds.report_account", object_id=str(org.pk),
                             year=year, source=source.pk if source else None, category=category)
            rows = with_running_balances(transactions.iterator(chunk_size=2000), carried_into(user, org, year, None),
                                         sources, labels)
            return excel.account_workbook(org, year, lines, totals, problems, rows, source=source, category=category)
        page = Paginator(transactions, PAGE_SIZE).get_page(request.GET.get("page"))
        page_rows = list(page.object_list)
        first = page_rows[0] if page.number > 1 and page_rows else None
        carried = carried_into(user, org, year, first, source=source, category=category)
        audit.log_access(request, "view", object_type="funds.report_account", object_id=str(org.pk), year=year,
                         rows=len(page_rows), page=page.number)
        keep = {k: v for k, v in request.GET.items() if k not in ("page", "format") and v}
        context = {"lines": lines, "totals": totals, "problems": problems, "page": page, "carried": carried,
                   "rows": list(with_running_balances(page_rows, carried, sources, labels)),
                   "page_query": urlencode(keep), "source": source, "category": category}
    return render(request, "funds/reports/account.html",
                  _context(request, user, org, form, _("Fund account"), source_list, report_tab="account", **context))
