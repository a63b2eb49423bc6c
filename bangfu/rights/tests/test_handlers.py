"""The handler of a rights case comes from the household's union or a union above it (a handler of a union below
would be locked out of the case by the scoping); everybody else gets one neutral message that names nobody,
through the service, the API and the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangfu.accounts.roles import Role
from bangfu.notifications.models import Notification
from bangfu.registry.tests.factories import make_household
from bangfu.rights.forms import eligible_handlers
from bangfu.rights.models import RightsCase
from bangfu.rights.services import open_case, update_case

from .conftest import ON_RECORD

pytestmark = pytest.mark.django_db
NEUTRAL = "Choose a member of staff of the household's union or of a union above it."
SECRET_NAME = "欧阳秘密"
FIELDS = {"kind": "legal_aid", "topic": "wages", "summary": "Wages unpaid", "opened_on": dt.date(2025, 6, 1)}


@pytest.fixture
def county_household(tree):
    return make_household(tree.county, applied_on=ON_RECORD)


@pytest.fixture
def below(tree):
    """A case worker of the grassroots union: below the county's households."""
    user = tree.user("below", tree.grassroots, Role.CASE_WORKER)
    user.full_name = "下级干事"
    user.save(update_fields=["full_name"])
    return user


@pytest.fixture
def stranger(tree):
    user = tree.user("stranger", tree.sibling, Role.CASE_WORKER)
    user.full_name = SECRET_NAME
    user.save(update_fields=["full_name"])
    return user


def _api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}",
                       HTTP_ACCEPT_LANGUAGE="en")
    return client


def test_a_handler_of_a_union_below_is_refused(county_household, county_reviewer, below):
    assert below not in set(eligible_handlers(county_household))
    with pytest.raises(ValidationError) as refused:
        open_case(county_reviewer, county_household, handled_by=below, **FIELDS)
    assert refused.value.message_dict["handled_by"] == [NEUTRAL]
    assert not RightsCase.objects.exists() and not Notification.objects.exists()
    case = open_case(county_reviewer, county_household, **FIELDS)
    with pytest.raises(ValidationError) as refused:
        update_case(county_reviewer, case, handled_by=below)
    assert refused.value.message_dict["handled_by"] == [NEUTRAL]
    case.refresh_from_db()
    assert case.handled_by is None


def test_handlers_of_the_households_union_and_above_are_accepted(tree, county_household, county_reviewer):
    city = tree.user("city", tree.city, Role.CASE_WORKER)
    assert {county_reviewer, city} <= set(eligible_handlers(county_household))
    assert open_case(county_reviewer, county_household, handled_by=city, **FIELDS).handled_by == city


def test_the_api_names_nobody_out_of_the_lineage(household, grassroots_cadre, stranger, tree):
    client = _api(grassroots_cadre)
    body = {**FIELDS, "opened_on": "2025-06-01", "household": household.pk}
    answers = []
    for handler in (stranger.pk, 2**40):
        response = client.post("/api/v1/rights-cases/", {**body, "handled_by": handler}, format="json")
        assert response.status_code == 400
        assert SECRET_NAME not in response.content.decode() and "天河乙" not in response.content.decode()
        assert response.json()["fields"]["handled_by"] == [NEUTRAL]
        answers.append(response.json())
    assert answers[0] == answers[1]
    assert not RightsCase.objects.exists()


def test_the_api_refuses_a_handler_of_a_union_below(county_household, county_reviewer, below):
    response = _api(county_reviewer).post("/api/v1/rights-cases/", {
        **FIELDS, "opened_on": "2025-06-01", "household": county_household.pk, "handled_by": below.pk},
        format="json")
    assert response.status_code == 400 and response.json()["fields"]["handled_by"] == [NEUTRAL]
    assert not RightsCase.objects.exists()


def test_the_form_offers_the_lineage_only_and_names_nobody(signed_in, county_household, county_reviewer, below,
                                                           stranger):
    client = signed_in(county_reviewer)
    url = f"/rights/household/{county_household.pk}/"
    html = client.get(url).content.decode()
    select = html.split('name="handled_by"')[1].split("</select>")[0]
    assert f'value="{county_reviewer.pk}"' in select and f'value="{below.pk}"' not in select
    for person in (below, stranger):
        html = client.post(url, {"kind": "legal_aid", "topic": "wages", "summary": "x", "opened_on": "2025-07-01",
                                 "handled_by": person.pk}).content.decode()
        assert 'data-testid="error-handled_by"' in html
        assert SECRET_NAME not in html and "下级干事" not in html
    assert not RightsCase.objects.exists()
