"""Requests (点单 → 接单 → 签单): order from the menu, take, decline, record delivery, sign off, give feedback;
and the escalation of requests nobody answered in time (事事有回音)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bangfu.orgs.models import Org
from bangfu.registry.models import Household, State, record_event
from bangfu.services.models import (
    Feedback,
    Match,
    MatchState,
    RequestState,
    ServiceItem,
    ServicePolicy,
    ServiceRequest,
    Urgency,
)
from bangfu.services.models.offers import org_prefixes

QUANTITY_MAX = 100
TEXT_MAX = 500


def request_problems(actor, household, data: dict) -> dict:
    errors = {}
    if household is None or not Household.objects.restrict(actor, "view").filter(pk=household.pk).exists():
        # One answer for "not yours" and "does not exist": a worker orders only for their own household.
        errors["household"] = _("Choose a household you may order for.")
        return errors
    if household.state != State.ACTIVE:
        errors["household"] = _("Only a household with an active archive can order from the menu.")
    member = data.get("member")
    if member is None or member.household_id != household.pk:
        errors["member"] = _("Choose a member of this household.")
    item = data.get("item")
    if not isinstance(item, ServiceItem) or not item.is_active:
        errors["item"] = _("Choose an item of the menu.")
    quantity = data.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= QUANTITY_MAX:
        errors["quantity"] = _("Order between 1 and %(max)d units.") % {"max": QUANTITY_MAX}
    if data.get("urgency") not in Urgency.values:
        errors["urgency"] = _("Choose how urgent the request is.")
    if len(data.get("preferences") or "") > TEXT_MAX:
        errors["preferences"] = _("At most %(max)d characters.") % {"max": TEXT_MAX}
    return errors


@transaction.atomic
def request_submit(actor, household, *, member, item, quantity: int = 1, urgency: int = Urgency.NORMAL,
                   preferences: str = "", preferred_provider=None, project=None) -> ServiceRequest:
    """A household orders an item (the worker online, or a case worker for them). The answer is due within
    the hours of the union's service policy."""
    errors = request_problems(actor, household, {"member": member, "item": item, "quantity": quantity,
                                                 "urgency": urgency, "preferences": preferences})
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    policy = ServicePolicy.in_force(household.org, timezone.localdate())
    request = ServiceRequest.objects.create(
        household=household, member=member, item=item, quantity=quantity, urgency=urgency,
        preferences=(preferences or "").strip(), preferred_provider=preferred_provider, project=project,
        via_portal=actor.kind == "worker", requested_by=actor, submitted_at=now,
        answer_due_at=now + dt.timedelta(hours=policy.answer_hours))
    record_event(household, "service_requested", actor=actor, request=request.pk, item=item.code)
    return request


def _require(request: ServiceRequest, *states) -> None:
    if request.state not in states:
        raise ValidationError(_("This request is %(state)s: it cannot be changed that way.") % {
            "state": request.get_state_display()})


@transaction.atomic
def request_take(actor, request: ServiceRequest, *, note: str = "") -> ServiceRequest:
    """A union department takes the request itself (部室接单)."""
    _require(request, RequestState.SUBMITTED)
    request.state, request.taken_by, request.taken_at = RequestState.TAKEN, actor, timezone.now()
    request.answer_note = (note or "").strip()[:TEXT_MAX]
    request.save()
    record_event(request.household, "service_taken", actor=actor, request=request.pk, item=request.item.code)
    # Proposals, and matches only one side had accepted, no longer hold the offers' units.
    Match.objects.filter(request=request, state__in=(MatchState.PROPOSED, MatchState.PROVIDER_ACCEPTED,
                                                     MatchState.WORKER_ACCEPTED)).update(state=MatchState.SUPERSEDED)
    return request


@transaction.atomic
def request_decline(actor, request: ServiceRequest, *, reason: str) -> ServiceRequest:
    """Answer no, with a reason the worker reads."""
    _require(request, RequestState.SUBMITTED, RequestState.TAKEN)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the request is declined; the worker reads it.")})
    if len(reason) > TEXT_MAX:
        raise ValidationError({"reason": _("At most %(max)d characters.") % {"max": TEXT_MAX}})
    if Match.objects.filter(request=request, state__in=(MatchState.ACCEPTED, MatchState.DELIVERED)).exists():
        raise ValidationError(_("A provider has taken this request; record its delivery instead."))
    request.state, request.declined_reason = RequestState.DECLINED, reason
    request.declined_by, request.declined_at = actor, timezone.now()
    request.save()
    record_event(request.household, "service_declined", actor=actor, request=request.pk, item=request.item.code)
    Match.objects.filter(request=request, state__in=(MatchState.PROPOSED, MatchState.PROVIDER_ACCEPTED,
                                                     MatchState.WORKER_ACCEPTED)).update(
        state=MatchState.SUPERSEDED)
    return request


@transaction.atomic
def request_fulfil(actor, request: ServiceRequest, *, note: str) -> ServiceRequest:
    """Record that the help was delivered (by the provider or the household's helper)."""
    _require(request, RequestState.TAKEN)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what was delivered.")})
    request.state, request.fulfilled_by, request.fulfilled_at = RequestState.FULFILLED, actor, timezone.now()
    request.fulfilment_note = note[:TEXT_MAX]
    request.save()
    record_event(request.household, "service_fulfilled", actor=actor, request=request.pk, item=request.item.code)
    Match.objects.filter(request=request, state=MatchState.ACCEPTED).update(
        state=MatchState.DELIVERED, delivered_at=request.fulfilled_at)
    return request


@transaction.atomic
def request_sign_off(actor, request: ServiceRequest) -> ServiceRequest:
    """The county union (or a union above it) signs a fulfilled request off (县总签单)."""
    _require(request, RequestState.FULFILLED)
    if actor.org is None or actor.org.level > Org.Level.COUNTY:
        raise ValidationError(_("Requests are signed off by the county union or a union above it."))
    request.state, request.signed_off_by, request.signed_off_at = RequestState.SIGNED_OFF, actor, timezone.now()
    request.save()
    return request


@transaction.atomic
def feedback_give(actor, request: ServiceRequest, *, rating: int, comment: str = "") -> Feedback:
    """The worker rates the help their household received (once)."""
    errors = {}
    if not Household.objects.restrict(actor, "view").filter(pk=request.household_id).exists() \
            or actor.kind != "worker":
        raise ValidationError(_("Only the household's own worker rates the help it received."))
    if request.state not in (RequestState.FULFILLED, RequestState.SIGNED_OFF):
        errors["request"] = _("Help can be rated once it was delivered.")
    if Feedback.objects.filter(request=request).exists():
        errors["request"] = _("This request has been rated already.")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        errors["rating"] = _("Give 1 to 5 stars.")
    if len(comment or "") > 1000:
        errors["comment"] = _("At most %(max)d characters.") % {"max": 1000}
    if errors:
        raise ValidationError(errors)
    return Feedback.objects.create(request=request, rating=rating, comment=(comment or "").strip(), given_by=actor)


def escalate_overdue_requests(now=None) -> int:
    """Requests still unanswered past their due time go up one level: the union above the last one told is
    notified, and the clock restarts. Returns how many were escalated."""
    from bangfu.accounts.models import User
    from bangfu.notifications.services import notify

    now = now or timezone.now()
    overdue = list(ServiceRequest.objects.filter(state=RequestState.SUBMITTED, answer_due_at__lt=now)
                   .select_related("household__org", "item"))
    # The unions above each household's union, nearest first, read in one query by their paths.
    lineages = {r.household.org.path: org_prefixes(r.household.org.path)[-2::-1] for r in overdue}
    org_ids = dict(Org.objects.filter(path__in={p for paths in lineages.values() for p in paths})
                   .values_list("path", "pk"))
    by_org: dict[int, list[ServiceRequest]] = {}
    for request in overdue:
        above = lineages[request.household.org.path] or [request.household.org.path]
        target = above[min(request.escalation_level, len(above) - 1)]
        by_org.setdefault(org_ids.get(target, request.household.org_id), []).append(request)
    with transaction.atomic():
        for org_id, requests in by_org.items():
            policy_hours = ServicePolicy.in_force(requests[0].household.org, now.date()).answer_hours
            ServiceRequest.objects.filter(pk__in=[r.pk for r in requests]).update(
                escalated_at=now, escalation_level=F("escalation_level") + 1,
                answer_due_at=now + dt.timedelta(hours=policy_hours))
            staff = [u for u in User.objects.filter(org_id=org_id, is_active=True, kind="staff")
                     if u.has_role_permission("services.change_servicerequest")]
            with translation.override(settings.LANGUAGE_CODE):
                title = _("%(count)d service requests were not answered in time") % {"count": len(requests)}
                body = _("They were ordered by households of your subtree; answer or decline them.")
            notify(staff, kind="service_request_overdue", title=title, body=body,
                   link="/services/requests/?state=submitted&overdue=1",
                   dedupe_key=f"service_overdue:{org_id}:{now:%Y%m%d%H}")
    return len(overdue)
