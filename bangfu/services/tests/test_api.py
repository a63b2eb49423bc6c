"""The service platform's API as its users act through it (tokens, JSON): providers registered and verified by a
union, offers created by a provider's account and moderated by the area's reviewer, requests ordered by workers
and case workers — each seeing only what they may (another union's record answers 404)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangfu.services.actions.providers import provider_account_link
from bangfu.services.models import Offer, OfferState, Provider, ProviderState, ServiceRequest
from bangfu.services.tests.factories import make_item, make_offer, make_provider, make_scored_household

API = "/api/v1/services"


def api_as(user) -> APIClient:
    """An API client that sends the user's token (as an integration would), asking for English messages."""
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")
    return client


@pytest.fixture
def item(db):
    return make_item()


@pytest.fixture
def provider(tree, provider_user):
    """A verified provider registered with the county, acting through `provider_user`."""
    provider = make_provider(tree.county, name="蓝天培训学校")
    provider.credit_code = "52440106MJL000001X"
    provider.save(update_fields=["credit_code"])
    provider_account_link(None, provider, provider_user)
    return provider


def fields(response) -> dict:
    return response.json().get("fields", {})


def offer_body(item, area_org, **changes) -> dict:
    today = timezone.localdate()
    body = {"item": item.pk, "title": "电工培训", "area_org": area_org.pk, "capacity": 5, "unit_value": "800.00",
            "valid_from": today.isoformat(), "valid_until": (today + dt.timedelta(days=30)).isoformat(),
            "categories": ["A_dibao"], "certificate": "低压电工证"}
    body.update(changes)
    return body


def worker_household(tree, worker_user, org=None):
    household = make_scored_household(org or tree.grassroots, "40", name="王小明")
    head = household.members.get(is_head=True)
    head.account = worker_user
    head.save(update_fields=["account"])
    return household


# --- providers ---------------------------------------------------------------------------------------------------


def test_staff_register_a_provider_and_a_reviewer_verifies_it(tree, county_reviewer, grassroots_cadre):
    cadre = api_as(grassroots_cadre)
    registered = cadre.post(f"{API}/providers/", {
        "name": "爱心家政公司", "kind": "company", "credit_code": "91440106MA5CXXXX1Y", "contact_name": "李四",
        "contact_phone": "13800138000"}, format="json")
    assert registered.status_code == 201, registered.content
    provider = registered.json()
    assert provider["org"] == tree.grassroots.pk and provider["state"] == ProviderState.PENDING
    # A case worker does not verify; the county's reviewer does (the grassroots union is in its subtree).
    assert cadre.post(f"{API}/providers/{provider['id']}/decide/", {"decision": "verify"},
                      format="json").status_code == 404
    reviewer = api_as(county_reviewer)
    no_reason = reviewer.post(f"{API}/providers/{provider['id']}/decide/", {"decision": "reject"}, format="json")
    assert no_reason.status_code == 400 and "note" in fields(no_reason)
    verified = reviewer.post(f"{API}/providers/{provider['id']}/decide/", {"decision": "verify"}, format="json")
    assert verified.status_code == 200 and verified.json()["state"] == ProviderState.VERIFIED


def test_registration_errors_come_back_by_field(tree, grassroots_cadre):
    cadre = api_as(grassroots_cadre)
    refused = cadre.post(f"{API}/providers/", {"name": "", "kind": "ngo", "contact_name": "李四",
                                                "contact_phone": "12345"}, format="json")
    assert refused.status_code == 400
    assert {"name", "credit_code", "contact_phone"} <= set(fields(refused))
    above = cadre.post(f"{API}/providers/", {"name": "个人", "kind": "individual", "contact_name": "李四",
                                              "contact_phone": "13800138000", "org": tree.county.pk}, format="json")
    assert above.status_code == 400 and "org" in fields(above)
    assert not Provider.objects.exists()


def test_a_provider_account_reads_and_updates_only_its_own_record(tree, provider, provider_user):
    other = make_provider(tree.county, name="别家公司")
    client = api_as(provider_user)
    assert [p["id"] for p in client.get(f"{API}/providers/").json()["results"]] == [provider.pk]
    assert client.get(f"{API}/providers/{other.pk}/").status_code == 404
    assert client.patch(f"{API}/providers/{other.pk}/", {"address": "x"}, format="json").status_code == 404
    changed = client.patch(f"{API}/providers/{provider.pk}/", {"address": "天河路1号"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["address"] == "天河路1号"
    # A provider does not verify itself.
    assert client.post(f"{API}/providers/{provider.pk}/decide/", {"decision": "verify"},
                       format="json").status_code == 404


# --- offers ------------------------------------------------------------------------------------------------------


def test_a_provider_creates_and_submits_an_offer_and_the_reviewer_publishes_it(
        tree, item, provider, provider_user, county_reviewer, worker_user):
    client = api_as(provider_user)
    created = client.post(f"{API}/offers/", offer_body(item, tree.county), format="json")
    assert created.status_code == 201, created.content
    offer = created.json()
    assert offer["state"] == OfferState.DRAFT and offer["provider"] == provider.pk
    assert offer["categories"] == ["A_dibao"]
    submitted = client.post(f"{API}/offers/{offer['id']}/submit/")
    assert submitted.status_code == 200 and submitted.json()["state"] == OfferState.SUBMITTED
    # Submitting twice is refused with the write function's message.
    again = client.post(f"{API}/offers/{offer['id']}/submit/")
    assert again.status_code == 400 and fields(again)["non_field_errors"]
    # The provider does not moderate its own offer.
    assert client.post(f"{API}/offers/{offer['id']}/moderate/", {"decision": "publish"},
                       format="json").status_code == 404
    reviewer = api_as(county_reviewer)
    bare_rejection = reviewer.post(f"{API}/offers/{offer['id']}/moderate/", {"decision": "reject"}, format="json")
    assert bare_rejection.status_code == 400 and "note" in fields(bare_rejection)
    published = reviewer.post(f"{API}/offers/{offer['id']}/moderate/", {"decision": "publish"}, format="json")
    assert published.status_code == 200 and published.json()["state"] == OfferState.PUBLISHED
    # A worker of the area sees it in the feed.
    worker_household(tree, worker_user)
    feed = api_as(worker_user).get(f"{API}/offers/").json()["results"]
    assert [o["id"] for o in feed] == [offer["id"]]
    # Changing the terms of a published offer sends it back to moderation.
    changed = client.patch(f"{API}/offers/{offer['id']}/", {"capacity": 8}, format="json")
    assert changed.status_code == 200 and changed.json()["state"] == OfferState.SUBMITTED
    assert changed.json()["capacity"] == 8
    withdrawn = client.post(f"{API}/offers/{offer['id']}/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == OfferState.WITHDRAWN


@pytest.mark.parametrize("changes, field", [
    ({"capacity": -3}, "capacity"),
    ({"capacity": 0}, "capacity"),
    ({"valid_from": "2026-09-10", "valid_until": "2026-09-01"}, "valid_until"),
    ({"unit_value": "-1.00"}, "unit_value"),
    ({"area_org": "other_province"}, "area_org"),  # outside the union the provider registered with
    ({"categories": ["none"]}, "categories"),
])
def test_an_invalid_offer_is_a_400_naming_the_field(tree, item, provider, provider_user, changes, field):
    if changes.get("area_org") == "other_province":
        changes = {"area_org": tree.other_province.pk}
    body = {**offer_body(item, tree.county), **changes}
    answer = api_as(provider_user).post(f"{API}/offers/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in fields(answer)
    assert not Offer.objects.exists()


def test_an_invalid_change_of_an_offer_is_refused_and_nothing_changes(tree, item, provider, provider_user):
    offer = make_offer(provider, item, tree.county, capacity=4, state=OfferState.DRAFT)
    answer = api_as(provider_user).patch(f"{API}/offers/{offer.pk}/", {"valid_until": "2000-01-01"}, format="json")
    assert answer.status_code == 400 and "valid_until" in fields(answer)
    offer.refresh_from_db()
    assert offer.valid_until > timezone.localdate()


def test_a_provider_sees_only_its_own_offers(tree, item, provider, provider_user):
    own = make_offer(provider, item, tree.county)
    other = make_offer(make_provider(tree.county), item, tree.county)
    client = api_as(provider_user)
    assert [o["id"] for o in client.get(f"{API}/offers/").json()["results"]] == [own.pk]
    assert client.get(f"{API}/offers/{other.pk}/").status_code == 404
    assert client.patch(f"{API}/offers/{other.pk}/", {"title": "x"}, format="json").status_code == 404
    assert client.post(f"{API}/offers/{other.pk}/withdraw/").status_code == 404


def test_staff_enter_an_offer_for_a_provider_of_their_subtree(tree, item, provider, grassroots_cadre, worker_user):
    local = make_provider(tree.grassroots, name="甲社区志愿队")
    cadre = api_as(grassroots_cadre)
    created = cadre.post(f"{API}/offers/", {**offer_body(item, tree.grassroots), "provider": local.pk},
                         format="json")
    assert created.status_code == 201, created.content
    assert created.json()["provider"] == local.pk
    # The county's provider is not the grassroots union's to speak for; naming none is refused the same way.
    for body in ({**offer_body(item, tree.grassroots), "provider": provider.pk}, offer_body(item, tree.grassroots)):
        refused = cadre.post(f"{API}/offers/", body, format="json")
        assert refused.status_code == 400 and set(fields(refused)) == {"provider"}
    # A worker orders; they do not offer.
    worker_household(tree, worker_user)
    assert api_as(worker_user).post(f"{API}/offers/", offer_body(item, tree.grassroots),
                                    format="json").status_code == 404
    assert Offer.objects.count() == 1


# --- requests ----------------------------------------------------------------------------------------------------


def test_a_case_worker_orders_for_a_household_of_the_union(tree, item, grassroots_cadre):
    household = make_scored_household(tree.grassroots, "30")
    answer = api_as(grassroots_cadre).post(f"{API}/requests/", {
        "household": household.pk, "item": item.pk, "quantity": 2, "urgency": 2, "preferences": "周末"},
        format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["household"] == household.pk and body["state"] == "submitted" and body["via_portal"] is False
    assert body["member"] == household.members.get(is_head=True).pk  # the head by default
    assert body["archive_number"] == household.archive_number


def test_a_household_the_user_cannot_see_is_refused_like_a_missing_one(tree, item, grassroots_cadre):
    sibling_household = make_scored_household(tree.sibling, "30")
    client = api_as(grassroots_cadre)
    other = client.post(f"{API}/requests/", {"household": sibling_household.pk, "item": item.pk}, format="json")
    missing = client.post(f"{API}/requests/", {"household": sibling_household.pk + 1000, "item": item.pk},
                          format="json")
    assert other.status_code == missing.status_code == 400
    assert other.json() == missing.json()
    assert set(fields(other)) == {"household"}
    assert sibling_household.archive_number not in other.content.decode()
    assert not ServiceRequest.objects.exists()


def test_a_worker_orders_for_their_own_household_only(tree, item, worker_user):
    own = worker_household(tree, worker_user)
    neighbour = make_scored_household(tree.grassroots, "80")
    client = api_as(worker_user)
    ordered = client.post(f"{API}/requests/", {"household": own.pk, "item": item.pk}, format="json")
    assert ordered.status_code == 201, ordered.content
    assert ordered.json()["via_portal"] is True
    refused = client.post(f"{API}/requests/", {"household": neighbour.pk, "item": item.pk}, format="json")
    assert refused.status_code == 400 and set(fields(refused)) == {"household"}
    # A member of another household cannot be named either.
    other_member = neighbour.members.get(is_head=True)
    wrong_member = client.post(f"{API}/requests/", {"household": own.pk, "member": other_member.pk,
                                                    "item": item.pk}, format="json")
    assert wrong_member.status_code == 400 and "member" in fields(wrong_member)
    listed = client.get(f"{API}/requests/").json()["results"]
    assert [r["household"] for r in listed] == [own.pk]
    # A worker does not answer requests, not even their own.
    assert client.post(f"{API}/requests/{listed[0]['id']}/take/", {}, format="json").status_code == 404


def test_invalid_orders_come_back_by_field(tree, item, grassroots_cadre):
    household = make_scored_household(tree.grassroots, "30")
    client = api_as(grassroots_cadre)
    answer = client.post(f"{API}/requests/", {"household": household.pk, "item": item.pk, "quantity": 0},
                         format="json")
    assert answer.status_code == 400 and set(fields(answer)) == {"quantity"}
    item.is_active = False
    item.save()
    off_menu = client.post(f"{API}/requests/", {"household": household.pk, "item": item.pk}, format="json")
    assert off_menu.status_code == 400 and "item" in fields(off_menu)


def test_a_department_takes_declines_and_the_county_signs_off(tree, item, grassroots_cadre,
                                                              county_reviewer):
    household = make_scored_household(tree.grassroots, "30")
    client = api_as(grassroots_cadre)
    first = client.post(f"{API}/requests/", {"household": household.pk, "item": item.pk}, format="json").json()
    second = client.post(f"{API}/requests/", {"household": household.pk, "item": item.pk}, format="json").json()
    no_reason = client.post(f"{API}/requests/{second['id']}/decline/", {}, format="json")
    assert no_reason.status_code == 400 and "reason" in fields(no_reason)
    declined = client.post(f"{API}/requests/{second['id']}/decline/", {"reason": "本季度名额已满"}, format="json")
    assert declined.status_code == 200 and declined.json()["declined_reason"] == "本季度名额已满"
    taken = client.post(f"{API}/requests/{first['id']}/take/", {"note": "工会直接办理"}, format="json")
    assert taken.status_code == 200 and taken.json()["state"] == "taken"
    no_note = client.post(f"{API}/requests/{first['id']}/fulfil/", {}, format="json")
    assert no_note.status_code == 400 and "note" in fields(no_note)
    assert client.post(f"{API}/requests/{first['id']}/fulfil/", {"note": "已发放"},
                       format="json").json()["state"] == "fulfilled"
    # Only the county (or above) signs off: the grassroots case worker holds no such permission.
    assert client.post(f"{API}/requests/{first['id']}/sign-off/").status_code == 404
    signed = api_as(county_reviewer).post(f"{API}/requests/{first['id']}/sign-off/")
    assert signed.status_code == 200 and signed.json()["state"] == "signed_off"
    listed = client.get(f"{API}/requests/", {"state": "declined"}).json()["results"]
    assert [r["id"] for r in listed] == [second["id"]]
