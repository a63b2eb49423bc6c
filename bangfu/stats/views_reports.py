"""The standard statistical reports: a page to choose one (`/stats/reports/`) and the download
(`/stats/reports/<kind>.xlsx?org=<code>&as_of=YYYY-MM-DD`).

Only union staff holding `stats.export_statistics` (404 for anyone else, like every statistics page); the fund
and per-household reports also need `funds.view_ledgerentry` (404 without it). The union is any union of the
user's subtree (`?org=<code>`, default the user's own; another code is a 404). The as-of date defaults to today
and may not lie in the future: a bad date shows the form again with the error. Every download is in the
access log, with the union, the date, the minimum cell size and the rows written.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from bangfu import audit
from bangfu.core.decorators import staff_page
from bangfu.core.scoping import get_scoped_or_404
from bangfu.orgs.models import Org
from bangfu.stats import excel, reports

ORG_OPTIONS_DEPTH = 2  # the union select lists the user's union and two levels below (like the other pages)
ORG_OPTIONS_LIMIT = 300
EARLIEST = 2000  # no archive or ledger of the platform is older


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Report"))
    as_of = forms.DateField(label=gettext_lazy("As of"), required=False, input_formats=["%Y-%m-%d"],
                            help_text=gettext_lazy("The figures as at the end of this day (default today)."))

    def __init__(self, *args, kinds: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(kinds.items())

    def clean_as_of(self):
        today = timezone.localdate()
        day = self.cleaned_data.get("as_of") or today
        if day > today:
            raise forms.ValidationError(
                _("The as-of date cannot be in the future: choose %(today)s or an earlier day.")
                % {"today": today.isoformat()})
        if day.year < EARLIEST:
            raise forms.ValidationError(_("Choose a day from %(year)s on.") % {"year": EARLIEST})
        return day


def _org(request) -> Org:
    """The union asked for (`?org=<code>`), or the user's own; 404 outside the user's subtree."""
    code = (request.GET.get("org") or "").strip()[:32]
    if not code:
        return request.user.org
    return get_scoped_or_404(Org, request.user, "view", code=code)


def _org_options(user, chosen: Org) -> list[Org]:
    options = list(Org.objects.restrict(user, "view").filter(depth__lte=user.org.depth + ORG_OPTIONS_DEPTH)
                   .order_by("path").only("id", "code", "name", "depth", "path")[:ORG_OPTIONS_LIMIT])
    if all(o.pk != chosen.pk for o in options):
        options.append(chosen)
    for option in options:
        option.indented = "\u3000" * max(option.depth - user.org.depth, 0) + option.name
    return options


def _page(request, form: ReportForm, org: Org, kinds: dict, status: int = 200):
    return render(request, "stats/reports.html", {
        "form": form, "org": org, "kinds": kinds, "org_options": _org_options(request.user, org),
        "today": timezone.localdate(), "min_cell": reports.min_cell(),
        "crumbs": [(_("Statistics"), reverse("stats:dashboard")), (_("Standard reports"), "")],
    }, status=status)


@require_safe
@staff_page("stats.export_statistics")
def report_page(request):
    """The form; submitted with valid values it sends the browser to the download."""
    kinds = reports.kinds_for(request.user)
    org = _org(request)
    if "kind" not in request.GET:
        return _page(request, ReportForm(kinds=kinds, initial={"as_of": timezone.localdate()}), org, kinds)
    form = ReportForm(request.GET, kinds=kinds)
    if not form.is_valid():
        return _page(request, form, org, kinds)
    query = urlencode({"org": org.code, "as_of": form.cleaned_data["as_of"].isoformat()})
    return redirect(reverse("stats:report_download", args=[form.cleaned_data["kind"]]) + "?" + query)


@require_safe
@staff_page("stats.export_statistics")
def report_download(request, kind: str):
    kinds = reports.kinds_for(request.user)
    if kind not in kinds:  # unknown, or a ledger report without the ledger permission
        raise Http404
    org = _org(request)
    form = ReportForm({"kind": kind, "as_of": request.GET.get("as_of", "")}, kinds=kinds)
    if not form.is_valid():
        return _page(request, form, org, kinds, status=400)
    as_of, minimum = form.cleaned_data["as_of"], reports.min_cell()
    report = reports.build(kind, request.user, org, as_of)
    audit.log_access(request, "export", object_type=f"stats.report_{kind}", object_id=str(org.pk),
                     org=org.code, as_of=as_of.isoformat(), min_cell=minimum, rows=report.rows)
    return excel.workbook(report, minimum)
