"""The monitoring API as a client uses it: list filters, and each write action's success, refusal (400 with field
errors, nothing saved) and another union's 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bangfu.accounts.roles import Role
from bangfu.monitoring.models import (
    ExitSuggestion,
    RelapseWatch,
    Review,
    ReviewCycle,
    ReviewState,
    SuggestionState,
    WatchState,
)
from bangfu.monitoring.services.exits import suggest_exits
from bangfu.monitoring.services.reviews import create_review_cycles
from bangfu.monitoring.services.spotcheck import spot_check_draw
from bangfu.monitoring.tests.factories import living_line
from bangfu.registry.models import Closure, ExitReason, State
from bangfu.registry.services.lifecycle import household_exit
from bangfu.registry.signals import relapse_evidence
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db
API = "/api/v1"


def _post(client, url, data):
    return client.post(url, data, content_type="application/json")


def _fields(response) -> dict:
    return response.json()["fields"]


def _rows(response):
    assert response.status_code == 200, response.content
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


# --- filters -------------------------------------------------------------------------------------------------


def test_review_list_filters_by_state_org_subtree_household_and_year(tree, county_reviewer, signed_in):
    mine = make_household(tree.grassroots, activated_on=dt.date(2025, 1, 1))
    done = make_household(tree.grassroots, activated_on=dt.date(2025, 1, 1))
    sibling = make_household(tree.sibling, activated_on=dt.date(2025, 1, 1))
    far = make_household(tree.other_grassroots, activated_on=dt.date(2025, 1, 1))
    create_review_cycles(2026)
    Review.objects.filter(household=done).update(state=ReviewState.DONE, reviewed_on=dt.date(2026, 6, 1))
    client = signed_in(county_reviewer)
    ids = lambda query: sorted(r["household"] for r in _rows(client.get(f"{API}/reviews/{query}")))  # noqa: E731
    assert ids("") == sorted([mine.pk, done.pk, sibling.pk])  # the other province is out of scope
    assert ids("?state=done") == [done.pk]
    assert ids("?state=open") == sorted([mine.pk, sibling.pk])
    assert ids(f"?org={tree.grassroots.pk}") == sorted([mine.pk, done.pk])
    assert ids(f"?org={tree.county.pk}") == sorted([mine.pk, done.pk, sibling.pk])
    assert ids(f"?org={tree.other_grassroots.pk}") == []  # another union's id: nothing, not its rows
    assert ids(f"?household={sibling.pk}") == [sibling.pk]
    assert ids("?year=2025") == []
    assert far.pk not in ids(f"?household={far.pk}")
    assert client.get(f"{API}/reviews/?state=nonsense").status_code == 400
    assert client.get(f"{API}/reviews/?org=abc").status_code == 400
    cycles = _rows(client.get(f"{API}/review-cycles/?org={tree.sibling.pk}"))
    assert [c["org"] for c in cycles] == [tree.sibling.pk]


def test_suggestion_and_watch_lists_filter_by_state_org_and_household(tree, county_reviewer, grassroots_cadre,
                                                                      signed_in):
    living_line()
    a = make_household(tree.grassroots, monthly_wage=Decimal("3000"), months=12)
    b = make_household(tree.sibling, monthly_wage=Decimal("3000"), months=12)
    suggest_exits(dt.date(2026, 11, 15))
    ExitSuggestion.objects.filter(household=b).update(state=SuggestionState.DISMISSED)
    exited = make_household(tree.sibling, monthly_wage=Decimal("3000"), months=12)
    household_exit(exited, actor=county_reviewer, reason=ExitReason.OUT_OF_HARDSHIP, on=dt.date(2026, 6, 10))
    client = signed_in(county_reviewer)
    hh = lambda url: [r["household"] for r in _rows(client.get(url))]  # noqa: E731
    assert sorted(hh(f"{API}/exit-suggestions/")) == sorted([a.pk, b.pk])
    assert hh(f"{API}/exit-suggestions/?state=open") == [a.pk]
    assert hh(f"{API}/exit-suggestions/?org={tree.sibling.pk}") == [b.pk]
    assert hh(f"{API}/exit-suggestions/?household={a.pk}") == [a.pk]
    assert hh(f"{API}/relapse-watches/?state=watching&org={tree.sibling.pk}") == [exited.pk]
    assert hh(f"{API}/relapse-watches/?org={tree.grassroots.pk}") == []
    assert hh(f"{API}/relapse-watches/?state=review_needed") == []


# --- review do -----------------------------------------------------------------------------------------------


@pytest.fixture
def review(tree):
    household = make_household(tree.grassroots, activated_on=dt.date(2025, 1, 1))
    create_review_cycles(2026)
    return Review.objects.get(household=household)


def test_api_review_do_success(review, grassroots_cadre, signed_in):
    response = _post(signed_in(grassroots_cadre), f"{API}/reviews/{review.pk}/do/",
                     {"reviewed_on": "2026-10-01", "note": "入户核实"})
    assert response.status_code == 200 and response.json()["state"] == "done"
    review.refresh_from_db()
    assert review.state == ReviewState.DONE and review.timeline_event.kind == "review"
    assert review.household.review_due_on == dt.date(2027, 10, 1)


@pytest.mark.parametrize(("data", "field"), [
    ({"reviewed_on": "2025-12-31", "note": "x"}, "reviewed_on"),  # before the cycle (service)
    ({"reviewed_on": "2099-01-01", "note": "x"}, "reviewed_on"),  # in the future (registry)
    ({"reviewed_on": "2026-10-01", "note": ""}, "note"),
    ({"note": "x"}, "reviewed_on"),
])
def test_api_review_do_refused_saves_nothing(review, grassroots_cadre, signed_in, data, field):
    due_before = review.household.review_due_on
    response = _post(signed_in(grassroots_cadre), f"{API}/reviews/{review.pk}/do/", data)
    assert response.status_code == 400 and field in _fields(response)
    review.refresh_from_db()
    review.household.refresh_from_db()
    assert review.state == ReviewState.DUE and review.timeline_event is None
    assert review.household.review_due_on == due_before
    assert not review.household.timeline.filter(kind="review").exists()


def test_api_review_do_of_another_union_is_404(review, outsider, signed_in):
    response = _post(signed_in(outsider), f"{API}/reviews/{review.pk}/do/", {"reviewed_on": "2026-10-01",
                                                                             "note": "x"})
    assert response.status_code == 404
    review.refresh_from_db()
    assert review.state == ReviewState.DUE


# --- spot check ----------------------------------------------------------------------------------------------


@pytest.fixture
def drawn(tree, county_reviewer):
    household = make_household(tree.grassroots, activated_on=dt.date(2025, 1, 1))
    create_review_cycles(2026)
    Review.objects.filter(household=household).update(state=ReviewState.DONE, reviewed_on=dt.date(2026, 6, 1))
    spot_check_draw(county_reviewer, ReviewCycle.objects.get(org=tree.grassroots), seed=3)
    return Review.objects.get(household=household)


def test_api_spot_check_success_refusal_and_404(tree, drawn, county_reviewer, signed_in):
    client = signed_in(county_reviewer)
    url = f"{API}/reviews/{drawn.pk}/spot-check/"
    refused = _post(client, url, {"outcome": "discrepancy", "note": ""})
    assert refused.status_code == 400 and "note" in _fields(refused)
    bad_choice = _post(client, url, {"outcome": "maybe"})
    assert bad_choice.status_code == 400 and "outcome" in _fields(bad_choice)
    drawn.refresh_from_db()
    assert drawn.spot_outcome == "" and drawn.state == ReviewState.DONE
    assert not drawn.household.timeline.filter(kind="monitoring_spot_check").exists()
    sibling_reviewer = tree.user("sib_rev", tree.other_grassroots, Role.REVIEWER)
    assert _post(signed_in(sibling_reviewer), url, {"outcome": "confirmed"}).status_code == 404
    ok = _post(client, url, {"outcome": "confirmed"})
    assert ok.status_code == 200 and ok.json()["spot_outcome"] == "confirmed"
    again = _post(client, url, {"outcome": "confirmed"})
    assert again.status_code == 400 and "non_field_errors" in _fields(again)


# --- exit suggestions ----------------------------------------------------------------------------------------


@pytest.fixture
def suggestion(tree):
    living_line()
    make_household(tree.grassroots, monthly_wage=Decimal("3000"), months=12)
    suggest_exits(dt.date(2026, 11, 15))
    return ExitSuggestion.objects.get()


def test_api_accept_success(suggestion, grassroots_cadre, signed_in):
    response = _post(signed_in(grassroots_cadre), f"{API}/exit-suggestions/{suggestion.pk}/accept/",
                     {"on": "2026-11-20", "note": "稳定就业"})
    assert response.status_code == 200 and response.json()["state"] == "accepted"
    household = suggestion.household
    household.refresh_from_db()
    assert household.state == State.EXITED and household.exit_reason == ExitReason.OUT_OF_HARDSHIP


def test_api_accept_refused_saves_nothing(suggestion, grassroots_cadre, signed_in):
    response = _post(signed_in(grassroots_cadre), f"{API}/exit-suggestions/{suggestion.pk}/accept/",
                     {"on": "2099-01-01"})
    assert response.status_code == 400 and "on" in _fields(response)
    suggestion.refresh_from_db()
    suggestion.household.refresh_from_db()
    assert suggestion.state == SuggestionState.OPEN and suggestion.household.state == State.ACTIVE
    assert not Closure.objects.filter(household=suggestion.household).exists()
    assert not RelapseWatch.objects.exists()


def test_api_dismiss_success_refusal_and_404(suggestion, grassroots_cadre, outsider, signed_in):
    client = signed_in(grassroots_cadre)
    url = f"{API}/exit-suggestions/{suggestion.pk}/dismiss/"
    assert _post(signed_in(outsider), url, {"reason": "x"}).status_code == 404
    assert _post(signed_in(outsider), f"{API}/exit-suggestions/{suggestion.pk}/accept/", {}).status_code == 404
    refused = _post(client, url, {"reason": "  "})
    assert refused.status_code == 400 and "reason" in _fields(refused)
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.OPEN and suggestion.decision_note == ""
    ok = _post(client, url, {"reason": "收入不稳定"})
    assert ok.status_code == 200 and ok.json()["state"] == "dismissed"
    twice = _post(client, f"{API}/exit-suggestions/{suggestion.pk}/accept/", {})
    assert twice.status_code == 400 and "non_field_errors" in _fields(twice)
    suggestion.household.refresh_from_db()
    assert suggestion.household.state == State.ACTIVE


# --- relapse watches -----------------------------------------------------------------------------------------


@pytest.fixture
def watch(tree, grassroots_cadre):
    household = make_household(tree.grassroots, monthly_wage=Decimal("3000"), months=12)
    household_exit(household, actor=grassroots_cadre, reason=ExitReason.OUT_OF_HARDSHIP, on=dt.date(2026, 6, 10))
    relapse_evidence.send(sender=None, household=household, kind="dibao_enrolment", evidence={"key": "r1"},
                          source="crosscheck", actor=None)
    return RelapseWatch.objects.get(household=household)


def test_api_resolve_success_refusal_and_404(watch, grassroots_cadre, outsider, signed_in):
    client = signed_in(grassroots_cadre)
    url = f"{API}/relapse-watches/{watch.pk}/resolve/"
    assert _post(signed_in(outsider), url, {"outcome": "no_relapse", "note": "x"}).status_code == 404
    for data, field in (({"outcome": "no_relapse", "note": ""}, "note"), ({"outcome": "x", "note": "y"}, "outcome")):
        refused = _post(client, url, data)
        assert refused.status_code == 400 and field in _fields(refused)
    watch.refresh_from_db()
    assert watch.state == WatchState.REVIEW_NEEDED and watch.resolved_on is None
    assert watch.triggers.get().reviewed_on is None
    ok = _post(client, url, {"outcome": "no_relapse", "note": "临时困难已解决"})
    assert ok.status_code == 200 and ok.json()["state"] == "watching"
    again = _post(client, url, {"outcome": "no_relapse", "note": "x"})
    assert again.status_code == 400 and "non_field_errors" in _fields(again)
