"""Builders for service-platform test data (rows written directly; tests of the write functions go through
`bangfu.services.actions`)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from bangfu.registry.tests.factories import make_household
from bangfu.services.models import Offer, OfferState, Provider, ProviderState, ServiceItem, ServiceRequest

_n = itertools.count(1)


def make_item(code="training-electrician", kind="training", unit="seat", reference_value=Decimal("1000")):
    return ServiceItem.objects.get_or_create(code=code, defaults={"name": code, "kind": kind, "unit": unit,
                                                                  "reference_value": reference_value})[0]


def make_provider(org, *, state=ProviderState.VERIFIED, name=None) -> Provider:
    n = next(_n)
    return Provider.objects.create(org=org, name=name or f"提供方{n}", kind="company", contact_name="李四",
                                   contact_phone="13800138000", state=state, credit_code=f"91440106MA5C{n:05d}X")


def make_offer(provider, item, area_org, *, capacity=3, unit_value=None, state=OfferState.PUBLISHED,
               valid_from=None, valid_until=None, **fields) -> Offer:
    today = timezone.localdate()
    return Offer.objects.create(
        provider=provider, item=item, area_org=area_org, title=fields.pop("title", f"{item.name} offer"),
        capacity=capacity, unit_value=unit_value, state=state,
        valid_from=valid_from or today - dt.timedelta(days=1), valid_until=valid_until or today + dt.timedelta(days=60),
        **fields)


def make_scored_household(org, need: str, **fields):
    household = make_household(org, **fields)
    household.need_score = Decimal(need)
    household.category = fields.get("category", "A_dibao")
    household.save(update_fields=["need_score", "category"])
    return household


def make_request(household, item, *, quantity=1, urgency=1, submitted_at=None, **fields) -> ServiceRequest:
    now = submitted_at or timezone.now()
    return ServiceRequest.objects.create(
        household=household, member=household.members.get(is_head=True), item=item, quantity=quantity,
        urgency=urgency, submitted_at=now, answer_due_at=now + dt.timedelta(hours=72), **fields)
