"""Rights-case pages: the household's cases and the form, the open cases of the user's unions with filters, a
case's page with its history, closing and reopening; bad input shown at its field with nothing saved; other
unions and roles without the permission get 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.rights.models import RightsCase
from bangfu.rights.services import close_case, open_case

pytestmark = pytest.mark.django_db


def _case(actor, household, **overrides):
    fields = {"kind": "consultation", "topic": "social_insurance", "summary": "Pension contributions missing",
              "opened_on": dt.date(2025, 6, 1)}
    return open_case(actor, household, **{**fields, **overrides})


def test_open_a_case_from_the_household_page(signed_in, grassroots_cadre, county_reviewer, household):
    client = signed_in(grassroots_cadre)
    page = client.get(f"/rights/household/{household.pk}/").content.decode()
    assert 'data-testid="case-form"' in page
    assert f'value="{county_reviewer.pk}"' in page  # a handler from above is offered

    response = client.post(f"/rights/household/{household.pk}/", {
        "kind": "legal_aid", "topic": "wages", "summary": "Wages unpaid since May", "opened_on": "2025-07-01",
        "counterpart": "某公司", "handled_by": county_reviewer.pk})
    case = RightsCase.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/rights/{case.pk}/"
    assert (case.household, case.handled_by, case.created_by) == (household, county_reviewer, grassroots_cadre)

    # The archive page shows the panel with the case.
    archive = client.get(f"/households/{household.pk}/").content.decode()
    assert 'data-testid="panel-rights"' in archive and f"/rights/{case.pk}/" in archive


def test_bad_input_on_the_form_is_shown_and_nothing_saved(signed_in, grassroots_cadre, outsider, household):
    client = signed_in(grassroots_cadre)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    html = client.post(f"/rights/household/{household.pk}/", {
        "kind": "legal_aid", "topic": "wages", "summary": "", "opened_on": tomorrow}).content.decode()
    assert "cannot be opened in the future" in html and "Say what the case is about." in html
    html = client.post(f"/rights/household/{household.pk}/", {
        "kind": "legal_aid", "topic": "wages", "summary": "x", "opened_on": "2024-12-31"}).content.decode()
    assert "on record only since 2025-03-01" in html
    # A handler of the sibling union is not even offered: the select refuses the id.
    html = client.post(f"/rights/household/{household.pk}/", {
        "kind": "legal_aid", "topic": "wages", "summary": "x", "opened_on": "2025-07-01",
        "handled_by": outsider.pk}).content.decode()
    assert 'data-testid="error-handled_by"' in html
    assert not RightsCase.objects.exists()


def test_the_case_page_shows_history_and_closes_with_an_outcome(signed_in, grassroots_cadre, household):
    case = _case(grassroots_cadre, household)
    client = signed_in(grassroots_cadre)
    response = client.post(f"/rights/{case.pk}/edit/", {
        "kind": "consultation", "topic": "labour_contract", "summary": "Pension contributions missing",
        "opened_on": "2025-06-01", "state": "in_progress"})
    assert response.status_code == 302

    html = client.post(f"/rights/{case.pk}/close/", {"outcome": "", "closed_on": "2025-05-01"}).content.decode()
    assert "Choose the outcome of the case" in html and "cannot be closed before that" in html
    case.refresh_from_db()
    assert case.state == "in_progress"

    client.post(f"/rights/{case.pk}/close/", {"outcome": "advice_given", "closed_on": "2025-08-01"})
    case.refresh_from_db()
    assert (case.state, case.outcome) == ("closed", "advice_given")

    html = client.get(f"/rights/{case.pk}/").content.decode()
    history = html[html.index('data-testid="history"'):]
    assert "Social insurance → Labour contract" in history
    assert "Open → In progress" in history and "In progress → Closed" in history
    assert "Advice given" in history
    assert 'data-testid="reopen-form"' in html and 'data-testid="case-edit"' not in html
    # A closed case cannot be edited until it is reopened.
    assert client.get(f"/rights/{case.pk}/edit/").status_code == 302
    client.post(f"/rights/{case.pk}/reopen/", {"reason": "New evidence"})
    case.refresh_from_db()
    assert case.state == "in_progress"


def test_the_list_shows_open_cases_of_the_subtree_with_filters(signed_in, grassroots_cadre, county_reviewer,
                                                              household, sibling_household, tree):
    wages = _case(grassroots_cadre, household, kind="legal_aid", topic="wages", summary="甲工资")
    insurance = _case(grassroots_cadre, household, summary="甲社保")
    closed = _case(grassroots_cadre, household, topic="working_conditions", summary="甲已结")
    close_case(grassroots_cadre, closed, outcome="resolved", closed_on=dt.date(2025, 6, 2))
    sibling = _case(tree.user("sib", tree.sibling, Role.CASE_WORKER), sibling_household, summary="乙社保")

    def listed(client, query=""):
        html = client.get(f"/rights/{query}").content.decode()
        return {pk for pk in (wages.pk, insurance.pk, closed.pk, sibling.pk) if f'data-testid="case-{pk}"' in html}

    cadre = signed_in(grassroots_cadre)
    assert listed(cadre) == {wages.pk, insurance.pk}  # open ones of its own union
    assert listed(cadre, "?topic=wages") == {wages.pk}
    assert listed(cadre, "?kind=consultation") == {insurance.pk}
    assert listed(cadre, "?state=closed") == {closed.pk}
    assert listed(cadre, "?state=all") == {wages.pk, insurance.pk, closed.pk}
    assert listed(cadre, "?topic=nonsense") == set()  # an invalid filter lists nothing, not everything
    assert listed(signed_in(county_reviewer)) == {wages.pk, insurance.pk, sibling.pk}  # the county sees both


def test_outsiders_and_roles_without_the_permission_get_404(signed_in, outsider, grassroots_cadre, household, tree):
    case = _case(grassroots_cadre, household)
    client = signed_in(outsider)
    for url in (f"/rights/{case.pk}/", f"/rights/{case.pk}/edit/", f"/rights/household/{household.pk}/"):
        assert client.get(url).status_code == 404
    for url in (f"/rights/{case.pk}/close/", f"/rights/{case.pk}/edit/", f"/rights/household/{household.pk}/"):
        assert client.post(url, {"outcome": "resolved", "closed_on": "2025-07-01", "kind": "legal_aid",
                                 "topic": "wages", "summary": "x", "opened_on": "2025-07-01"}).status_code == 404
    assert "Pension" not in client.get("/rights/").content.decode()

    helper = signed_in(tree.user("helper", tree.grassroots, Role.HELPER))
    assert helper.get("/rights/").status_code == 404
    assert helper.get(f"/rights/{case.pk}/").status_code == 404
    # A fund manager of the union reads cases but changes none.
    manager = signed_in(tree.user("manager", tree.grassroots, Role.FUND_MANAGER))
    assert manager.get(f"/rights/{case.pk}/").status_code == 200
    assert manager.post(f"/rights/{case.pk}/close/", {"outcome": "resolved",
                                                      "closed_on": "2025-07-01"}).status_code == 404
    assert manager.post(f"/rights/household/{household.pk}/", {"kind": "legal_aid"}).status_code == 404
    case.refresh_from_db()
    assert case.state == "open" and RightsCase.objects.count() == 1


def test_list_pages_do_not_query_per_case(signed_in, grassroots_cadre, county_reviewer, household):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    page = signed_in(grassroots_cadre)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=grassroots_cadre)[0].key}")

    def count(client, url):
        client.get(url)  # warm: the session and the caches of the first request are not the page's cost
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries.captured_queries)

    _case(grassroots_cadre, household, handled_by=county_reviewer)
    urls = ("/rights/", f"/rights/household/{household.pk}/", f"/households/{household.pk}/")
    few = [count(page, url) for url in urls] + [count(api, "/api/v1/rights-cases/")]
    for i in range(6):
        _case(grassroots_cadre, household, handled_by=county_reviewer, summary=f"case {i}")
    many = [count(page, url) for url in urls] + [count(api, "/api/v1/rights-cases/")]
    assert many == few
