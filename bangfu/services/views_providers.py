"""Provider pages for union staff: the providers registered with their unions, registering one, and
verifying, rejecting or suspending it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangfu.core.decorators import staff_page
from bangfu.core.forms import submitted
from bangfu.core.scoping import get_scoped_or_404
from bangfu.services.actions import providers as provider_actions
from bangfu.services.forms import NoteForm, ProviderForm
from bangfu.services.models import Provider, ProviderState


def _crumbs(*items):
    return [(_("Providers"), reverse("services:providers")), *items]


@staff_page("services.view_provider")
def provider_list(request):
    providers = Provider.objects.restrict(request.user, "view").select_related("org")
    state = request.GET.get("state", "")
    if state in ProviderState.values:
        providers = providers.filter(state=state)
    page = Paginator(providers, 25).get_page(request.GET.get("page"))
    return render(request, "services/provider_list.html", {
        "page": page, "state": state, "states": ProviderState.choices, "crumbs": _crumbs()})


@staff_page("services.add_provider")
def provider_new(request):
    form = ProviderForm(request.POST or None)
    if request.method == "POST":
        created = {}

        def action(**data):
            created["provider"] = provider_actions.provider_register(request.user, request.user.org, **data)

        if submitted(request, form, action, _("The provider is registered; a reviewer verifies it.")):
            return redirect("services:provider", created["provider"].pk)
    return render(request, "services/provider_form.html", {"form": form, "crumbs": _crumbs((_("Register"), ""))},
                  status=400 if form.errors else 200)


@staff_page("services.view_provider")
def provider_detail(request, pk):
    provider = get_scoped_or_404(Provider.objects.select_related("org", "decided_by"), request.user, "view", pk=pk)
    return render(request, "services/provider_detail.html", {
        "provider": provider, "note_form": NoteForm(), "crumbs": _crumbs((provider.name, "")),
        "can_verify": request.user.has_role_permission("services.verify_provider"),
        "offers": provider.offers.select_related("item").order_by("-created_at")[:20],
    })


@staff_page("services.verify_provider")
@require_POST
def provider_decide(request, pk, state):
    provider = get_scoped_or_404(Provider, request.user, "change", pk=pk)
    if state not in (ProviderState.VERIFIED, ProviderState.REJECTED, ProviderState.SUSPENDED):
        raise Http404
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        provider_actions.provider_decide(request.user, provider, state=state, note=note)
        messages.success(request, _("Saved: %(state)s.") % {"state": ProviderState(state).label})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("services:provider", pk)
