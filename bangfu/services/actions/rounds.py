"""Matching rounds: create, pin or forbid pairs, solve (again).

`round_solve` builds the instance in the database, allocates with the exact solver, computes the greedy
first-come baseline on the same instance for comparison, and only then, in one transaction, replaces the
round's proposals (and supersedes other rounds' proposals that touch the same requests or offers). Anything
that fails before that — an infeasible pin, the solver — is recorded on the round as its last error and leaves
the previous solution exactly as it was. One round of a union solves at a time (advisory lock on PostgreSQL).
"""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.audit.jobs import bulk_job
from bangfu.core import locks
from bangfu.core.scoping import get_scoped_or_404
from bangfu.services.matching import explain
from bangfu.services.matching.pairs import build_instance
from bangfu.services.matching.solver import InfeasiblePin, SolverError, apply_pins, greedy_first_come, solve
from bangfu.services.models import (
    Match,
    MatchRound,
    MatchState,
    Offer,
    PairRule,
    RoundRequest,
    RoundState,
    ServicePolicy,
    ServiceRequest,
)

REASON_MAX = 500
PIN_MAX = 1000


@transaction.atomic
def round_create(actor, org, *, project=None) -> MatchRound:
    """A new round for the union `org` (the actor's union or one below it)."""
    if not org.path.startswith(actor.scope_path or "\0"):
        raise ValidationError({"org": _("Choose your union or a union below it.")})
    return MatchRound.objects.create(org=org, project=project, created_by=actor)


@transaction.atomic
def pair_rule_set(actor, match_round: MatchRound, *, request_id: int, offer_id: int, kind: str, units: int = 1,
                  reason: str) -> PairRule:
    """Pin (`units` of) a pair or forbid it; replaces an earlier decision on the same pair. The pair's request
    and offer must be ones the actor may see; whether a pin can be honoured is checked by the next solve."""
    errors = {}
    request = ServiceRequest.objects.restrict(actor, "view").filter(pk=request_id).first()
    offer = Offer.objects.restrict(actor, "view").filter(pk=offer_id).first()
    if request is None or not request.household.org.path.startswith(match_round.org.path):
        errors["request"] = _("Choose a request of a household of this round's union.")
    if offer is None or not offer.area_org.path.startswith(match_round.org.path):
        errors["offer"] = _("Choose an offer of this round's union.")
    if kind not in PairRule.Kind.values:
        errors["kind"] = _("Choose pin or forbid.")
    if kind == PairRule.Kind.PIN and (not isinstance(units, int) or not 1 <= units <= PIN_MAX):
        errors["units"] = _("Pin from 1 to %(max)d units.") % {"max": PIN_MAX}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Say why.")
    elif len(reason) > REASON_MAX:
        errors["reason"] = _("At most %(max)d characters.") % {"max": REASON_MAX}
    if errors:
        raise ValidationError(errors)
    rule, _created = PairRule.objects.update_or_create(
        round=match_round, request=request, offer=offer,
        defaults={"kind": kind, "units": units if kind == PairRule.Kind.PIN else 0, "reason": reason,
                  "created_by": actor})
    return rule


@transaction.atomic
def pair_rule_remove(actor, rule: PairRule) -> None:
    rule.delete()


def pin_message(error: InfeasiblePin) -> str:
    detail = {"request": error.request_id, "offer": error.offer_id, **error.detail}
    if error.code == "offer_capacity":
        return _("Pins on offer %(offer)s ask for %(pinned)d units; it has %(free)d free.") % detail
    if error.code == "request_quantity":
        return _("Pins on request %(request)s give it %(pinned)d units; it wants %(wanted)d.") % detail
    return _("Request %(request)s and offer %(offer)s are not an eligible pair today (item, area, eligibility, "
             "validity, or nothing left to allocate), so the pin cannot be honoured.") % detail


def _fail(match_round: MatchRound, message: str) -> None:
    MatchRound.objects.filter(pk=match_round.pk).update(state=RoundState.FAILED, last_error=message[:1000])
    match_round.refresh_from_db()


def round_solve(actor, match_round: MatchRound, *, solver=solve) -> MatchRound:
    """Solve the round (again). Raises `ValidationError` (recorded on the round) when it cannot be solved; the
    previous solution is then kept."""
    today = timezone.localdate()
    policy = ServicePolicy.in_force(match_round.org, today)
    weights = (policy.weight_normal, policy.weight_urgent, policy.weight_very_urgent)
    if not locks.try_session_lock("services-round", match_round.org_id):
        raise ValidationError(_("A round of this union is being solved; try again in a minute."))
    try:
        started = time.perf_counter()
        instance = build_instance(match_round.org.path, today, weights, match_round.pk)
        built = time.perf_counter()
        pins = list(match_round.pair_rules.filter(kind=PairRule.Kind.PIN)
                    .values_list("request_id", "offer_id", "units"))
        try:
            pinned = apply_pins(instance, pins)
            allocation = solver(instance, pinned)
        except InfeasiblePin as error:
            _fail(match_round, pin_message(error))
            raise ValidationError(match_round.last_error) from error
        except (SolverError, MemoryError) as error:
            _fail(match_round, _("The solver failed (%(error)s); the previous solution is kept.") % {
                "error": error})
            raise ValidationError(match_round.last_error) from error
        solved = time.perf_counter()
        greedy = greedy_first_come(instance)
        stats = {
            "requests": int(instance.request_ids.size), "offers": int(instance.offer_ids.size),
            "pairs": instance.pair_count, "units_wanted": int(instance.request_units.sum()),
            "units_free": int(instance.offer_units.sum()), "units_allocated": allocation.total_units,
            "total_weight": allocation.total_weight, "greedy_units": greedy.total_units,
            "greedy_weight": greedy.total_weight, "pins": len(pins),
            "build_seconds": round(built - started, 3), "solve_seconds": round(solved - built, 3),
            "weights": list(weights), "day": today.isoformat(),
        }
        _write_solution(actor, match_round, instance, allocation, pinned, weights, stats)
    finally:
        locks.session_unlock("services-round", match_round.org_id)
    match_round.refresh_from_db()
    return match_round


def _facts(instance) -> tuple[dict, dict]:
    request_ids = instance.request_ids.tolist()
    request_facts = {
        row["pk"]: {"need": row["household__need_score"] or 0, "urgency": row["urgency"],
                    "pref": row["preferred_provider_id"]}
        for row in ServiceRequest.objects.filter(pk__in=request_ids).values(
            "pk", "household__need_score", "urgency", "preferred_provider_id").iterator(chunk_size=5000)
    }
    offer_facts = {
        row["pk"]: {"fit": row["fit_factor"], "provider": row["provider_id"]}
        for row in Offer.objects.filter(pk__in=instance.offer_ids.tolist()).values(
            "pk", "fit_factor", "provider_id")
    }
    return request_facts, offer_facts


def _write_solution(actor, match_round, instance, allocation, pinned, weights, stats) -> None:
    request_facts, offer_facts = _facts(instance)
    matches = explain.match_explanations(instance, allocation.pair_units, pinned, request_facts, offer_facts,
                                         weights)
    outcomes = explain.request_outcomes(instance, allocation.pair_units)
    with bulk_job("services_round_solve", actor=actor, org=match_round.org, model=Match,
                  parameters={"round": match_round.pk}) as job:
        locked = MatchRound.objects.select_for_update().get(pk=match_round.pk)
        version = locked.solution_version + 1
        request_ids, offer_ids = instance.request_ids.tolist(), instance.offer_ids.tolist()
        superseded = Match.objects.filter(state=MatchState.PROPOSED).filter(
            Q(round=locked) | Q(request_id__in=request_ids) | Q(offer_id__in=offer_ids)
        ).update(state=MatchState.SUPERSEDED)
        RoundRequest.objects.filter(round=locked).delete()
        created = Match.objects.bulk_create(
            [Match(round=locked, solution_version=version, request_id=m["request_id"], offer_id=m["offer_id"],
                   units=m["units"], unit_weight=m["unit_weight"], pinned=m["pinned"],
                   explanation=m["explanation"]) for m in matches], batch_size=5000)
        RoundRequest.objects.bulk_create(
            [RoundRequest(round=locked, solution_version=version, **row) for row in outcomes], batch_size=5000)
        locked.solution_version = version
        locked.state = RoundState.SOLVED
        locked.stats = stats
        locked.last_error = ""
        locked.solved_at = timezone.now()
        locked.save(update_fields=["solution_version", "state", "stats", "last_error", "solved_at"])
        job.add(created=len(created) + len(outcomes), updated=superseded)


def get_round(user, pk, action="view") -> MatchRound:
    return get_scoped_or_404(MatchRound, user, action, pk=pk)
