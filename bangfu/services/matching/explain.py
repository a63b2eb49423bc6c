"""Why each match, and why each request got what it got — computed for a whole round with numpy.

A match's explanation holds the parts of its weight (need score, urgency and its weight, value factor,
preferred provider) and where the household stands: its need among the round's requests (top x %), how many
requests were eligible for the offer and the lowest unit weight the offer served. `for_provider` strips what a
provider may not see: the need score (which may carry health parts, DOMAIN.md §9); it keeps the rank.
"""

from __future__ import annotations

import numpy as np

from bangfu.services.matching.solver import Instance
from bangfu.services.models import RoundRequest

STAFF_ONLY_KEYS = ("need_score",)


def for_provider(explanation: dict) -> dict:
    return {k: v for k, v in explanation.items() if k not in STAFF_ONLY_KEYS}


def request_outcomes(instance: Instance, units: np.ndarray) -> list[dict]:
    """One dict per request of the instance: units wanted and allocated, eligible offers, best unit weight,
    the lowest unit weight its eligible offers served (the bar), and the reason."""
    n_req, n_off = instance.request_ids.size, instance.offer_ids.size
    allocated = np.bincount(instance.pair_request, weights=units, minlength=n_req).astype(np.int64)
    eligible = np.bincount(instance.pair_request, minlength=n_req)
    best = np.full(n_req, -1, dtype=np.int64)
    np.maximum.at(best, instance.pair_request, instance.pair_weight)
    served = units > 0
    offer_bar = np.full(n_off, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(offer_bar, instance.pair_offer[served], instance.pair_weight[served])
    request_bar = np.full(n_req, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(request_bar, instance.pair_request, offer_bar[instance.pair_offer])
    rows = []
    for i in range(n_req):
        wanted, got = int(instance.request_units[i]), int(allocated[i])
        if eligible[i] == 0:
            reason = RoundRequest.Reason.NO_ELIGIBLE_OFFER
        elif got >= wanted:
            reason = RoundRequest.Reason.MATCHED
        elif got > 0:
            reason = RoundRequest.Reason.PARTLY
        else:
            reason = RoundRequest.Reason.CAPACITY_TAKEN
        bar = int(request_bar[i])
        rows.append({
            "request_id": int(instance.request_ids[i]), "units_wanted": wanted, "units_allocated": got,
            "eligible_offers": int(eligible[i]), "best_unit_weight": int(best[i]) if best[i] >= 0 else None,
            "bar_unit_weight": None if bar == np.iinfo(np.int64).max else bar, "reason": reason,
        })
    return rows


def match_explanations(instance: Instance, units: np.ndarray, pinned: np.ndarray, request_facts: dict[int, dict],
                       offer_facts: dict[int, dict], weights: tuple[int, int, int]) -> list[dict]:
    """One dict per allocated pair: the pair, its units and why. `request_facts` maps a request id to its
    household's need score, its urgency and preferred provider; `offer_facts` an offer id to its value factor
    and provider."""
    n_off = instance.offer_ids.size
    served = np.nonzero(units)[0]
    eligible_per_offer = np.bincount(instance.pair_offer, minlength=n_off)
    offer_bar = np.full(n_off, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(offer_bar, instance.pair_offer[served], instance.pair_weight[served])
    needs = np.array([float(request_facts[int(r)]["need"]) for r in instance.request_ids])
    sorted_needs = np.sort(needs)
    rows = []
    for k in served:
        r, o = int(instance.pair_request[k]), int(instance.pair_offer[k])
        request_id, offer_id = int(instance.request_ids[r]), int(instance.offer_ids[o])
        request, offer = request_facts[request_id], offer_facts[offer_id]
        # Share of the round's requests whose household needs at least as much: "top x %".
        at_least = needs.size - np.searchsorted(sorted_needs, needs[r], side="left")
        urgency = int(request["urgency"])
        rows.append({
            "request_id": request_id, "offer_id": offer_id, "units": int(units[k]),
            "unit_weight": int(instance.pair_weight[k]), "pinned": bool(pinned[k]),
            "explanation": {
                "need_score": str(request["need"]),
                "need_top_percent": max(1, int(np.ceil(100 * at_least / needs.size))),
                "urgency": urgency, "urgency_weight": weights[urgency - 1], "fit": str(offer["fit"]),
                "preferred_provider": request["pref"] is not None and request["pref"] == offer["provider"],
                "eligible_requests": int(eligible_per_offer[o]), "offer_free_units": int(instance.offer_units[o]),
                "lowest_unit_weight_served": int(offer_bar[o]),
            },
        })
    return rows
