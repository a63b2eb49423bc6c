"""Rights-case pages: the open cases of the user's unions, a household's cases with the form to open one,
a case's page (facts, history, close / reopen) and its edit form.

Views stay thin: cases and households come through `restrict(...)` / `get_scoped_or_404` (another union's
case is a 404, as is a role that may not see rights cases), the forms type-check, and
`bangfu.rights.services` decides; its field errors are shown at the fields and nothing is saved.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangfu import audit
from bangfu.core.decorators import staff_page
from bangfu.core.scoping import get_scoped_or_404
from bangfu.registry.models import Household
from bangfu.rights.forms import CaseFilterForm, CaseForm, CloseForm, ReopenForm
from bangfu.rights.history import case_history
from bangfu.rights.models import RightsCase
from bangfu.rights.services import close_case, open_case, reopen_case, update_case

PAGE_SIZE = 25




def _crumbs(*items):
    return [(_("Rights cases"), reverse("rights:list")), *items]


def _case(request, pk, action: str = "view") -> RightsCase:
    queryset = RightsCase.objects.select_related("household__org", "handled_by__org", "created_by")
    return get_scoped_or_404(queryset, request.user, action, pk=pk)


def _household(request, pk) -> Household:
    queryset = Household.objects.select_related("org").defer("address", "bank_account")
    return get_scoped_or_404(queryset, request.user, "view", pk=pk)


# --- the open cases of the user's unions ------------------------------------------------------------------


@staff_page("rights.view_rightscase")
def case_list(request):
    user = request.user
    form = CaseFilterForm(request.GET or None)
    cases = (RightsCase.objects.restrict(user, "view")
             .select_related("household__org", "handled_by").order_by("-opened_on", "-id"))
    if form.is_bound and not form.is_valid():
        cases = cases.none()  # invalid filters show their errors, never everything
    else:
        if not form.is_bound:
            form.cleaned_data = {}
        cases = form.apply(cases)
        if form.cleaned_data.get("mine"):
            cases = cases.filter(handled_by=user)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.log_access(request, "view", object_type="rights.rightscase", rows=len(page.object_list),
                     filters={k: str(v) for k, v in (form.cleaned_data or {}).items() if v not in (None, "", False)})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "rights/list.html", {
        "form": form, "page": page, "query": query.urlencode(), "crumbs": _crumbs(),
    })


# --- one household's cases, and opening one ------------------------------------------------------------


@staff_page("rights.view_rightscase")
def household_cases(request, household_pk):
    user = request.user
    household = _household(request, household_pk)
    may_open = user.has_role_permission("rights.add_rightscase") and household.is_open
    form = None
    if request.method == "POST":
        if not user.has_role_permission("rights.add_rightscase"):
            raise Http404
        form = CaseForm(request.POST, household=household)
        if form.is_valid():
            try:
                case = open_case(user, household, **form.cleaned_data)
            except ValidationError as error:
                form.apply_errors(error)
            else:
                messages.success(request, _("The rights case was opened."))
                return redirect("rights:detail", pk=case.pk)
    elif may_open:
        form = CaseForm(household=household)
    cases = list(RightsCase.objects.restrict(user, "view").filter(household=household)
                 .select_related("handled_by").order_by("-opened_on", "-id"))
    audit.log_access(request, "view", obj=household, what="rights_cases", rows=len(cases))
    return render(request, "rights/household.html", {
        "household": household, "cases": cases, "form": form, "may_open": may_open,
        "crumbs": _crumbs((household.archive_number, reverse("registry:detail", args=[household.pk])),
                          (_("Rights cases of the household"), "")),
    })


# --- a case ---------------------------------------------------------------------------------------------


def _render_case(request, case, *, close_form=None, reopen_form=None):
    user = request.user
    may_change = RightsCase.objects.restrict(user, "change").filter(pk=case.pk).exists()
    audit.log_access(request, "view", obj=case)
    return render(request, "rights/detail.html", {
        "case": case, "household": case.household, "history": case_history(case), "may_change": may_change,
        "close_form": close_form or CloseForm(), "reopen_form": reopen_form or ReopenForm(),
        "audit_link": user.has_role_permission("audit.view_changelogentry"),
        "crumbs": _crumbs((case.household.archive_number, reverse("rights:household", args=[case.household_id])),
                          (_("Rights case #%(number)s") % {"number": case.pk}, "")),
    })


@staff_page("rights.view_rightscase")
def case_detail(request, pk):
    return _render_case(request, _case(request, pk))


@staff_page("rights.change_rightscase")
def case_edit(request, pk):
    user = request.user
    case = _case(request, pk, "change")
    if case.is_closed:
        messages.error(request, _("This case is closed: reopen it before changing it."))
        return redirect("rights:detail", pk=case.pk)
    household = case.household
    if request.method == "POST":
        form = CaseForm(request.POST, household=household, editing=True)
        if form.is_valid():
            try:
                update_case(user, case, **form.cleaned_data)
            except ValidationError as error:
                form.apply_errors(error)
            else:
                messages.success(request, _("The rights case was saved."))
                return redirect("rights:detail", pk=case.pk)
    else:
        form = CaseForm(household=household, editing=True, initial={
            "kind": case.kind, "topic": case.topic, "summary": case.summary, "opened_on": case.opened_on,
            "counterpart": case.counterpart, "handled_by": case.handled_by_id, "state": case.state})
        if case.handled_by_id and not form.fields["handled_by"].queryset.filter(pk=case.handled_by_id).exists():
            # A handler who has since moved on stays the handler until somebody chooses another.
            form.fields["handled_by"].queryset = (form.fields["handled_by"].queryset
                                                  | type(case.handled_by).objects.filter(pk=case.handled_by_id))
    return render(request, "rights/edit.html", {
        "case": case, "household": household, "form": form,
        "crumbs": _crumbs((household.archive_number, reverse("rights:household", args=[household.pk])),
                          (_("Rights case #%(number)s") % {"number": case.pk},
                           reverse("rights:detail", args=[case.pk])),
                          (_("Edit"), "")),
    })


@staff_page("rights.change_rightscase")
@require_POST
def case_close(request, pk):
    case = _case(request, pk, "change")
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            close_case(request.user, case, **form.cleaned_data)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The rights case was closed."))
            return redirect("rights:detail", pk=case.pk)
    return _render_case(request, _case(request, pk), close_form=form)


@staff_page("rights.change_rightscase")
@require_POST
def case_reopen(request, pk):
    case = _case(request, pk, "change")
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            reopen_case(request.user, case, **form.cleaned_data)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("The rights case was reopened."))
            return redirect("rights:detail", pk=case.pk)
    return _render_case(request, _case(request, pk), reopen_form=form)
