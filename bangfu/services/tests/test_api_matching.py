"""Matching through the API: a county case worker runs a round, pins and forbids, solves (again); the provider
and the worker accept the match; what each of them sees of the other side; and another union's records, which
answer 404 everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.services.actions.providers import provider_account_link
from bangfu.services.models import Match, MatchState
from bangfu.services.tests.factories import make_item, make_offer, make_provider, make_request, make_scored_household
from bangfu.services.tests.test_api import API, api_as, fields, worker_household

MASKED_KEYS = {"id", "item", "item_name", "quantity", "urgency", "union_name", "beneficiary_name_masked"}


@pytest.fixture
def county_cadre(tree):
    return tree.user("countycadre", tree.county, Role.CASE_WORKER)


@pytest.fixture
def world(tree, provider_user, worker_user):
    """Three seats of a county offer; five requests: the worker's own household (need 70) and four others."""
    item = make_item()
    provider = make_provider(tree.county, name="蓝天培训学校")
    provider_account_link(None, provider, provider_user)
    offer = make_offer(provider, item, tree.county, capacity=3, title="电工培训班")
    own = worker_household(tree, worker_user)
    others = [make_scored_household(org, need, name="赵大海")
              for org, need in ((tree.grassroots, "10"), (tree.sibling, "50"), (tree.grassroots, "30"),
                                (tree.sibling, "20"))]
    base = timezone.now() - dt.timedelta(hours=3)
    requests = [make_request(h, item, submitted_at=base + dt.timedelta(minutes=i))
                for i, h in enumerate([own, *others])]
    return {"item": item, "provider": provider, "offer": offer, "own": own, "requests": requests}


def solved_round(client) -> dict:
    created = client.post(f"{API}/rounds/", {}, format="json")
    assert created.status_code == 201, created.content
    solved = client.post(f"{API}/rounds/{created.json()['id']}/solve/")
    assert solved.status_code == 200, solved.content
    return solved.json()


def match_rows(client, round_id) -> list[tuple]:
    rows = client.get(f"{API}/matches/", {"round": round_id, "limit": 500}).json()["results"]
    return sorted((m["id"], m["request"]["id"], m["units"], m["state"]) for m in rows)


def test_a_round_is_solved_with_its_figures_and_request_outcomes(tree, world, county_cadre):
    client = api_as(county_cadre)
    match_round = solved_round(client)
    assert match_round["org"] == tree.county.pk and match_round["state"] == "solved"
    assert match_round["stats"]["units_allocated"] == 3 and match_round["stats"]["requests"] == 5
    requests = world["requests"]  # needs 70, 10, 50, 30, 20: the seats go to 70, 50, 30
    assert {row[1] for row in match_rows(client, match_round["id"])} == {requests[0].pk, requests[2].pk,
                                                                          requests[3].pk}
    outcomes = client.get(f"{API}/round-requests/", {"round": match_round["id"]}).json()["results"]
    by_request = {o["request"]: o for o in outcomes}
    assert by_request[requests[1].pk]["reason"] == "capacity_taken"
    assert by_request[requests[1].pk]["units_allocated"] == 0 and by_request[requests[1].pk]["units_wanted"] == 1
    assert by_request[requests[0].pk]["reason"] == "matched"
    left_out = client.get(f"{API}/round-requests/", {"round": match_round["id"], "reason": "capacity_taken"})
    assert {o["request"] for o in left_out.json()["results"]} == {requests[1].pk, requests[4].pk}


def test_an_infeasible_pin_is_a_400_and_the_previous_matches_stay(tree, world, county_cadre):
    client = api_as(county_cadre)
    match_round = solved_round(client)
    before = match_rows(client, match_round["id"])
    rule_ids = []
    for request in world["requests"][:4]:  # four pinned seats of an offer that has three
        rule = client.post(f"{API}/pair-rules/", {"round": match_round["id"], "request": request.pk,
                                                  "offer": world["offer"].pk, "kind": "pin", "reason": "试一试"},
                           format="json")
        assert rule.status_code == 201, rule.content
        rule_ids.append(rule.json()["id"])
    refused = client.post(f"{API}/rounds/{match_round['id']}/solve/")
    assert refused.status_code == 400
    error = fields(refused)["non_field_errors"][0]
    after = client.get(f"{API}/rounds/{match_round['id']}/").json()
    assert after["state"] == "failed" and after["last_error"] == error
    assert after["solution_version"] == match_round["solution_version"]
    assert match_rows(client, match_round["id"]) == before
    # Without the pins it solves again.
    for rule_id in rule_ids:
        assert client.delete(f"{API}/pair-rules/{rule_id}/").status_code == 204
    assert client.get(f"{API}/pair-rules/", {"round": match_round["id"]}).json()["results"] == []
    again = client.post(f"{API}/rounds/{match_round['id']}/solve/")
    assert again.status_code == 200 and again.json()["state"] == "solved" and again.json()["last_error"] == ""


def test_a_pin_and_a_forbid_change_the_next_solution(tree, world, county_cadre):
    client = api_as(county_cadre)
    match_round = solved_round(client)
    requests, offer = world["requests"], world["offer"]
    for request, kind in ((requests[1], "pin"), (requests[0], "forbid")):
        rule = client.post(f"{API}/pair-rules/", {"round": match_round["id"], "request": request.pk,
                                                  "offer": offer.pk, "kind": kind, "reason": "家中突发变故"},
                           format="json")
        assert rule.status_code == 201, rule.content
    no_reason = client.post(f"{API}/pair-rules/", {"round": match_round["id"], "request": requests[4].pk,
                                                   "offer": offer.pk, "kind": "pin"}, format="json")
    assert no_reason.status_code == 400 and "reason" in fields(no_reason)
    solved = client.post(f"{API}/rounds/{match_round['id']}/solve/").json()
    live = {row[1] for row in match_rows(client, match_round["id"]) if row[3] == MatchState.PROPOSED}
    assert live == {requests[1].pk, requests[2].pk, requests[3].pk}
    assert solved["stats"]["pins"] == 1


def test_a_provider_sees_only_masked_requests_matched_to_its_offers(tree, world, county_cadre,
                                                                  provider_user):
    solved_round(api_as(county_cadre))
    requests = world["requests"]
    client = api_as(provider_user)
    listed = client.get(f"{API}/requests/").json()["results"]
    assert {r["id"] for r in listed} == {requests[0].pk, requests[2].pk, requests[3].pk}
    assert all(set(r) == MASKED_KEYS for r in listed)
    own = next(r for r in listed if r["id"] == requests[0].pk)
    assert own["beneficiary_name_masked"] == "王**" and own["union_name"] == tree.grassroots.name
    body = client.get(f"{API}/requests/{requests[0].pk}/").content.decode()
    assert "王小明" not in body and world["own"].archive_number not in body
    assert client.get(f"{API}/requests/{requests[1].pk}/").status_code == 404  # not matched to its offers
    assert client.get(f"{API}/requests/", {"household": world["own"].pk}).json()["results"] == []
    matches = client.get(f"{API}/matches/").json()["results"]
    assert len(matches) == 3
    for match in matches:
        assert "need_score" not in match["explanation"] and "need_top_percent" in match["explanation"]
        assert "unit_weight" not in match and "archive_number" not in match
        assert set(match["request"]) == MASKED_KEYS
    # Staff see the whole explanation.
    staff_view = api_as(county_cadre).get(f"{API}/matches/{matches[0]['id']}/").json()
    assert staff_view["explanation"]["need_score"] and staff_view["unit_weight"] > 0
    assert staff_view["archive_number"]


def test_accepted_by_the_provider_then_the_worker_the_request_is_taken(tree, world, county_cadre,
                                                                      provider_user, worker_user):
    solved_round(api_as(county_cadre))
    request = world["requests"][0]  # the worker's own household's
    worker = api_as(worker_user)
    (match,) = worker.get(f"{API}/matches/").json()["results"]  # only their own household's
    assert match["request"]["id"] == request.pk and "need_score" not in match["explanation"]
    provider = api_as(provider_user)
    accepted = provider.post(f"{API}/matches/{match['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["state"] == MatchState.PROVIDER_ACCEPTED
    twice = provider.post(f"{API}/matches/{match['id']}/accept/")
    assert twice.status_code == 400 and fields(twice)["non_field_errors"]
    both = worker.post(f"{API}/matches/{match['id']}/accept/")
    assert both.status_code == 200 and both.json()["state"] == MatchState.ACCEPTED
    taken = worker.get(f"{API}/requests/{request.pk}/").json()
    assert taken["state"] == "taken" and taken["taken_by_provider"] == world["provider"].pk
    # The worker does not record the delivery; the provider does.
    assert worker.post(f"{API}/matches/{match['id']}/deliver/", {"note": "x"}, format="json").status_code == 404
    no_note = provider.post(f"{API}/matches/{match['id']}/deliver/", {}, format="json")
    assert no_note.status_code == 400 and "note" in fields(no_note)
    delivered = provider.post(f"{API}/matches/{match['id']}/deliver/", {"note": "已完成培训"}, format="json")
    assert delivered.status_code == 200 and delivered.json()["state"] == MatchState.DELIVERED
    assert worker.get(f"{API}/requests/{request.pk}/").json()["state"] == "fulfilled"


def test_a_declined_match_needs_a_reason_and_leaves_the_lists(tree, world, county_cadre, provider_user):
    solved_round(api_as(county_cadre))
    provider = api_as(provider_user)
    match = provider.get(f"{API}/matches/").json()["results"][0]
    bare = provider.post(f"{API}/matches/{match['id']}/decline/", {}, format="json")
    assert bare.status_code == 400 and "reason" in fields(bare)
    declined = provider.post(f"{API}/matches/{match['id']}/decline/", {"reason": "本期名额调整"}, format="json")
    assert declined.status_code == 200 and declined.json()["state"] == MatchState.DECLINED
    # A declined match is no longer the provider's to see, nor is its request.
    assert provider.get(f"{API}/matches/{match['id']}/").status_code == 404
    assert provider.get(f"{API}/requests/{match['request']['id']}/").status_code == 404


def test_another_union_gets_404_on_every_detail_endpoint(tree, world, county_cadre, outsider):
    """The sibling union's case worker: the county's round, its matches, outcomes and pins, the county's provider
    and offer, and a grassroots household's request are all 404 — for reading and for every action."""
    staff = api_as(county_cadre)
    match_round = solved_round(staff)
    request = world["requests"][0]  # a grassroots household's
    rule = staff.post(f"{API}/pair-rules/", {"round": match_round["id"], "request": request.pk,
                                             "offer": world["offer"].pk, "kind": "pin", "reason": "急需"},
                      format="json").json()
    match = Match.objects.filter(round_id=match_round["id"], request=request).first()
    outcome = staff.get(f"{API}/round-requests/", {"round": match_round["id"]}).json()["results"][0]
    details = {
        f"{API}/providers/{world['provider'].pk}/": ["decide"],
        f"{API}/offers/{world['offer'].pk}/": ["submit", "moderate", "withdraw"],
        f"{API}/requests/{request.pk}/": ["take", "decline", "fulfil", "sign-off"],
        f"{API}/rounds/{match_round['id']}/": ["solve"],
        f"{API}/matches/{match.pk}/": ["accept", "decline", "deliver"],
        f"{API}/round-requests/{outcome['id']}/": [],
        f"{API}/pair-rules/{rule['id']}/": [],
    }
    sibling = api_as(outsider)
    reviewer = api_as(tree.user("siblingrev", tree.sibling, Role.REVIEWER))
    for url, actions in details.items():
        assert staff.get(url).status_code == 200, url  # the URL names a real record
        for client in (sibling, reviewer):
            assert client.get(url).status_code == 404, url
            assert client.patch(url, {"title": "x"}, format="json").status_code in (404, 405), url
            for name in actions:
                assert client.post(f"{url}{name}/", {"reason": "x", "note": "x", "decision": "publish"},
                                   format="json").status_code == 404, (url, name)
    assert sibling.delete(f"{API}/pair-rules/{rule['id']}/").status_code == 404
    # Lists show none of it; a pin on another union's round is refused like a missing round.
    assert sibling.get(f"{API}/matches/").json()["results"] == []
    assert sibling.get(f"{API}/rounds/").json()["results"] == []
    foreign = sibling.post(f"{API}/pair-rules/", {"round": match_round["id"], "request": request.pk,
                                                  "offer": world["offer"].pk, "kind": "forbid", "reason": "x"},
                           format="json")
    assert foreign.status_code == 400 and set(fields(foreign)) == {"round"}
    assert world["offer"].title not in sibling.get(f"{API}/offers/").content.decode()
