"""A match from the provider's and the worker's side: accept, decline, deliver.

A proposal becomes binding when both accepted; the request is then taken by the offer's provider. Either may
decline with a reason; declined units return to the next round.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.services.models import Match, MatchState, RequestState

ACCEPTABLE = (MatchState.PROPOSED, MatchState.PROVIDER_ACCEPTED, MatchState.WORKER_ACCEPTED)


def _side(actor) -> str:
    """Whose acceptance an actor gives: the provider's (provider accounts), otherwise the worker's (the worker
    online, or a case worker recording the worker's answer)."""
    return "provider" if actor.kind == "provider" else "worker"


@transaction.atomic
def match_accept(actor, match: Match) -> Match:
    match = Match.objects.select_for_update().select_related("request", "offer").get(pk=match.pk)
    if match.state not in ACCEPTABLE:
        raise ValidationError(_("This match is %(state)s: it cannot be accepted.") % {
            "state": match.get_state_display()})
    if match.request.state != RequestState.SUBMITTED:
        raise ValidationError(_("The request was answered another way meanwhile."))
    side, now = _side(actor), timezone.now()
    if side == "provider":
        if match.state == MatchState.PROVIDER_ACCEPTED:
            raise ValidationError(_("You accepted this match already."))
        match.provider_decided_at = now
        match.state = MatchState.ACCEPTED if match.state == MatchState.WORKER_ACCEPTED else MatchState.PROVIDER_ACCEPTED
    else:
        if match.state == MatchState.WORKER_ACCEPTED:
            raise ValidationError(_("This match was accepted for the household already."))
        match.worker_decided_at = now
        match.state = MatchState.ACCEPTED if match.state == MatchState.PROVIDER_ACCEPTED else MatchState.WORKER_ACCEPTED
    match.save()
    if match.state == MatchState.ACCEPTED:
        request = match.request
        # A request served by several offers (quantity > 1) is taken once its accepted units cover it; until
        # then its other proposals stay open.
        accepted = sum(Match.objects.filter(request=request, state__in=(MatchState.ACCEPTED, MatchState.DELIVERED))
                       .values_list("units", flat=True))
        if accepted >= request.quantity:
            request.state, request.taken_by_provider, request.taken_at = (RequestState.TAKEN, match.offer.provider,
                                                                          now)
            request.save()
            Match.objects.filter(request=request, state=MatchState.PROPOSED).update(state=MatchState.SUPERSEDED)
    return match


@transaction.atomic
def match_decline(actor, match: Match, *, reason: str) -> Match:
    match = Match.objects.select_for_update().get(pk=match.pk)
    if match.state not in ACCEPTABLE:
        raise ValidationError(_("This match is %(state)s: it cannot be declined.") % {
            "state": match.get_state_display()})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why.")})
    match.state, match.declined_by, match.decline_reason = MatchState.DECLINED, actor, reason[:500]
    if _side(actor) == "provider":
        match.provider_decided_at = timezone.now()
    else:
        match.worker_decided_at = timezone.now()
    match.save()
    return match


@transaction.atomic
def match_deliver(actor, match: Match, *, note: str) -> Match:
    """The provider (or the household's helper) records the delivery: the request is fulfilled."""
    from bangfu.services.actions.requests import request_fulfil

    if match.state != MatchState.ACCEPTED:
        raise ValidationError(_("Only an accepted match can be delivered."))
    request_fulfil(actor, match.request, note=note)
    match.refresh_from_db()
    return match
