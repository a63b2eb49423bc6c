"""Crisis-case pages: the counsellor's list of cases in their subtree, one case, acknowledge, close.

Only counsellors hold `care.view_crisiscase`; for anyone else the pages are a 404 (like a case of another
union). Every case shown is written to the access log.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangfu import audit
from bangfu.care import services
from bangfu.care.access import care_page, deadline_status, log_reads
from bangfu.care.forms import AcknowledgeForm, CloseCaseForm
from bangfu.care.models import CrisisCase, CrisisState
from bangfu.core.scoping import get_scoped_or_404

PAGE_SIZE = 25
# The list's tabs: what each shows.
VIEWS = {
    "active": lambda qs: qs.active(),
    "open": lambda qs: qs.awaiting(),
    "acknowledged": lambda qs: qs.filter(state=CrisisState.ACKNOWLEDGED),
    "closed": lambda qs: qs.filter(state=CrisisState.CLOSED),
}


def crumbs(*items) -> list:
    return [(_("Crisis cases"), reverse("care:crises")), *items]


@care_page("care.view_crisiscase")
def crisis_list(request):
    user = request.user
    show = request.GET.get("show") if request.GET.get("show") in VIEWS else "active"
    cases = CrisisCase.objects.restrict(user, "view").select_related("household", "household__org",
                                                                     "responsible_org")
    # Waiting cases first (by deadline), then the ones being handled, then the closed ones (newest first).
    cases = VIEWS[show](cases).order_by("-state" if show != "closed" else "-closed_at", "due_at", "id")
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [{"case": case, "deadline": deadline_status(case, now)} for case in page.object_list]
    # A list is one read of several records: one row, naming them (like the other scoped lists).
    audit.log_access(request, "view", object_type="care.crisiscase", rows=len(rows), what="crisis_list",
                     ids=[row["case"].pk for row in rows])
    awaiting = CrisisCase.objects.restrict(user, "view").awaiting()
    return render(request, "care/crisis_list.html", {
        "rows": rows, "page": page, "show": show, "now": now,
        "awaiting_count": awaiting.count(), "overdue_count": awaiting.filter(due_at__lt=now).count(),
        "crumbs": crumbs(),
    })


def _case(request, pk, action="view"):
    queryset = CrisisCase.objects.select_related(
        "household", "household__org", "responsible_org", "screening", "screening__member", "acknowledged_by",
        "closed_by")
    return get_scoped_or_404(queryset, request.user, action, pk=pk)


def _detail(request, case, *, ack_form=None, close_form=None, status=200):
    user = request.user
    log_reads(request, [case, case.screening], what="crisis_detail")
    may_handle = CrisisCase.objects.restrict(user, "acknowledge").filter(pk=case.pk).exists()
    return render(request, "care/crisis_detail.html", {
        "case": case, "household": case.household, "deadline": deadline_status(case),
        "ack_form": ack_form or AcknowledgeForm(), "close_form": close_form or CloseCaseForm(),
        "may_handle": may_handle,
        "crumbs": crumbs((_("Crisis case %(number)s") % {"number": case.pk}, "")),
    }, status=status)


@care_page("care.view_crisiscase")
def crisis_detail(request, pk):
    return _detail(request, _case(request, pk))


@require_POST
@care_page("care.acknowledge_crisiscase")
def crisis_acknowledge(request, pk):
    case = _case(request, pk, "acknowledge")
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            services.acknowledge(case, request.user, form.cleaned_data["action_taken"])
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Crisis case acknowledged: its deadline is stopped."))
            return redirect("care:crisis_detail", pk=case.pk)
    return _detail(request, _case(request, pk), ack_form=form, status=400)


@require_POST
@care_page("care.acknowledge_crisiscase")
def crisis_close(request, pk):
    case = _case(request, pk, "acknowledge")
    form = CloseCaseForm(request.POST)
    if form.is_valid():
        try:
            services.close(case, request.user, form.cleaned_data["outcome"])
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Crisis case closed."))
            return redirect("care:crisis_detail", pk=case.pk)
    return _detail(request, _case(request, pk), close_form=form, status=400)
