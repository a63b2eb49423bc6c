"""Lists across households: helper workload, one helper's households, households without a helper, overdue
visits, and the visit frequencies of the user's union. Every list is one scoped queryset of `bangfu.helpers.queries`
(counted in SQL); a union filter outside the user's subtree matches nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangfu.accounts.models import User
from bangfu.core.scoping import get_scoped_or_404
from bangfu.helpers import forms, queries
from bangfu.helpers.frequencies import frequencies_for
from bangfu.helpers.models import VisitFrequency
from bangfu.helpers.rules import VISIT_ANY_ROLES
from bangfu.helpers.services import remove_visit_frequency, set_visit_frequency
from bangfu.orgs.models import Org

PAGE_SIZE = 50
ORG_OPTIONS_LIMIT = 200
WORKLOAD_SORTS = {
    "name": ("full_name", "username"), "-name": ("-full_name", "-username"),
    "households": ("households", "full_name"), "-households": ("-households", "full_name"),
    "visits": ("recent_visits", "full_name"), "-visits": ("-recent_visits", "full_name"),
    "overdue": ("overdue", "full_name"), "-overdue": ("-overdue", "full_name"),
    "org": ("org__path", "full_name"), "-org": ("-org__path", "full_name"),
}


def _require(user, permission: str) -> None:
    if user.kind != "staff" or not user.has_role_permission(permission):
        raise Http404


def _org_options(user) -> list:
    """The user's union and the two levels below it, to pick from; others are reached by typing their code."""
    if not user.org_id:
        return []
    return list(Org.objects.restrict(user, "view").filter(depth__lte=user.org.depth + 2)
                .order_by("path").values_list("code", "name")[:ORG_OPTIONS_LIMIT])


def _org_filter(request):
    """(form, org or None, matches_nothing): an org code outside the user's subtree matches nothing."""
    form = forms.ListOrgForm(request.GET or None)
    code = (request.GET.get("org") or "").strip()[:32]
    if not code:
        return form, None, False
    org = Org.objects.restrict(request.user, "view").filter(code=code).first()
    return form, org, org is None


def _paginate(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k != "page"])


@login_required
def workload(request):
    user = request.user
    _require(user, "helpers.view_helperassignment")
    sort = request.GET.get("sort", "-households")
    sort = sort if sort in WORKLOAD_SORTS else "-households"
    rows = queries.helper_workload(user).order_by(*WORKLOAD_SORTS[sort], "pk")
    page = _paginate(request, rows)
    columns = [("name", _("Helper")), ("org", _("Union")), ("households", _("Households now")),
               ("visits", _("Visits in the last 90 days")), ("overdue", _("Overdue visits"))]
    headers = [{"key": key, "label": label, "active": sort.lstrip("-") == key, "descending": sort == f"-{key}",
                "next": key if sort == f"-{key}" else f"-{key}"} for key, label in columns]
    return render(request, "helpers/workload.html", {
        "page": page, "headers": headers, "sort": sort, "query": urlencode({"sort": sort}),
        "crumbs": [(_("Helper workload"), "")],
    })


@login_required
def mine(request):
    _require(request.user, "helpers.view_helperassignment")
    return redirect("helpers:helper", pk=request.user.pk)


@login_required
def helper_page(request, pk):
    """One helper's current households: the helper themselves, or a user whose subtree holds the helper."""
    user = request.user
    _require(user, "helpers.view_helperassignment")
    if pk == user.pk:
        helper = user
    else:
        # Case workers hold no `accounts.view_user` (user administration), so not `User.objects.restrict`: a
        # purpose-bound lookup of a staff member of the user's own subtree, anybody else is a 404.
        helper = User.objects.filter(pk=pk, kind="staff", org__path__startswith=user.scope_path or "-").select_related(
            "org").first()
        if helper is None:
            raise Http404
    rows = queries.helper_households(user, helper)
    today = timezone.localdate()
    page = _paginate(request, rows)
    return render(request, "helpers/helper.html", {
        "helper": helper, "page": page, "today": today, "is_me": helper.pk == user.pk,
        # Case workers and counsellors record for any household they see, a helper for their own (all listed here).
        "can_record": user.has_role_permission("helpers.add_visit") and (helper.pk == user.pk or user.has_role(
            *VISIT_ANY_ROLES)),
        "query": _query_without_page(request),
        "crumbs": [(_("Helper workload"), reverse("helpers:workload")), (str(helper), "")],
    })


@login_required
def without_helper(request):
    user = request.user
    _require(user, "helpers.view_helperassignment")
    form, org, nothing = _org_filter(request)
    rows = queries.households_without_helper(user, org)
    rows = rows.none() if nothing else rows
    rows = rows.select_related("org").order_by("org__path", "-id")
    page = _paginate(request, rows)
    return render(request, "helpers/without.html", {
        "page": page, "count": page.paginator.count, "form": form, "org": org,
        "org_options": _org_options(user), "query": _query_without_page(request),
        "can_assign": user.has_role_permission("helpers.add_helperassignment"),
        "crumbs": [(_("Households without a helper"), "")],
    })


@login_required
def overdue(request):
    user = request.user
    _require(user, "helpers.view_helperassignment")
    form, org, nothing = _org_filter(request)
    today = timezone.localdate()
    rows = queries.overdue_visits(user, today, org)
    mine = request.GET.get("mine") == "1"
    if mine:
        rows = rows.filter(helper=user)
    rows = rows.none() if nothing else rows
    rows = rows.select_related("household", "household__org", "helper", "helper__org", "helper_org")
    page = _paginate(request, rows)
    return render(request, "helpers/overdue.html", {
        "page": page, "count": page.paginator.count, "form": form, "org": org, "mine": mine, "today": today,
        "org_options": _org_options(user), "query": _query_without_page(request),
        "crumbs": [(_("Overdue visits"), "")],
    })


@login_required
def frequencies(request):
    """The frequencies in force for the user's union, and (with the permission) the form to set its own."""
    user = request.user
    _require(user, "helpers.view_visitfrequency")
    if not user.org_id:
        raise Http404
    can_change = user.has_role_permission("helpers.change_visitfrequency") and user.has_role_permission(
        "helpers.add_visitfrequency")
    form = forms.FrequencyForm(request.POST or None) if can_change else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                row = set_visit_frequency(user.org, actor=user, **form.cleaned_data)
            except ValidationError as error:
                form.apply_errors(error)
            else:
                messages.success(request, _("%(kind)s: visit at least every %(days)d days in %(union)s.") % {
                    "kind": row.label, "days": row.interval_days, "union": user.org.name})
                return redirect("helpers:frequencies")
    own = VisitFrequency.objects.restrict(user, "view").filter(org=user.org).order_by("interval_days")
    below = (VisitFrequency.objects.restrict(user, "view").filter(org__path__startswith=user.org.path)
             .exclude(org=user.org).select_related("org").order_by("org__path", "interval_days")[:200])
    return render(request, "helpers/frequencies.html", {
        "in_force": list(frequencies_for(user.org).values()), "own": own, "below": below, "form": form,
        "can_change": can_change, "can_delete": user.has_role_permission("helpers.delete_visitfrequency"),
        "crumbs": [(_("Visit frequencies"), "")],
    })


@login_required
@require_POST
def frequency_remove(request, pk):
    user = request.user
    frequency = get_scoped_or_404(VisitFrequency.objects.select_related("org"), user, "delete", pk=pk)
    if frequency.org_id != user.org_id:
        raise Http404  # a union changes its own settings; lower unions' rows are theirs
    try:
        remove_visit_frequency(frequency, actor=user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The setting was removed; the union above (or the default) applies again."))
    return redirect("helpers:frequencies")
