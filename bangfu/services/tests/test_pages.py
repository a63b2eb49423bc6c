"""The offer, provider, request and match pages as their users act: a provider drafts an offer (bad input
refused at the fields), submits it; a reviewer publishes it; a round proposes; the provider accepts and records
the delivery; the county signs off. Another union's records are 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.services.actions import matches as match_actions
from bangfu.services.actions.rounds import round_create, round_solve
from bangfu.services.models import Match, Offer, OfferState, ProviderAccount, RequestState
from bangfu.services.tests.factories import make_item, make_provider, make_request, make_scored_household


@pytest.fixture
def provider_world(tree, provider_user):
    provider = make_provider(tree.county, name="天河职业技能学校")
    ProviderAccount.objects.create(provider=provider, user=provider_user)
    return {"provider": provider, "item": make_item()}


def _offer_post(item, area, **overrides):
    today = timezone.localdate()
    data = {"item": item.pk, "title": "电工培训", "area_org": area.pk, "capacity": 3, "unit_value": "1200",
            "valid_from": today.isoformat(), "valid_until": (today + dt.timedelta(days=30)).isoformat()}
    data.update(overrides)
    return data


def test_bad_offers_are_refused_at_their_fields(tree, provider_world, provider_user, signed_in_en):
    client = signed_in_en(provider_user)
    today = timezone.localdate()
    response = client.post("/services/offers/new/", _offer_post(
        provider_world["item"], tree.county, capacity=-2,
        valid_until=(today - dt.timedelta(days=3)).isoformat()))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="error-capacity"' in page and "from 1 to 1000000" in page
    assert 'data-testid="error-valid_until"' in page and "cannot end before it starts" in page
    response = client.post("/services/offers/new/", _offer_post(provider_world["item"], tree.other_grassroots))
    assert response.status_code == 400  # another province: not in the choices
    assert not Offer.objects.exists()


def test_offer_to_delivery_through_the_pages(tree, provider_world, provider_user, county_reviewer, signed_in_en):
    provider_client = signed_in_en(provider_user)
    response = provider_client.post("/services/offers/new/", _offer_post(provider_world["item"], tree.county))
    offer = Offer.objects.get()
    assert response.status_code == 302 and offer.state == OfferState.DRAFT
    provider_client.post(f"/services/offers/{offer.pk}/submit/")
    reviewer = signed_in_en(county_reviewer)
    assert f'data-testid="offer-{offer.pk}"' in reviewer.get("/services/offers/").content.decode()  # the queue
    reviewer.post(f"/services/offers/{offer.pk}/publish/")
    offer.refresh_from_db()
    assert offer.state == OfferState.PUBLISHED and offer.moderated_by == county_reviewer

    base = timezone.now() - dt.timedelta(hours=1)
    requests = [make_request(make_scored_household(tree.grassroots, need), provider_world["item"],
                             submitted_at=base + dt.timedelta(minutes=i)) for i, need in enumerate(["9", "80"])]
    round_solve(county_reviewer, round_create(county_reviewer, tree.county))
    page = provider_client.get("/services/matches/").content.decode()
    match = Match.objects.get(request=requests[1], state="proposed")
    assert f'data-testid="match-{match.pk}"' in page
    assert requests[1].household.archive_number not in page and "80.00" not in page  # no archive, no score
    provider_client.post(f"/services/matches/{match.pk}/accept/")
    match_actions.match_accept(county_reviewer, match)  # the worker's answer (portal), recorded here
    provider_client.post(f"/services/matches/{match.pk}/deliver/", {"note": "已完成 5 天培训，发放结业证"})
    requests[1].refresh_from_db()
    assert requests[1].state == RequestState.FULFILLED
    reviewer.post(f"/services/requests/{requests[1].pk}/sign-off/")
    requests[1].refresh_from_db()
    assert requests[1].state == RequestState.SIGNED_OFF and requests[1].signed_off_by == county_reviewer


def test_decline_needs_a_reason_and_a_grassroots_union_cannot_sign_off(tree, provider_world, grassroots_cadre,
                                                                       signed_in_en):
    request = make_request(make_scored_household(tree.grassroots, "10"), provider_world["item"])
    client = signed_in_en(grassroots_cadre)
    client.post(f"/services/requests/{request.pk}/decline/", {"note": ""})
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED
    client.post(f"/services/requests/{request.pk}/decline/", {"note": "本季度名额已满，下季度优先安排"})
    request.refresh_from_db()
    assert request.state == RequestState.DECLINED


def test_other_unions_records_are_not_found(tree, provider_world, outsider, signed_in):
    request = make_request(make_scored_household(tree.grassroots, "10"), provider_world["item"])
    client = signed_in(outsider)
    assert client.get(f"/services/requests/{request.pk}/").status_code == 404
    assert client.post(f"/services/requests/{request.pk}/take/").status_code == 404
    assert client.get(f"/services/providers/{provider_world['provider'].pk}/").status_code == 404


def test_a_worker_cannot_open_staff_or_provider_pages(tree, worker_user, signed_in):
    client = signed_in(worker_user)
    for url in ("/services/offers/", "/services/requests/", "/services/rounds/", "/services/matches/"):
        assert client.get(url).status_code == 404


def test_provider_registration_and_verification(tree, county_reviewer, grassroots_cadre, signed_in_en):
    cadre = signed_in_en(grassroots_cadre)
    response = cadre.post("/services/providers/new/", {"name": "爱心超市", "kind": "company", "credit_code": "12345",
                                                       "contact_name": "王五", "contact_phone": "123"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "unified social credit code has 18" in page and "mobile number" in page
    response = cadre.post("/services/providers/new/", {"name": "爱心超市", "kind": "company",
                                                       "credit_code": "91440106MA5CXXXX0A",
                                                       "contact_name": "王五", "contact_phone": "13912345678"})
    assert response.status_code == 302
    from bangfu.services.models import Provider

    provider = Provider.objects.get(name="爱心超市")
    assert provider.state == "pending" and provider.org == tree.grassroots
    signed_in_en(county_reviewer).post(f"/services/providers/{provider.pk}/verified/")
    provider.refresh_from_db()
    assert provider.state == "verified" and provider.decided_by == county_reviewer
    assert cadre.post(f"/services/providers/{provider.pk}/verified/").status_code == 404  # not a reviewer


def test_donation_receipt_for_the_donor_and_nothing_for_training(tree, provider_world, provider_user, county_reviewer,
                                                                 signed_in_en, outsider, signed_in):
    from decimal import Decimal

    from bangfu.services.tests.factories import make_offer

    goods = make_item(code="rice", kind="donation_goods", unit="bag", reference_value=Decimal("100"))
    make_offer(provider_world["provider"], goods, tree.county, capacity=5, unit_value=Decimal("120"))
    request = make_request(make_scored_household(tree.grassroots, "40"), goods, quantity=2)
    round_solve(county_reviewer, round_create(county_reviewer, tree.county))
    match = Match.objects.get(request=request, state="proposed")
    match_actions.match_accept(provider_user, match)
    match_actions.match_accept(county_reviewer, match)
    provider_client = signed_in_en(provider_user)
    url = f"/services/requests/{request.pk}/receipt/"
    assert provider_client.get(url).status_code == 404  # not delivered yet
    provider_client.post(f"/services/matches/{match.pk}/deliver/", {"note": "两袋大米已送到"})
    page = provider_client.get(url).content.decode()
    assert "Donation receipt" in page and 'data-testid="receipt-total">240.00<' in page
    assert request.household.archive_number not in page and request.household.head_name_masked not in page
    assert signed_in(outsider).get(url).status_code == 404
