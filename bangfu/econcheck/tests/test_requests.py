"""Selecting households and making requests: pages and API, authorisation and scope rules."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangfu.econcheck.models import CheckRequest, CheckRequestItem, RequestState
from bangfu.econcheck.tests.factories import authorised
from bangfu.registry.models import State
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_selection_lists_only_authorised_households_as_selectable(tree, grassroots_cadre, signed_in_en):
    ok = authorised(tree.grassroots, name="李可选")
    withdrawn = authorised(tree.grassroots, withdrawn_on=dt.date(2026, 5, 1))
    never = make_household(tree.grassroots, state=State.ECONOMIC_CHECK)
    active = authorised(tree.grassroots, state=State.ACTIVE)
    elsewhere = authorised(tree.sibling)
    page = signed_in_en(grassroots_cadre).get("/economic-checks/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="households" value="{ok.pk}"' in html
    for household in (withdrawn, never):
        assert f'name="households" value="{household.pk}"' not in html
        assert household.archive_number in html  # listed, not selectable
    assert html.count('data-testid="no-authorisation"') == 2
    assert f"/households/{never.pk}/consents/" in html  # the link to record the authorisation
    assert active.archive_number not in html  # default: households in the economic-check step only
    assert elsewhere.archive_number not in html
    annual = signed_in_en(grassroots_cadre).get("/economic-checks/new/?scope=open").content.decode()
    assert f'name="households" value="{active.pk}"' in annual


def test_request_made_on_the_page_holds_every_member(tree, grassroots_cadre, signed_in_en):
    household = authorised(tree.grassroots, size=3)
    response = signed_in_en(grassroots_cadre).post("/economic-checks/new/", {
        "households": [household.pk], "items": ["dibao", "real_estate", "vehicles"], "note": "年审"})
    check_request = CheckRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/economic-checks/{check_request.pk}/"
    assert check_request.state == RequestState.DRAFT
    assert check_request.number.startswith(f"HD-{tree.grassroots.code}-{dt.date.today():%Y%m%d}-")
    assert check_request.items_checked == ["dibao", "real_estate", "vehicles"]
    items = list(check_request.items.order_by("seq"))
    assert len(items) == 3
    assert [i.reference for i in items] == [f"{check_request.number}-{n:04d}" for n in (1, 2, 3)]
    members = {m.identity_hash for m in household.members.all()}
    assert {i.identity_hash for i in items} == members
    assert all(i.consent_signed_on == dt.date(2026, 3, 2) for i in items)


def test_unauthorised_and_withdrawn_households_are_refused_and_nothing_is_written(tree, grassroots_cadre,
                                                                                   signed_in_en):
    ok = authorised(tree.grassroots)
    withdrawn = authorised(tree.grassroots, withdrawn_on=dt.date(2026, 5, 1))
    never = make_household(tree.grassroots, state=State.ECONOMIC_CHECK)
    response = signed_in_en(grassroots_cadre).post("/economic-checks/new/", {
        "households": [ok.pk, withdrawn.pk, never.pk], "items": ["dibao"]})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Archive {withdrawn.archive_number}: no authorisation of the economic check on file" in html
    assert f"Archive {never.archive_number}: no authorisation of the economic check on file" in html
    assert not CheckRequest.objects.exists() and not CheckRequestItem.objects.exists()


def test_a_household_in_an_unanswered_request_is_not_requested_twice(tree, grassroots_cadre):
    household = authorised(tree.grassroots)
    client = api(grassroots_cadre)
    first = client.post("/api/v1/check-requests/", {"households": [household.pk]}, format="json")
    assert first.status_code == 201, first.content
    second = client.post("/api/v1/check-requests/", {"households": [household.pk]}, format="json")
    assert second.status_code == 400
    message = second.json()["fields"]["households"][0]
    assert household.archive_number in message and first.json()["number"] in message
    assert CheckRequest.objects.count() == 1
    # Once the first request is cancelled, the household may be requested again.
    cancelled = client.post(f"/api/v1/check-requests/{first.json()['id']}/cancel/", {"reason": "重做"},
                            format="json")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert client.post("/api/v1/check-requests/", {"households": [household.pk]}, format="json").status_code == 201


def test_another_unions_household_is_refused_without_naming_it(tree, grassroots_cadre, outsider):
    theirs = authorised(tree.sibling, name="王隐秘")
    response = api(grassroots_cadre).post("/api/v1/check-requests/", {"households": [theirs.pk]}, format="json")
    assert response.status_code == 400
    body = response.content.decode()
    assert "not among those you may see" in body
    assert theirs.archive_number not in body and "王" not in body
    assert not CheckRequest.objects.exists()


def test_another_unions_request_is_a_404_everywhere(tree, grassroots_cadre, outsider, signed_in_en):
    household = authorised(tree.grassroots)
    made = api(grassroots_cadre).post("/api/v1/check-requests/", {"households": [household.pk]}, format="json")
    pk = made.json()["id"]
    page = signed_in_en(outsider)
    for path in (f"/economic-checks/{pk}/", f"/economic-checks/{pk}/results/"):
        assert page.get(path).status_code == 404
    assert page.post(f"/economic-checks/{pk}/file/", {"format": "csv"}).status_code == 404
    client = api(outsider)
    assert client.get(f"/api/v1/check-requests/{pk}/").status_code == 404
    assert client.post(f"/api/v1/check-requests/{pk}/send/").status_code == 404
    assert client.post(f"/api/v1/check-requests/{pk}/file/", {}, format="json").status_code == 404
    assert client.get("/api/v1/check-requests/").json()["results"] == []
    assert CheckRequest.objects.get().state == RequestState.DRAFT  # nothing left the platform


def test_a_helper_has_no_economic_check_pages(tree, signed_in_en):
    from bangfu.accounts.roles import Role

    helper = tree.user("helper1", tree.grassroots, Role.HELPER)
    client = signed_in_en(helper)
    assert client.get("/economic-checks/").status_code == 404
    assert client.get("/economic-checks/new/").status_code == 404
