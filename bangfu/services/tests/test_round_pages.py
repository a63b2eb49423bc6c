"""The round pages as a cadre uses them: create, solve, read the reasons, pin a pair with bad input, and
another union's round is a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.services.models import MatchRound, PairRule
from bangfu.services.tests.factories import make_item, make_offer, make_provider, make_request, make_scored_household


@pytest.fixture
def county_cadre(tree):
    return tree.user("countycadre", tree.county, Role.CASE_WORKER)


@pytest.fixture
def scene(tree):
    item = make_item()
    offer = make_offer(make_provider(tree.county), item, tree.county, capacity=2)
    base = timezone.now() - dt.timedelta(hours=2)
    requests = [make_request(make_scored_household(tree.grassroots, need), item,
                             submitted_at=base + dt.timedelta(minutes=i)) for i, need in enumerate(["5", "60", "40"])]
    return {"offer": offer, "requests": requests}


def test_create_solve_and_read_the_reasons(tree, scene, county_cadre, signed_in_en):
    client = signed_in_en(county_cadre)
    response = client.post("/services/rounds/new/")
    match_round = MatchRound.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/services/rounds/{match_round.pk}/"
    assert match_round.org == tree.county
    client.post(f"/services/rounds/{match_round.pk}/solve/")
    page = client.get(f"/services/rounds/{match_round.pk}/").content.decode()
    requests = scene["requests"]
    assert f'data-testid="match-{requests[1].pk}"' in page and f'data-testid="match-{requests[2].pk}"' in page
    assert f'data-testid="left-{requests[0].pk}"' in page
    assert "Eligible capacity went to households with higher need or urgency" in page
    assert "need score 60.00 (top 34 % of the round)" in page


def test_a_pin_with_bad_input_is_refused_at_its_fields(tree, scene, county_cadre, signed_in_en):
    client = signed_in_en(county_cadre)
    client.post("/services/rounds/new/")
    match_round = MatchRound.objects.get()
    response = client.post(f"/services/rounds/{match_round.pk}/rules/",
                           {"request_id": 999999, "offer_id": scene["offer"].pk, "kind": "pin", "units": 1,
                            "reason": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page
    response = client.post(f"/services/rounds/{match_round.pk}/rules/",
                           {"request_id": 999999, "offer_id": scene["offer"].pk, "kind": "pin", "units": 1,
                            "reason": "急需"})
    assert response.status_code == 400
    assert "Choose a request of a household of this round&#x27;s union." in response.content.decode()
    assert not PairRule.objects.exists()
    # Three pins on a two-seat offer: saved, but the solve refuses them and says why.
    for r in scene["requests"]:
        client.post(f"/services/rounds/{match_round.pk}/rules/",
                    {"request_id": r.pk, "offer_id": scene["offer"].pk, "kind": "pin", "units": 1, "reason": "急需"})
    client.post(f"/services/rounds/{match_round.pk}/solve/")
    page = client.get(f"/services/rounds/{match_round.pk}/").content.decode()
    assert "ask for 3 units; it has 2 free" in page


def test_another_unions_round_is_not_found(tree, scene, county_cadre, signed_in, outsider):
    client = signed_in(county_cadre)
    client.post("/services/rounds/new/")
    match_round = MatchRound.objects.get()
    other = signed_in(outsider)
    for url in (f"/services/rounds/{match_round.pk}/",):
        assert other.get(url).status_code == 404
    for url in (f"/services/rounds/{match_round.pk}/solve/", f"/services/rounds/{match_round.pk}/rules/"):
        assert other.post(url, {}).status_code == 404
