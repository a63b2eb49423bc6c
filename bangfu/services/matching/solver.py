"""The allocation: maximise the total weight of allocated units subject to offer capacities and request
quantities — a transportation problem, solved exactly as a min-cost flow (OR-Tools `SimpleMinCostFlow`).

Network: source → offer (capacity = free units, cost 0) → request (one arc per eligible pair, capacity =
units the request wants, cost = −weight of one unit) → sink (capacity = units wanted); plus an arc source →
sink of cost 0 that carries whatever is better left unallocated. The source supplies every offer unit, so a
minimum-cost flow is a maximum-weight allocation (not necessarily the most units: a unit that adds no weight
is never forced). Weights are integers (`pairs.unit_weights`), so the optimum is exact.

Pins are allocated first (their units leave the offer's capacity and the request's quantity); a pin that is
not an eligible pair or does not fit raises `InfeasiblePin`. Forbidden pairs never reach the instance.

`greedy_first_come` is the baseline a cadre would do by hand: requests in the order they came, each taking
the best remaining eligible offer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow


@dataclass
class Instance:
    """A round's problem. Requests are in first-come order (submitted time, id); pairs index into the arrays."""

    request_ids: np.ndarray
    request_units: np.ndarray
    offer_ids: np.ndarray
    offer_units: np.ndarray
    pair_request: np.ndarray
    pair_offer: np.ndarray
    pair_weight: np.ndarray
    seconds: dict = field(default_factory=dict)

    @property
    def pair_count(self) -> int:
        return int(self.pair_weight.size)


class SolverError(Exception):
    """The solver did not return an optimal allocation."""


class InfeasiblePin(ValueError):
    """A pin cannot be honoured; `code` says why (not_eligible, offer_capacity, request_quantity)."""

    def __init__(self, code: str, request_id: int, offer_id: int, detail: dict | None = None):
        super().__init__(code)
        self.code, self.request_id, self.offer_id, self.detail = code, request_id, offer_id, detail or {}


@dataclass
class Allocation:
    """Units per pair (aligned with the instance's pair arrays) and the totals."""

    pair_units: np.ndarray
    total_weight: int
    total_units: int


def apply_pins(instance: Instance, pins: list[tuple[int, int, int]]) -> np.ndarray:
    """Units pinned per pair; checks each pin against eligibility, free capacity and quantity."""
    pinned = np.zeros(instance.pair_count, dtype=np.int64)
    if not pins:
        return pinned
    key = instance.pair_request.astype(np.int64) * (instance.offer_ids.size + 1) + instance.pair_offer
    order = np.argsort(key, kind="stable")
    req_pos = {int(r): i for i, r in enumerate(instance.request_ids)}
    off_pos = {int(o): i for i, o in enumerate(instance.offer_ids)}
    for request_id, offer_id, units in pins:
        r, o = req_pos.get(request_id), off_pos.get(offer_id)
        if r is None or o is None:
            raise InfeasiblePin("not_eligible", request_id, offer_id)
        wanted = r * (instance.offer_ids.size + 1) + o
        at = np.searchsorted(key[order], wanted)
        if at >= key.size or key[order][at] != wanted:
            raise InfeasiblePin("not_eligible", request_id, offer_id)
        pinned[order[at]] += units
    offer_pinned = np.bincount(instance.pair_offer, weights=pinned, minlength=instance.offer_ids.size)
    request_pinned = np.bincount(instance.pair_request, weights=pinned, minlength=instance.request_ids.size)
    for request_id, offer_id, _units in pins:
        r, o = req_pos[request_id], off_pos[offer_id]
        if offer_pinned[o] > instance.offer_units[o]:
            raise InfeasiblePin("offer_capacity", request_id, offer_id,
                                {"pinned": int(offer_pinned[o]), "free": int(instance.offer_units[o])})
        if request_pinned[r] > instance.request_units[r]:
            raise InfeasiblePin("request_quantity", request_id, offer_id,
                                {"pinned": int(request_pinned[r]), "wanted": int(instance.request_units[r])})
    return pinned


# Below this many pairs one network is solved as it is; above, it is split into its connected components (a
# national round falls apart by province: county offers reach one county, city offers one city), each solved
# alone — the solver's time grows faster than linearly with the network, and memory falls with it.
SPLIT_ABOVE = 200_000


def solve(instance: Instance, pinned: np.ndarray | None = None, *, split_above: int = SPLIT_ABOVE) -> Allocation:
    """The maximum-weight allocation (with the pinned units fixed)."""
    pinned = np.zeros(instance.pair_count, dtype=np.int64) if pinned is None else pinned
    offer_free = instance.offer_units - np.bincount(instance.pair_offer, weights=pinned,
                                                    minlength=instance.offer_ids.size).astype(np.int64)
    request_free = instance.request_units - np.bincount(instance.pair_request, weights=pinned,
                                                        minlength=instance.request_ids.size).astype(np.int64)
    units = pinned.copy()
    if instance.pair_count and offer_free.sum() > 0 and request_free.sum() > 0:
        groups = [np.arange(instance.pair_count)] if instance.pair_count <= split_above else components(instance)
        for pairs in groups:
            units[pairs] += _solve_part(instance.pair_request[pairs], instance.pair_offer[pairs],
                                        instance.pair_weight[pairs], request_free, offer_free)
    return Allocation(pair_units=units, total_weight=int((units * instance.pair_weight).sum()),
                      total_units=int(units.sum()))


def components(instance: Instance) -> list[np.ndarray]:
    """The pairs of each connected component of the request–offer graph (index arrays into the pair arrays)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_req, n_off = instance.request_ids.size, instance.offer_ids.size
    graph = coo_matrix((np.ones(instance.pair_count, dtype=np.int8),
                        (instance.pair_request, n_req + instance.pair_offer)), shape=(n_req + n_off,) * 2)
    _count, labels = connected_components(graph, directed=False)
    pair_label = labels[instance.pair_request]
    order = np.argsort(pair_label, kind="stable")
    cuts = np.flatnonzero(np.diff(pair_label[order])) + 1
    return np.split(order, cuts)


def _solve_part(pair_request, pair_offer, pair_weight, request_free, offer_free) -> np.ndarray:
    """Units per pair of one network (its requests and offers renumbered locally)."""
    requests, local_request = np.unique(pair_request, return_inverse=True)
    offers, local_offer = np.unique(pair_offer, return_inverse=True)
    n_offers, n_requests, n_pairs = offers.size, requests.size, pair_weight.size
    offer_cap, request_cap = offer_free[offers], request_free[requests]
    source, sink, offer0, request0 = 0, 1, 2, 2 + n_offers
    supply = int(offer_cap.sum())
    if supply == 0 or request_cap.sum() == 0:
        return np.zeros(n_pairs, dtype=np.int64)
    tails = np.concatenate([np.zeros(n_offers, np.int32), (offer0 + local_offer).astype(np.int32),
                            (request0 + np.arange(n_requests)).astype(np.int32), np.array([source], np.int32)])
    heads = np.concatenate([(offer0 + np.arange(n_offers)).astype(np.int32),
                            (request0 + local_request).astype(np.int32),
                            np.full(n_requests, sink, np.int32), np.array([sink], np.int32)])
    capacities = np.concatenate([offer_cap, request_cap[local_request], request_cap,
                                 np.array([supply])]).astype(np.int64)
    costs = np.concatenate([np.zeros(n_offers, np.int64), -pair_weight.astype(np.int64),
                            np.zeros(n_requests, np.int64), np.zeros(1, np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    supplies = np.zeros(request0 + n_requests, np.int64)
    supplies[source], supplies[sink] = supply, -supply
    flow.set_nodes_supplies(np.arange(supplies.size, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverError(f"min-cost flow status {status}")
    return flow.flows(np.arange(n_offers, n_offers + n_pairs, dtype=np.int32))


def greedy_first_come(instance: Instance) -> Allocation:
    """First come, first served: each request in arrival order takes units from its eligible offers, best
    weight first, while they have capacity."""
    offer_left = instance.offer_units.astype(np.int64).copy()
    units = np.zeros(instance.pair_count, dtype=np.int64)
    # Pairs grouped by request (arrival order = request index), best weight first within a request.
    order = np.lexsort((-instance.pair_weight, instance.pair_request))
    starts = np.searchsorted(instance.pair_request[order], np.arange(instance.request_ids.size + 1))
    pair_offer = instance.pair_offer[order].tolist()
    for r in range(instance.request_ids.size):
        want = int(instance.request_units[r])
        for k in range(starts[r], starts[r + 1]):
            if want == 0:
                break
            o = pair_offer[k]
            take = min(want, int(offer_left[o]))
            if take:
                offer_left[o] -= take
                units[order[k]] = take
                want -= take
    return Allocation(pair_units=units, total_weight=int((units * instance.pair_weight).sum()),
                      total_units=int(units.sum()))
