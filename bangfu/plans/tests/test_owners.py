"""Who may own a measure, and what a refused owner is told: owners come from the household's union and the unions
above it (its lineage); an id is looked up only among them, and anybody else (another union's user, a user of a
union below, an unknown id) gets one neutral message that names nobody, through the API and the pages alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.funds.tests.test_api_money import token_client
from bangfu.plans.models import Measure, Recommendation, RecommendationRule
from bangfu.plans.services.measures import eligible_owners, measure_add
from bangfu.plans.tests.factories import make_measure, make_recommendation, shipped_rules
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
SECRET_NAME = "欧阳秘密"
NEUTRAL = "Choose a measure owner from the list: a person of this household's union or a union above it"


@pytest.fixture
def household(tree):
    shipped_rules()
    return make_household(tree.grassroots, size=2, main_cause="3")


@pytest.fixture
def stranger(tree):
    """A case worker of the sibling union, whose name nobody of the grassroots union may learn."""
    user = tree.user("stranger", tree.sibling, Role.CASE_WORKER)
    user.full_name = SECRET_NAME
    user.save(update_fields=["full_name"])
    return user


@pytest.fixture
def county_household(tree):
    shipped_rules()
    return make_household(tree.county, size=2, main_cause="3")


@pytest.fixture
def below(tree):
    """A case worker of the grassroots union: below the county's households."""
    user = tree.user("below_owner", tree.grassroots, Role.CASE_WORKER)
    user.full_name = "下级干事"
    user.save(update_fields=["full_name"])
    return user


def _body(household, owner) -> dict:
    return {"household": household.pk, "function": "relief", "kind": "temporary_funds", "description": "慰问金",
            "due_on": TODAY().isoformat(), "owner": owner}


def _add(household, user, owner):
    return measure_add(household, user, function="service", kind="job_information", description="推送岗位",
                       owner=owner, due_on=TODAY() + dt.timedelta(days=5))


# --- the rule: the household's union and the unions above it --------------------------------------------------


def test_owners_are_of_the_households_union_or_above_never_below(tree, county_household, county_reviewer, below):
    city = tree.user("city_worker", tree.city, Role.CASE_WORKER)
    owners = set(eligible_owners(county_household))
    assert county_reviewer in owners and city in owners
    assert below not in owners  # a union below could not open the county's measure
    with pytest.raises(ValidationError) as caught:
        _add(county_household, county_reviewer, below)
    message = caught.value.message_dict["owner"][0]
    assert NEUTRAL in message and "下级干事" not in message
    assert not Measure.objects.exists()
    assert _add(county_household, county_reviewer, city).owner == city


def test_the_service_message_names_nobody(household, grassroots_cadre, stranger):
    with pytest.raises(ValidationError) as caught:
        _add(household, grassroots_cadre, stranger)
    message = caught.value.message_dict["owner"][0]
    assert NEUTRAL in message and SECRET_NAME not in message and "天河乙" not in message
    assert not Measure.objects.exists()


# --- the API ---------------------------------------------------------------------------------------------------


def test_the_api_never_reveals_another_unions_user(household, grassroots_cadre, stranger):
    client = token_client(grassroots_cadre)
    for owner in (stranger.pk, 2**40, 0):
        response = client.post("/api/v1/measures/", _body(household, owner), format="json")
        assert response.status_code == 400, response.json()
        body = response.content.decode()
        assert SECRET_NAME not in body and "天河乙" not in body
        if owner:
            assert NEUTRAL in response.json()["fields"]["owner"][0]
    # The same id as an existing and as an unknown user: the same answer.
    known = client.post("/api/v1/measures/", _body(household, stranger.pk), format="json").json()
    unknown = client.post("/api/v1/measures/", _body(household, 2**40), format="json").json()
    assert known == unknown
    assert not Measure.objects.exists()


def test_the_api_refuses_another_unions_owner_on_replan_and_accept(household, grassroots_cadre, stranger):
    client = token_client(grassroots_cadre)
    measure = make_measure(household, grassroots_cadre)
    response = client.patch(f"/api/v1/measures/{measure.pk}/", {"owner": stranger.pk}, format="json")
    assert response.status_code == 400 and SECRET_NAME not in response.content.decode()
    assert NEUTRAL in response.json()["fields"]["owner"][0]
    measure.refresh_from_db()
    assert measure.owner == grassroots_cadre
    # The unchanged owner is accepted even when they are no longer eligible (moved on): nothing blocks a re-plan.
    gone = make_measure(household, stranger)
    later = (TODAY() + dt.timedelta(days=20)).isoformat()
    response = client.patch(f"/api/v1/measures/{gone.pk}/", {"owner": stranger.pk, "due_on": later},
                            format="json")
    assert response.status_code == 200 and response.json()["due_on"] == later

    rec = make_recommendation(household, RecommendationRule.objects.get(code="students", is_current=True))
    response = client.post(f"/api/v1/recommendations/{rec.pk}/accept/", {"owner": stranger.pk}, format="json")
    assert response.status_code == 400 and SECRET_NAME not in response.content.decode()
    assert NEUTRAL in response.json()["fields"]["owner"][0]
    rec.refresh_from_db()
    assert rec.decision == "pending"


def test_the_api_refuses_an_owner_of_a_union_below(county_household, county_reviewer, below):
    client = token_client(county_reviewer)
    response = client.post("/api/v1/measures/", _body(county_household, below.pk), format="json")
    assert response.status_code == 400 and NEUTRAL in response.json()["fields"]["owner"][0]
    assert not Measure.objects.exists()


# --- the pages -------------------------------------------------------------------------------------------------


@pytest.fixture
def cadre(signed_in, grassroots_cadre):
    client = signed_in(grassroots_cadre)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_pages_never_reveal_another_unions_user(household, cadre, grassroots_cadre, stranger):
    url = reverse("plans:measure_add", args=[household.pk])
    form = {"function": "relief", "kind": "temporary_funds", "description": "春节慰问", "owner": stranger.pk,
            "due_on": TODAY().isoformat()}
    html = cadre.post(url, form).content.decode()
    assert "Choose a measure owner from the list" in html and SECRET_NAME not in html
    assert not Measure.objects.exists()

    measure = make_measure(household, grassroots_cadre)
    html = cadre.post(reverse("plans:measure_detail", args=[measure.pk]), {
        "action": "edit", "due_on": measure.due_on.isoformat(), "owner": stranger.pk}).content.decode()
    assert "Choose a measure owner from the list" in html and SECRET_NAME not in html
    measure.refresh_from_db()
    assert measure.owner == grassroots_cadre

    rec = make_recommendation(household, RecommendationRule.objects.get(code="students", is_current=True))
    response = cadre.post(reverse("plans:recommendation", args=[rec.pk]), {"action": "accept",
                                                                            "owner": stranger.pk}, follow=True)
    html = response.content.decode()
    assert "Choose a measure owner from the list" in html and SECRET_NAME not in html
    html = cadre.post(reverse("plans:recommendation", args=[rec.pk]), {
        "action": "edit", "function": rec.function, "kind": rec.kind, "description": rec.description,
        "owner": stranger.pk, "due_on": TODAY().isoformat()}).content.decode()
    assert "Choose a measure owner from the list" in html and SECRET_NAME not in html
    assert not Recommendation.objects.exclude(decision="pending").exists()
    assert Measure.objects.count() == 1


def test_the_select_offers_the_lineage_only_and_keeps_a_current_owner(tree, signed_in, county_household,
                                                                      county_reviewer, below):
    client = signed_in(county_reviewer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get(reverse("plans:measure_add", args=[county_household.pk])).content.decode()
    select = html.split('name="owner"')[1].split("</select>")[0]
    assert f'value="{county_reviewer.pk}"' in select and f'value="{below.pk}"' not in select
    # A measure whose owner is no longer eligible (made before the rule): the owner stays selectable and an
    # unchanged owner does not block the re-plan.
    measure = make_measure(county_household, below)
    url = reverse("plans:measure_detail", args=[measure.pk])
    select = client.get(url).content.decode().split('name="owner"')[1].split("</select>")[0]
    assert f'value="{below.pk}"' in select
    later = TODAY() + dt.timedelta(days=30)
    response = client.post(url, {"action": "edit", "due_on": later.isoformat(), "owner": below.pk})
    assert response.status_code == 302
    measure.refresh_from_db()
    assert (measure.due_on, measure.owner) == (later, below)
