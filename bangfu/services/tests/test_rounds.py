"""Rounds on the database: pair building (eligibility, area, validity), the optimum, explanations, pins,
forbids, failures that keep the previous solution, and capacity held by accepted matches."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.services.actions import matches as match_actions
from bangfu.services.actions.rounds import pair_rule_set, round_create, round_solve
from bangfu.services.matching.solver import SolverError
from bangfu.services.models import Match, MatchState, PairRule, RequestState, RoundRequest, RoundState
from bangfu.services.tests.factories import make_item, make_offer, make_provider, make_request, make_scored_household


@pytest.fixture
def county_cadre(tree):
    return tree.user("countycadre", tree.county, Role.CASE_WORKER)


@pytest.fixture
def world(tree):
    item = make_item()
    provider = make_provider(tree.county)
    offer = make_offer(provider, item, tree.county, capacity=3)
    households = [make_scored_household(tree.grassroots if i % 2 else tree.sibling, need)
                  for i, need in enumerate(["10", "50", "30", "70", "20"])]
    base = timezone.now() - dt.timedelta(hours=5)
    requests = [make_request(h, item, submitted_at=base + dt.timedelta(minutes=i)) for i, h in enumerate(households)]
    return {"item": item, "provider": provider, "offer": offer, "households": households, "requests": requests}


def allocated(match_round):
    return {m.request_id: m.units for m in Match.objects.filter(round=match_round, state=MatchState.PROPOSED)}


def test_seats_go_to_the_neediest_with_explanations(tree, world, county_cadre):
    match_round = round_solve(county_cadre, round_create(county_cadre, tree.county))
    requests = world["requests"]
    # needs 10, 50, 30, 70, 20 → the three seats go to 70, 50, 30
    assert allocated(match_round) == {requests[3].pk: 1, requests[1].pk: 1, requests[2].pk: 1}
    assert match_round.state == RoundState.SOLVED
    assert match_round.stats["units_allocated"] == 3
    # (need + 1) × urgency weight 1 × value factor 1 × 100
    assert match_round.stats["total_weight"] == (71 + 51 + 31) * 100
    # greedy first-come gives the seats to the first three: needs 10, 50, 30
    assert match_round.stats["greedy_weight"] == (11 + 51 + 31) * 100
    top = Match.objects.get(round=match_round, request=requests[3])
    assert top.explanation["need_top_percent"] == 20 and top.explanation["eligible_requests"] == 5
    assert top.explanation["lowest_unit_weight_served"] == 3100
    left_out = RoundRequest.objects.get(round=match_round, request=requests[0])
    assert left_out.reason == RoundRequest.Reason.CAPACITY_TAKEN and left_out.bar_unit_weight == 3100


def test_eligibility_area_and_validity_decide_the_pairs(tree, world, county_cadre):
    item = world["item"]
    provider = world["provider"]
    offer = world["offer"]
    offer.categories = ["A_marginal"]  # none of the households is marginal
    offer.save()
    other_area = make_offer(provider, item, tree.sibling, capacity=5)  # only the sibling union's households
    make_offer(provider, item, tree.county, capacity=5, valid_from=timezone.localdate() + dt.timedelta(days=3))
    match_round = round_solve(county_cadre, round_create(county_cadre, tree.county))
    sibling_requests = {r.pk for r in world["requests"] if r.household.org_id == tree.sibling.pk}
    assert set(allocated(match_round)) == sibling_requests
    assert set(Match.objects.filter(round=match_round).values_list("offer_id", flat=True)) == {other_area.pk}
    outcomes = dict(RoundRequest.objects.filter(round=match_round).values_list("request_id", "reason"))
    assert {outcomes[pk] for pk in outcomes if pk not in sibling_requests} == {RoundRequest.Reason.NO_ELIGIBLE_OFFER}


def test_age_work_status_and_cause_rules(tree, world, county_cadre):
    offer = world["offer"]
    offer.min_age, offer.max_age = 18, 40  # heads are born in 1980: 46 years old
    offer.save()
    match_round = round_solve(county_cadre, round_create(county_cadre, tree.county))
    assert allocated(match_round) == {}
    offer.min_age, offer.max_age, offer.work_statuses, offer.causes = 18, 60, ["employed"], ["3"]
    offer.save()
    assert len(allocated(round_solve(county_cadre, match_round))) == 3
    offer.causes = ["7"]
    offer.save()
    assert allocated(round_solve(county_cadre, match_round)) == {}


def test_pin_and_forbid_then_resolve(tree, world, county_cadre):
    requests = world["requests"]
    match_round = round_solve(county_cadre, round_create(county_cadre, tree.county))
    first_version = match_round.solution_version
    pair_rule_set(county_cadre, match_round, request_id=requests[0].pk, offer_id=world["offer"].pk,
                  kind=PairRule.Kind.PIN, reason="家中突发变故")
    pair_rule_set(county_cadre, match_round, request_id=requests[3].pk, offer_id=world["offer"].pk,
                  kind=PairRule.Kind.FORBID, reason="已在别处参加同类培训")
    match_round = round_solve(county_cadre, match_round)
    assert allocated(match_round) == {requests[0].pk: 1, requests[1].pk: 1, requests[2].pk: 1}
    assert Match.objects.get(round=match_round, request=requests[0], state=MatchState.PROPOSED).pinned
    assert match_round.solution_version == first_version + 1
    assert Match.objects.filter(round=match_round, state=MatchState.SUPERSEDED).count() == 3


def test_an_infeasible_pin_is_refused_and_the_previous_solution_stays(tree, world, county_cadre):
    requests = world["requests"]
    match_round = round_solve(county_cadre, round_create(county_cadre, tree.county))
    before = allocated(match_round)
    for r in requests[:4]:
        pair_rule_set(county_cadre, match_round, request_id=r.pk, offer_id=world["offer"].pk,
                      kind=PairRule.Kind.PIN, reason="试一试")
    with pytest.raises(ValidationError) as refused:
        round_solve(county_cadre, match_round)
    assert "4" in str(refused.value) and "3" in str(refused.value)  # asks for 4 units, 3 free
    match_round.refresh_from_db()
    assert match_round.state == RoundState.FAILED and match_round.last_error
    assert allocated(match_round) == before


def test_a_solver_failure_keeps_the_previous_solution(tree, world, county_cadre):
    match_round = round_solve(county_cadre, round_create(county_cadre, tree.county))
    before = allocated(match_round)

    def broken(instance, pinned):
        raise SolverError("infeasible")

    with pytest.raises(ValidationError):
        round_solve(county_cadre, match_round, solver=broken)
    match_round.refresh_from_db()
    assert match_round.state == RoundState.FAILED
    assert allocated(match_round) == before


def test_accepted_matches_hold_their_units_in_later_rounds(tree, world, county_cadre, provider_user):
    requests = world["requests"]
    match_round = round_solve(county_cadre, round_create(county_cadre, tree.county))
    from bangfu.services.models import ProviderAccount

    ProviderAccount.objects.create(provider=world["provider"], user=provider_user)
    top = Match.objects.get(round=match_round, request=requests[3], state=MatchState.PROPOSED)
    match_actions.match_accept(provider_user, top)
    match_actions.match_accept(county_cadre, top)  # the worker's answer, recorded by the case worker
    top.refresh_from_db()
    requests[3].refresh_from_db()
    assert top.state == MatchState.ACCEPTED and requests[3].state == RequestState.TAKEN
    second = round_solve(county_cadre, round_create(county_cadre, tree.county))
    assert second.stats["units_free"] == 2 and second.stats["requests"] == 4
    assert set(allocated(second)) == {requests[1].pk, requests[2].pk}


def test_a_union_cannot_run_a_round_above_itself(tree, grassroots_cadre):
    with pytest.raises(ValidationError):
        round_create(grassroots_cadre, tree.county)


def test_unit_weight_is_need_urgency_value_and_preference(tree, county_cadre):
    from decimal import Decimal

    item = make_item(code="grant", kind="donation_money", unit="share", reference_value=Decimal("1000"))
    provider = make_provider(tree.county)
    offer = make_offer(provider, item, tree.county, capacity=5, unit_value=Decimal("1500"))  # value factor 1.50
    household = make_scored_household(tree.grassroots, "42.37")
    urgent = make_request(household, item, urgency=2, preferred_provider=provider)
    other = make_request(make_scored_household(tree.grassroots, "0.5"), item, urgency=3)
    match_round = round_solve(county_cadre, round_create(county_cadre, tree.county))
    weights = dict(Match.objects.filter(round=match_round).values_list("request_id", "unit_weight"))
    # (need + 1) × urgency weight (policy defaults 1 / 2 / 4) × value factor × 1.2 preferred × 100, rounded
    assert weights[urgent.pk] == round(Decimal("43.37") * 2 * Decimal("1.5") * Decimal("1.2") * 100)  # 15613
    assert weights[other.pk] == round(Decimal("1.5") * 4 * Decimal("1.5") * 100)  # 900
    assert Match.objects.get(round=match_round, request=urgent).explanation["preferred_provider"] is True
    assert offer.fit_factor == Decimal("1.50")


def test_a_request_taken_by_a_department_frees_a_half_accepted_match(tree, world, county_cadre, provider_user):
    from bangfu.services.actions.requests import request_take
    from bangfu.services.models import ProviderAccount

    ProviderAccount.objects.create(provider=world["provider"], user=provider_user)
    requests = world["requests"]
    match_round = round_solve(county_cadre, round_create(county_cadre, tree.county))
    top = Match.objects.get(round=match_round, request=requests[3], state=MatchState.PROPOSED)
    match_actions.match_accept(provider_user, top)  # the provider said yes, the worker not yet
    request_take(county_cadre, requests[3], note="工会部室直接安排")
    top.refresh_from_db()
    assert top.state == MatchState.SUPERSEDED
    assert round_solve(county_cadre, round_create(county_cadre, tree.county)).stats["units_free"] == 3


def test_a_request_served_by_two_offers_is_taken_when_both_are_accepted(tree, county_cadre, provider_user):
    from bangfu.services.models import ProviderAccount

    item = make_item()
    provider = make_provider(tree.county)
    ProviderAccount.objects.create(provider=provider, user=provider_user)
    make_offer(provider, item, tree.county, capacity=1)
    make_offer(provider, item, tree.county, capacity=1)
    request = make_request(make_scored_household(tree.grassroots, "30"), item, quantity=2)
    match_round = round_solve(county_cadre, round_create(county_cadre, tree.county))
    first, second = Match.objects.filter(round=match_round, state=MatchState.PROPOSED).order_by("id")
    for match in (first,):
        match_actions.match_accept(provider_user, match)
        match_actions.match_accept(county_cadre, match)
    request.refresh_from_db()
    second.refresh_from_db()
    assert request.state == RequestState.SUBMITTED and second.state == MatchState.PROPOSED  # 1 of 2 units
    match_actions.match_accept(provider_user, second)
    match_actions.match_accept(county_cadre, second)
    request.refresh_from_db()
    assert request.state == RequestState.TAKEN


def test_an_offer_limited_to_divisions_reaches_only_households_living_there(tree, world, county_cadre):
    from bangfu.services.actions.offers import offer_problems

    offer = world["offer"]
    for codes, expected in ((["440111"], 0), (["440106"], 3), (["440100"], 3), (["440000", "510000"], 3)):
        offer.divisions = codes  # households live in 440106 (天河区, 广州市, 广东省)
        offer.save()
        match_round = round_solve(county_cadre, round_create(county_cadre, tree.county))
        assert len(allocated(match_round)) == expected, codes
    problems = offer_problems({"divisions": ["999999", "440106"], "item": world["item"], "title": "x",
                               "capacity": 1, "valid_from": timezone.localdate(),
                               "valid_until": timezone.localdate()})
    assert "999999" in problems["divisions"]
