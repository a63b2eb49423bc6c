"""Offer pages: a provider's own offers (draft, submit, withdraw), the union's moderation (publish / reject),
and a provider's matches (accept, decline, record delivery)."""

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

from bangfu.core.forms import submitted
from bangfu.core.masking import mask_name
from bangfu.core.scoping import get_scoped_or_404
from bangfu.orgs.models import Org
from bangfu.services.actions import matches as match_actions
from bangfu.services.actions import offers as offer_actions
from bangfu.services.forms import NoteForm, OfferForm
from bangfu.services.matching.explain import for_provider
from bangfu.services.models import LIVE_MATCH_STATES, Match, Offer, OfferState, Provider, ProviderState
from bangfu.services.views_common import own_provider, services_page


def _crumbs(*items):
    return [(_("Offers"), reverse("services:offers")), *items]


@services_page("services.view_offer")
def offer_list(request):
    user = request.user
    offers = Offer.objects.restrict(user, "view").select_related("provider", "item", "area_org")
    state = request.GET.get("state", "submitted" if user.kind == "staff" else "")
    if state in OfferState.values:
        offers = offers.filter(state=state)
    page = Paginator(offers, 25).get_page(request.GET.get("page"))
    return render(request, "services/offer_list.html", {
        "page": page, "state": state, "states": OfferState.choices, "crumbs": _crumbs(),
        "provider": own_provider(user),
    })


def _areas(user, provider):
    root = provider.org.path if provider is not None else user.scope_path
    return Org.objects.filter(path__startswith=root, is_active=True).order_by("path")


@services_page("services.add_offer")
def offer_new(request):
    """A provider drafts an offer; a union's staff may enter one for a provider registered in their subtree
    (a department that does not use the platform itself)."""
    user = request.user
    provider = own_provider(user)
    providers = None
    if provider is None:
        providers = Provider.objects.restrict(user, "view").exclude(
            state__in=(ProviderState.REJECTED, ProviderState.SUSPENDED))
    today = timezone.localdate()
    form = OfferForm(request.POST or None, areas=_areas(user, provider), providers=providers,
                     initial={"valid_from": today, "area_org": provider.org_id if provider else user.org_id})
    if request.method == "POST":
        created = {}

        def action(**data):
            chosen = data.pop("provider", None) or provider
            created["offer"] = offer_actions.offer_create(user, chosen, **data)

        if submitted(request, form, action, _("The offer is saved as a draft. Submit it for moderation.")):
            return redirect("services:offer", created["offer"].pk)
    return render(request, "services/offer_form.html", {"form": form, "crumbs": _crumbs((_("New offer"), ""))},
                  status=400 if form.errors else 200)


@services_page("services.view_offer")
def offer_detail(request, pk):
    user = request.user
    offer = get_scoped_or_404(Offer.objects.select_related("provider", "item", "area_org", "moderated_by"), user,
                              "view", pk=pk)
    held = sum(offer.matches.filter(state__in=LIVE_MATCH_STATES).exclude(state="proposed")
               .values_list("units", flat=True))
    can_moderate = user.kind == "staff" and user.has_role_permission("services.moderate_offer")
    return render(request, "services/offer_detail.html", {
        "offer": offer, "held": held, "note_form": NoteForm(), "crumbs": _crumbs((offer.title, "")),
        "is_owner": user.has_role_permission("services.change_offer"), "can_moderate": can_moderate,
    })


@services_page("services.view_offer")
@require_POST
def offer_act(request, pk, act):
    """submit / withdraw (the provider: `change`), publish / reject (the area's union: `moderate`); the scoping
    checks the permission of the action, so anybody else gets a 404."""
    user = request.user
    if act not in ("submit", "withdraw", "publish", "reject"):
        raise Http404
    action = "change" if act in ("submit", "withdraw") else "moderate"
    offer = get_scoped_or_404(Offer.objects.select_related("provider"), user, action, pk=pk)
    note = NoteForm(request.POST)
    note_text = note.cleaned_data["note"] if note.is_valid() else ""
    try:
        if act == "submit":
            offer_actions.offer_submit(user, offer)
            messages.success(request, _("Submitted for moderation."))
        elif act == "withdraw":
            offer_actions.offer_withdraw(user, offer)
            messages.success(request, _("The offer is withdrawn."))
        elif act in ("publish", "reject") and user.kind == "staff":
            offer_actions.offer_moderate(user, offer, publish=act == "publish", note=note_text)
            messages.success(request, _("The offer is published.") if act == "publish" else _("The offer is rejected."))
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("services:offer", pk)


@services_page("services.view_match")
def match_list(request):
    """A provider's matches (proposals and accepted ones), the requests masked as a provider sees them; staff see
    the live matches of their subtree's rounds the same way (the rounds' pages give them the whole picture)."""
    user = request.user
    matches = (Match.objects.restrict(user, "view")
               .select_related("offer__item", "request__household__org", "request__member")
               .order_by("state", "-unit_weight"))
    page = Paginator(matches, 25).get_page(request.GET.get("page"))
    # What a provider learns of a household: the union, the person masked (surname + *), the need rank — no
    # archive number, no ID, no need score or its health parts (DOMAIN.md §9).
    rows = [{"match": m, "why": for_provider(m.explanation), "person": mask_name(m.request.member.name),
             "union": m.request.household.org.short_name or m.request.household.org.name} for m in page.object_list]
    return render(request, "services/match_list.html", {
        "page": page, "rows": rows, "note_form": NoteForm(), "crumbs": [(_("Matches"), "")],
        "is_provider": user.kind == "provider"})


@services_page("services.change_match")
@require_POST
def match_act(request, pk, act):
    user = request.user
    if user.kind != "provider":
        raise Http404
    match = get_scoped_or_404(Match.objects.select_related("request"), user, "change", pk=pk)
    note = NoteForm(request.POST)
    note_text = note.cleaned_data["note"] if note.is_valid() else ""
    try:
        if act == "accept":
            match_actions.match_accept(user, match)
            messages.success(request, _("Accepted. The request is yours once the worker accepts too."))
        elif act == "decline":
            match_actions.match_decline(user, match, reason=note_text)
            messages.success(request, _("Declined. The units go back to the next round."))
        elif act == "deliver":
            match_actions.match_deliver(user, match, note=note_text)
            messages.success(request, _("Delivery recorded."))
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("services:matches")


@services_page("services.view_servicerequest")
def receipt(request, pk):
    """A printable acknowledgement for a delivered request: a donation receipt (捐赠票据) to the donor for money
    or goods, a certificate of volunteer hours for volunteer service. The household is not named on it."""
    from bangfu import audit
    from bangfu.services.models import ItemKind, RequestState, ServiceRequest

    item_request = get_scoped_or_404(
        ServiceRequest.objects.select_related("item", "household__org", "taken_by_provider", "signed_off_by"),
        request.user, "view", pk=pk)
    kind = item_request.item.kind
    if (item_request.state not in (RequestState.FULFILLED, RequestState.SIGNED_OFF)
            or item_request.taken_by_provider is None
            or kind not in (ItemKind.DONATION_MONEY, ItemKind.DONATION_GOODS, ItemKind.VOLUNTEER)):
        raise Http404
    match = item_request.matches.filter(state="delivered").select_related("offer").first()
    unit_value = match.offer.unit_value if match is not None else None
    units = match.units if match is not None else item_request.quantity
    audit.log_access(request, "print", object_type="services.servicerequest", object_id=str(item_request.pk))
    return render(request, "services/print_receipt.html", {
        "req": item_request, "units": units, "unit_value": unit_value,
        "total": unit_value * units if unit_value is not None else None,
        "volunteer": kind == ItemKind.VOLUNTEER, "number": f"FW{item_request.fulfilled_at:%Y}-{item_request.pk:06d}",
        "printed_at": timezone.now(),
    })
