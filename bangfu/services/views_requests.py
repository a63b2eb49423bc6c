"""Request pages for union staff: the needs list of their unions (filter by state, overdue) and one request with
its answers — take (部室接单), decline with a reason, record the delivery, sign off (县总签单)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangfu import audit
from bangfu.core.decorators import staff_page
from bangfu.core.scoping import get_scoped_or_404
from bangfu.services.actions import requests as request_actions
from bangfu.services.forms import NoteForm
from bangfu.services.models import RequestState, ServiceRequest


def _crumbs(*items):
    return [(_("Service requests"), reverse("services:requests")), *items]


@staff_page("services.view_servicerequest")
def request_list(request):
    rows = (ServiceRequest.objects.restrict(request.user, "view")
            .select_related("household__org", "item", "taken_by_provider"))
    state = request.GET.get("state", RequestState.SUBMITTED)
    if state in RequestState.values:
        rows = rows.filter(state=state)
    overdue = request.GET.get("overdue") == "1"
    if overdue:
        rows = rows.filter(state=RequestState.SUBMITTED, answer_due_at__lt=timezone.now())
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    audit.log_access(request, "view", object_type="services.servicerequest", rows=len(page.object_list))
    return render(request, "services/request_list.html", {
        "page": page, "state": state, "states": RequestState.choices, "overdue": overdue, "now": timezone.now(),
        "crumbs": _crumbs()})


@staff_page("services.view_servicerequest")
def request_detail(request, pk):
    item = get_scoped_or_404(ServiceRequest.objects.select_related(
        "household__org", "item", "member", "taken_by_provider", "taken_by", "declined_by", "fulfilled_by",
        "signed_off_by", "requested_by"), request.user, "view", pk=pk)
    audit.log_access(request, "view", object_type="services.servicerequest", object_id=str(item.pk))
    user = request.user
    return render(request, "services/request_detail.html", {
        "req": item, "note_form": NoteForm(), "crumbs": _crumbs((f"#{item.pk}", "")),
        "can_change": user.has_role_permission("services.change_servicerequest"),
        "can_sign": user.has_role_permission("services.signoff_servicerequest"),
        "matches": item.matches.select_related("offer__provider").order_by("-id")[:10],
        "feedback": getattr(item, "feedback", None),
    })


@staff_page("services.change_servicerequest")
@require_POST
def request_act(request, pk, act):
    item = get_scoped_or_404(ServiceRequest.objects.select_related("household", "item"), request.user, "change",
                             pk=pk)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    user = request.user
    try:
        if act == "take":
            request_actions.request_take(user, item, note=note)
        elif act == "decline":
            request_actions.request_decline(user, item, reason=note)
        elif act == "fulfil":
            request_actions.request_fulfil(user, item, note=note)
        elif act == "sign-off" and user.has_role_permission("services.signoff_servicerequest"):
            request_actions.request_sign_off(user, item)
        else:
            raise Http404
        messages.success(request, _("Saved."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("services:request", pk)


@staff_page("services.view_servicerequest")
def request_stats(request):
    """Response time and satisfaction per provider and per union directly below the user's."""
    from bangfu.services import stats

    org = request.user.org
    return render(request, "services/stats.html", {
        "providers": stats.by_provider(request.user), "unions": stats.by_union(request.user, org), "org": org,
        "crumbs": _crumbs((_("Response and satisfaction"), "")),
    })
