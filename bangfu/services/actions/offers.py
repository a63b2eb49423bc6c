"""Offers: a provider (or a union for it) drafts and submits, the area's union moderates (publish / reject),
the provider withdraws."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.registry.models import Category
from bangfu.services.models import Offer, OfferState, ProviderState, ServiceItem

EDITABLE = ("item", "project", "title", "description", "area_org", "capacity", "unit_value", "certificate",
            "valid_from", "valid_until", "categories", "causes", "work_statuses", "min_age", "max_age", "divisions")
TITLE_MAX = 120
CAPACITY_MAX = 1_000_000


def offer_problems(data: dict) -> dict:
    """Every rule of an offer, by field (forms, API and tests call this one function)."""
    errors = {}
    item = data.get("item")
    if not isinstance(item, ServiceItem) or not item.is_active:
        errors["item"] = _("Choose an item of the menu.")
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = _("Give the offer a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("At most %(max)d characters.") % {"max": TITLE_MAX}
    capacity = data.get("capacity")
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= CAPACITY_MAX:
        errors["capacity"] = _("The capacity is a whole number of units, from 1 to %(max)d.") % {"max": CAPACITY_MAX}
    for field, limit in (("certificate", 100), ("description", 4000)):
        if len(data.get(field) or "") > limit:
            errors[field] = _("At most %(max)d characters.") % {"max": limit}
    value = data.get("unit_value")
    if value is not None and value < 0:
        errors["unit_value"] = _("The value of a unit cannot be negative.")
    start, end = data.get("valid_from"), data.get("valid_until")
    if not isinstance(start, dt.date):
        errors["valid_from"] = _("Enter the first day of the offer.")
    if not isinstance(end, dt.date):
        errors["valid_until"] = _("Enter the last day of the offer.")
    elif isinstance(start, dt.date) and end < start:
        errors["valid_until"] = _("The offer cannot end before it starts.")
    elif end < timezone.localdate():
        errors["valid_until"] = _("The offer would be over already.")
    unknown = set(data.get("categories") or ()) - set(Category.values) - {Category.NOT_ELIGIBLE}
    if unknown or Category.NOT_ELIGIBLE in (data.get("categories") or ()):
        errors["categories"] = _("Choose hardship categories from the list.")
    divisions = [str(code) for code in data.get("divisions") or ()]
    if divisions:
        from bangfu.orgs.models import Division

        known = set(Division.objects.filter(code__in=divisions, is_current=True).values_list("code", flat=True))
        unknown_codes = [code for code in divisions if code not in known]
        if unknown_codes:
            errors["divisions"] = _("Unknown division codes: %(codes)s.") % {"codes": ", ".join(unknown_codes[:5])}
        elif len(divisions) > 50:
            errors["divisions"] = _("At most %(max)d divisions.") % {"max": 50}
    low, high = data.get("min_age"), data.get("max_age")
    if low is not None and high is not None and high < low:
        errors["max_age"] = _("The maximum age is below the minimum age.")
    for name, age in (("min_age", low), ("max_age", high)):
        if age is not None and not 0 <= age <= 120:
            errors[name] = _("Enter an age between 0 and 120.")
    return errors


def _area_ok(actor, provider, area_org) -> bool:
    """A provider offers within the subtree of the union it registered with; staff within their own subtree."""
    if area_org is None:
        return False
    if actor.kind == "provider":
        return area_org.path.startswith(provider.org.path)
    return area_org.path.startswith(actor.scope_path or "\0")


@transaction.atomic
def offer_create(actor, provider, **data) -> Offer:
    errors = offer_problems(data)
    if not _area_ok(actor, provider, data.get("area_org")):
        errors["area_org"] = _("Choose the union you registered with or a union below it.")
    if provider.state in (ProviderState.REJECTED, ProviderState.SUSPENDED):
        errors["provider"] = _("This provider may not publish offers (%(state)s).") % {
            "state": provider.get_state_display()}
    if errors:
        raise ValidationError(errors)
    return Offer.objects.create(provider=provider, created_by=actor, **{k: data.get(k) for k in EDITABLE
                                                                        if k in data})


@transaction.atomic
def offer_update(actor, offer: Offer, **data) -> Offer:
    """Change a draft, rejected or published offer. A published offer whose terms change goes back to
    moderation; its capacity may not drop below the units already held by accepted matches."""
    from bangfu.services.models import HELD_MATCH_STATES

    if offer.state == OfferState.WITHDRAWN:
        raise ValidationError(_("A withdrawn offer cannot be changed."))
    merged = {k: data.get(k, getattr(offer, k)) for k in EDITABLE}
    errors = offer_problems(merged)
    if "area_org" in data and not _area_ok(actor, offer.provider, data["area_org"]):
        errors["area_org"] = _("Choose the union you registered with or a union below it.")
    held = sum(offer.matches.filter(state__in=HELD_MATCH_STATES).values_list("units", flat=True))
    if isinstance(merged["capacity"], int) and merged["capacity"] < held:
        errors["capacity"] = _("%(held)d units are promised through accepted matches already.") % {"held": held}
    if errors:
        raise ValidationError(errors)
    for k in EDITABLE:
        setattr(offer, k, merged[k])
    if offer.state in (OfferState.PUBLISHED, OfferState.REJECTED) and actor.kind == "provider":
        offer.state = OfferState.SUBMITTED
    offer.save()
    return offer


@transaction.atomic
def offer_submit(actor, offer: Offer) -> Offer:
    if offer.state not in (OfferState.DRAFT, OfferState.REJECTED):
        raise ValidationError(_("Only a draft or rejected offer can be submitted for moderation."))
    offer.state = OfferState.SUBMITTED
    offer.save(update_fields=["state"])
    return offer


@transaction.atomic
def offer_moderate(actor, offer: Offer, *, publish: bool, note: str = "") -> Offer:
    """The area's union publishes or rejects (with a reason) a submitted offer."""
    if offer.state != OfferState.SUBMITTED:
        raise ValidationError(_("Only an offer waiting for moderation can be published or rejected."))
    note = (note or "").strip()
    if not publish and not note:
        raise ValidationError({"note": _("Say why the offer is rejected.")})
    if publish and offer.provider.state != ProviderState.VERIFIED:
        raise ValidationError(_("Verify the provider before publishing its offers."))
    if publish and offer.valid_until < timezone.localdate():
        raise ValidationError({"valid_until": _("The offer is over already.")})
    offer.state = OfferState.PUBLISHED if publish else OfferState.REJECTED
    offer.moderated_by, offer.moderated_at, offer.moderation_note = actor, timezone.now(), note[:500]
    offer.save(update_fields=["state", "moderated_by", "moderated_at", "moderation_note"])
    return offer


@transaction.atomic
def offer_withdraw(actor, offer: Offer) -> Offer:
    """Take the offer off the feed and out of the next rounds; its open proposals are superseded (accepted
    matches stay promised)."""
    from bangfu.services.models import Match, MatchState

    if offer.state == OfferState.WITHDRAWN:
        raise ValidationError(_("The offer is withdrawn already."))
    offer.state = OfferState.WITHDRAWN
    offer.save(update_fields=["state"])
    Match.objects.filter(offer=offer, state=MatchState.PROPOSED).update(state=MatchState.SUPERSEDED)
    return offer
