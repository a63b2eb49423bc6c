"""A responsible helper comes from the household's union or a union above it (a helper of a union below would be
locked out of the household by the scoping). A refused person is described (name and union) only to an actor who
may name them at all; anybody else gets one neutral message, through the service, the API and the pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangfu.accounts.roles import Role
from bangfu.helpers.models import HelperAssignment
from bangfu.helpers.rules import eligible_helpers
from bangfu.helpers.services import assign_helper, hand_over
from bangfu.helpers.tests.conftest import household_since
from bangfu.notifications.models import Notification

pytestmark = pytest.mark.django_db
NOT_LINEAGE = "which is not this household's union or a union above it"
NEUTRAL = "Choose a responsible helper from the list: a person of this household's union or a union above it"
SECRET_NAME = "欧阳秘密"


@pytest.fixture
def county_household(tree):
    return household_since(tree.county, 100)


@pytest.fixture
def below(tree):
    """A helper of the grassroots union: below the county's households."""
    return tree.user("below", tree.grassroots, Role.HELPER)


@pytest.fixture
def stranger(tree):
    """A helper of the sibling union, whom the grassroots union's case worker may not name."""
    user = tree.user("stranger", tree.sibling, Role.HELPER)
    user.full_name = SECRET_NAME
    user.save(update_fields=["full_name"])
    return user


def _assign(household, helper, actor, today):
    return assign_helper(household, mode="pairing", helper=helper, helper_kind="branch_cadre", starts_on=today,
                         actor=actor)


def _refusal(call) -> str:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict["helper"][0]


def _api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}",
                       HTTP_ACCEPT_LANGUAGE="en")
    return client


def test_a_helper_of_a_union_below_is_refused_and_named_to_whoever_may_name_them(tree, county_household, below,
                                                                                county_reviewer, today):
    assert below not in set(eligible_helpers(county_household))
    message = _refusal(lambda: _assign(county_household, below, county_reviewer, today))
    assert message == f"{below} is in {tree.grassroots.name}, {NOT_LINEAGE}."
    assert not HelperAssignment.objects.exists() and not Notification.objects.exists()


def test_helpers_of_the_households_union_and_above_are_accepted(tree, county_household, county_reviewer, today):
    own = tree.user("own", tree.county, Role.HELPER)
    above = tree.user("above", tree.city, Role.LEADERSHIP)
    assert {own, above} <= set(eligible_helpers(county_household))
    first = _assign(county_household, own, county_reviewer, today)
    assert hand_over(first, mode="pairing", to_helper=above, helper_kind="branch_cadre", on=today, reason="调岗",
                     actor=county_reviewer).helper == above


def test_a_handover_to_a_union_below_is_refused(county_household, below, county_reviewer, tree, today):
    first = _assign(county_household, tree.user("own", tree.county, Role.HELPER), county_reviewer, today)
    message = _refusal(lambda: hand_over(first, mode="pairing", to_helper=below, helper_kind="branch_cadre",
                                         on=today, reason="调岗", actor=county_reviewer))
    assert NOT_LINEAGE in message
    first.refresh_from_db()
    assert first.is_current and HelperAssignment.objects.count() == 1


def test_a_person_the_actor_may_not_name_gets_the_neutral_message(household, stranger, grassroots_cadre, today):
    message = _refusal(lambda: _assign(household, stranger, grassroots_cadre, today))
    assert message.startswith(NEUTRAL) and SECRET_NAME not in message and "天河乙" not in message
    assert not HelperAssignment.objects.exists()


def test_the_api_never_describes_a_person_out_of_reach(tree, household, stranger, grassroots_cadre, today):
    far = tree.user("far", tree.other_grassroots, Role.HELPER)
    far.full_name = "远方秘密"
    far.save(update_fields=["full_name"])
    answers = []
    for person in (stranger.pk, far.pk, 2**40):
        response = _api(grassroots_cadre).post("/api/v1/helper-assignments/", {
            "household": household.pk, "mode": "pairing", "helper": person, "helper_kind": "branch_cadre",
            "starts_on": today.isoformat()}, format="json")
        assert response.status_code == 400
        body = response.content.decode()
        assert SECRET_NAME not in body and "远方秘密" not in body and "天河乙" not in body and "锦江" not in body
        assert response.json()["fields"]["helper"][0].startswith(NEUTRAL)
        answers.append(response.json())
    assert answers[0] == answers[1] == answers[2]  # an existing person reads like an unknown id
    assert not HelperAssignment.objects.exists()


def test_the_api_refuses_a_helper_of_a_union_below(county_household, below, county_reviewer, today):
    response = _api(county_reviewer).post("/api/v1/helper-assignments/", {
        "household": county_household.pk, "mode": "pairing", "helper": below.pk, "helper_kind": "branch_cadre",
        "starts_on": today.isoformat()}, format="json")
    assert response.status_code == 400 and NOT_LINEAGE in response.json()["fields"]["helper"][0]
    assert not HelperAssignment.objects.exists()


def test_the_assign_page_offers_the_lineage_only(tree, en, county_household, below, county_reviewer, today):
    own = tree.user("own", tree.county, Role.HELPER)
    client = en(county_reviewer)
    url = f"/helpers/households/{county_household.pk}/assign/"
    html = client.get(url).content.decode()
    select = html.split('name="helper"')[1].split("</select>")[0]
    assert f'value="{own.pk}"' in select and f'value="{below.pk}"' not in select
    assert "Unions below it" not in select
    response = client.post(url, {"mode": "pairing", "helper": below.pk, "helper_kind": "branch_cadre",
                                 "starts_on": today.isoformat()})
    assert response.status_code == 200
    assert "which is not this household&#x27;s union or a union above it" in response.content.decode()
    assert not HelperAssignment.objects.exists()
