"""The service platform from the worker's side: the menu and ordering, my requests and feedback, the feed of
offers, my matches with accept / decline. Reads go through `restrict(worker, …)`; writes through the services app's
actions (`request_submit`, `feedback_give`, `match_accept`, `match_decline`)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangfu.core.forms import errors_to_form
from bangfu.core.scoping import get_scoped_or_404
from bangfu.portal import application, forms
from bangfu.portal.access import worker_page
from bangfu.registry.models import Household, Member
from bangfu.services.actions.matches import match_accept, match_decline
from bangfu.services.actions.requests import feedback_give, request_submit
from bangfu.services.models import (
    Feedback,
    ItemKind,
    Match,
    MatchState,
    Offer,
    RequestState,
    ServiceItem,
    ServiceRequest,
)
from bangfu.services.models.catalogue import FEED_KINDS

ACCEPTABLE_BY_WORKER = (MatchState.PROPOSED, MatchState.PROVIDER_ACCEPTED)


@worker_page()
def menu(request):
    items = ServiceItem.objects.restrict(request.user, "view").order_by("kind", "name")
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(item.get_kind_display(), []).append(item)
    household = application.own_household(request.user)
    return render(request, "portal/menu.html", {"groups": groups, "household": household, "tab": "menu"})


@worker_page(ServiceItem)
def order(request, pk):
    """Order an item for a member of my household. The household comes from the form (a hidden field) and is looked
    up through restrict(): another household's id is refused by `request_submit` with its own message."""
    user = request.user
    item = get_scoped_or_404(ServiceItem, user, "view", pk=pk)
    household = application.own_household_or_404(user)
    members = Member.objects.restrict(user, "view").filter(household=household).order_by("-is_head", "id")
    form = forms.OrderForm(request.POST or None, members=members,
                           initial={"household": household.pk, "member": members.filter(account=user).first()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = Household.objects.restrict(user, "view").filter(pk=data["household"]).first()
        try:
            created = request_submit(user, target, member=data["member"], item=item, quantity=data["quantity"],
                                     urgency=data["urgency"], preferences=data["preferences"])
        except ValidationError as error:
            errors_to_form(form, error, rename={"household": None})
        else:
            messages.success(request, _("Your request was sent. Your union answers it within the time it promises."))
            return redirect("portal:request", pk=created.pk)
    return render(request, "portal/order.html", {"item": item, "form": form, "household": household, "tab": "menu"})


@worker_page()
def request_list(request):
    requests = (ServiceRequest.objects.restrict(request.user, "view").select_related("item", "member")
                .order_by("-submitted_at", "-id"))
    return render(request, "portal/requests.html", {"requests": requests, "tab": "requests"})


@worker_page(ServiceRequest)
def request_detail(request, pk):
    user = request.user
    service_request = get_scoped_or_404(ServiceRequest.objects.select_related("item", "member", "taken_by_provider"),
                                        user, "view", pk=pk)
    feedback = Feedback.objects.filter(request=service_request).first()
    can_rate = (feedback is None and service_request.state in (RequestState.FULFILLED, RequestState.SIGNED_OFF))
    form = forms.FeedbackForm(request.POST or None) if can_rate else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            feedback_give(user, service_request, rating=form.cleaned_data["rating"],
                          comment=form.cleaned_data["comment"])
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Thank you for your feedback."))
            return redirect("portal:request", pk=pk)
    matches = (Match.objects.restrict(user, "view").filter(request=service_request)
               .select_related("offer__provider").order_by("-id"))
    return render(request, "portal/request_detail.html", {
        "req": service_request, "feedback": feedback, "form": form, "matches": matches, "tab": "requests"})


@worker_page()
def offers(request):
    """The feed: policies, activities, training and jobs published for my union's area and valid today."""
    kind = request.GET.get("kind", "")
    feed = (Offer.objects.restrict(request.user, "view").filter(item__kind__in=FEED_KINDS)
            .valid_on(timezone.localdate()).select_related("item", "provider").order_by("-created_at", "-id"))
    if kind in FEED_KINDS:
        feed = feed.filter(item__kind=kind)
    kinds = [(k, ItemKind(k).label) for k in FEED_KINDS]
    return render(request, "portal/offers.html", {"offers": feed[:100], "kinds": kinds, "kind": kind,
                                                  "tab": "offers"})


@worker_page(Offer)
def offer_detail(request, pk):
    offer = get_scoped_or_404(Offer.objects.select_related("item", "provider"), request.user, "view", pk=pk)
    return render(request, "portal/offer_detail.html", {"offer": offer, "tab": "offers"})


@worker_page()
def matches(request):
    """Help proposed to my household: which offer, which provider, how many units — nothing of other households."""
    rows = (Match.objects.restrict(request.user, "view").select_related("offer__provider", "offer__item",
                                                                         "request__item")
            .order_by("-id"))
    return render(request, "portal/matches.html", {
        "matches": rows, "acceptable": ACCEPTABLE_BY_WORKER, "decline_form": forms.DeclineForm(), "tab": "matches"})


@require_POST
@worker_page(Match, "change")
def match_answer(request, pk, answer):
    match = get_object_or_404(Match.objects.restrict(request.user, "change"), pk=pk)
    try:
        if answer == "accept":
            match_accept(request.user, match)
            messages.success(request, _("You accepted the offer. The provider will contact you."))
        else:
            form = forms.DeclineForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Say why you decline the offer."))
            match_decline(request.user, match, reason=form.cleaned_data["reason"])
            messages.info(request, _("You declined the offer. Your request stays open for another one."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("portal:matches")
