"""The allocation against an independent exact solver (a MILP through SciPy/HiGHS) and against greedy
first-come-first-served, on small random instances."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from bangfu.services.matching.solver import InfeasiblePin, Instance, apply_pins, greedy_first_come, solve


def random_instance(seed: int) -> Instance:
    rng = np.random.default_rng(seed)
    n_requests, n_offers = int(rng.integers(1, 25)), int(rng.integers(1, 10))
    pairs = {(int(r), int(o)) for r in range(n_requests) for o in range(n_offers) if rng.random() < 0.4}
    pairs = sorted(pairs)
    return Instance(
        request_ids=np.arange(100, 100 + n_requests), request_units=rng.integers(1, 4, n_requests),
        offer_ids=np.arange(500, 500 + n_offers), offer_units=rng.integers(1, 6, n_offers),
        pair_request=np.array([p[0] for p in pairs], dtype=np.int64),
        pair_offer=np.array([p[1] for p in pairs], dtype=np.int64),
        pair_weight=rng.integers(1, 5000, len(pairs)),
    )


def exact_total(instance: Instance, pinned=None) -> int:
    """Maximum total weight by integer programming: an independent formulation and solver."""
    n = instance.pair_count
    if n == 0:
        return 0
    rows = np.concatenate([instance.pair_request, instance.request_ids.size + instance.pair_offer])
    matrix = csr_matrix((np.ones(2 * n), (rows, np.tile(np.arange(n), 2))),
                        shape=(instance.request_ids.size + instance.offer_ids.size, n))
    upper = np.concatenate([instance.request_units, instance.offer_units])
    lower_x = np.zeros(n) if pinned is None else pinned
    result = milp(-instance.pair_weight.astype(float), integrality=np.ones(n),
                  bounds=Bounds(lower_x, np.full(n, np.inf)),
                  constraints=LinearConstraint(matrix, -np.inf, upper))
    assert result.success
    return round(-result.fun)


def check_feasible(instance: Instance, units: np.ndarray) -> None:
    assert (units >= 0).all()
    per_offer = np.bincount(instance.pair_offer, weights=units, minlength=instance.offer_ids.size)
    per_request = np.bincount(instance.pair_request, weights=units, minlength=instance.request_ids.size)
    assert (per_offer <= instance.offer_units).all()
    assert (per_request <= instance.request_units).all()


@pytest.mark.parametrize("seed", range(60))
def test_optimal_equals_exact_and_never_below_greedy(seed):
    instance = random_instance(seed)
    allocation = solve(instance)
    # split into connected components (what large rounds do): the same optimum
    assert solve(instance, split_above=0).total_weight == allocation.total_weight
    check_feasible(instance, allocation.pair_units)
    assert allocation.total_weight == exact_total(instance)
    greedy = greedy_first_come(instance)
    check_feasible(instance, greedy.pair_units)
    assert allocation.total_weight >= greedy.total_weight


def test_no_unit_left_unused_while_an_eligible_request_waits():
    for seed in range(40):
        instance = random_instance(seed)
        units = solve(instance).pair_units
        offer_left = instance.offer_units - np.bincount(instance.pair_offer, weights=units,
                                                        minlength=instance.offer_ids.size)
        request_left = instance.request_units - np.bincount(instance.pair_request, weights=units,
                                                            minlength=instance.request_ids.size)
        waiting = (offer_left[instance.pair_offer] > 0) & (request_left[instance.pair_request] > 0)
        assert not waiting.any(), seed


def test_greedy_is_beaten_where_arrival_order_misleads():
    # Request 0 came first and may use either offer; request 1 only offer 0. Greedy gives offer 0 (the better
    # one for request 0) to request 0 and leaves request 1 without; the optimum serves both.
    instance = Instance(request_ids=np.array([1, 2]), request_units=np.array([1, 1]),
                        offer_ids=np.array([10, 11]), offer_units=np.array([1, 1]),
                        pair_request=np.array([0, 0, 1]), pair_offer=np.array([0, 1, 0]),
                        pair_weight=np.array([300, 250, 280]))
    assert greedy_first_come(instance).total_weight == 300
    assert solve(instance).total_weight == 530


@pytest.mark.parametrize("seed", range(20))
def test_pins_are_honoured_and_the_rest_is_optimal(seed):
    instance = random_instance(seed)
    if instance.pair_count == 0:
        return
    k = seed % instance.pair_count
    pins = [(int(instance.request_ids[instance.pair_request[k]]), int(instance.offer_ids[instance.pair_offer[k]]), 1)]
    pinned = apply_pins(instance, pins)
    allocation = solve(instance, pinned, split_above=seed % 2 * 10**6)
    check_feasible(instance, allocation.pair_units)
    assert allocation.pair_units[k] >= 1
    assert allocation.total_weight == exact_total(instance, pinned)


def test_infeasible_pins_are_named():
    instance = Instance(request_ids=np.array([1, 2]), request_units=np.array([1, 1]),
                        offer_ids=np.array([10]), offer_units=np.array([1]),
                        pair_request=np.array([0, 1]), pair_offer=np.array([0, 0]), pair_weight=np.array([5, 6]))
    with pytest.raises(InfeasiblePin) as not_eligible:
        apply_pins(instance, [(1, 99, 1)])
    assert not_eligible.value.code == "not_eligible"
    with pytest.raises(InfeasiblePin) as capacity:
        apply_pins(instance, [(1, 10, 1), (2, 10, 1)])
    assert capacity.value.code == "offer_capacity"
    with pytest.raises(InfeasiblePin) as quantity:
        apply_pins(instance, [(1, 10, 2)])
    assert quantity.value.code in ("request_quantity", "offer_capacity")


def test_components_are_solved_apart_with_the_same_optimum():
    from bangfu.services.matching.solver import components

    a, b = random_instance(3), random_instance(4)
    joined = Instance(
        request_ids=np.concatenate([a.request_ids, b.request_ids + 1000]),
        request_units=np.concatenate([a.request_units, b.request_units]),
        offer_ids=np.concatenate([a.offer_ids, b.offer_ids + 1000]),
        offer_units=np.concatenate([a.offer_units, b.offer_units]),
        pair_request=np.concatenate([a.pair_request, b.pair_request + a.request_ids.size]),
        pair_offer=np.concatenate([a.pair_offer, b.pair_offer + a.offer_ids.size]),
        pair_weight=np.concatenate([a.pair_weight, b.pair_weight]))
    assert len(components(joined)) >= 2
    split = solve(joined, split_above=0)
    check_feasible(joined, split.pair_units)
    assert split.total_weight == exact_total(joined) == exact_total(a) + exact_total(b)
