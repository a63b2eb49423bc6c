"""POST/GET /api/v1/households/{id}/transitions/: the same functions as the pages, uniform errors."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangfu.audit.models import AccessLogEntry
from bangfu.registry.models import State
from bangfu.registry.tests.factories import make_household


def api(user):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def url(household):
    return f"/api/v1/households/{household.pk}/transitions/"


@pytest.fixture
def draft(tree):
    return make_household(tree.grassroots, state=State.DRAFT)


def test_get_lists_the_legal_next_actions(draft, grassroots_cadre):
    response = api(grassroots_cadre).get(url(draft))
    assert response.status_code == 200
    actions = [row["action"] for row in response.json()]
    assert actions[0] == "submit" and "approve" not in actions
    assert response.json()[0]["to_state"] == "applied"


def test_post_runs_the_transition(draft, grassroots_cadre):
    response = api(grassroots_cadre).post(url(draft), {"action": "submit"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "applied"
    draft.refresh_from_db()
    assert draft.state == State.APPLIED


def test_illegal_moves_answer_400_with_the_uniform_body(draft, grassroots_cadre):
    client = api(grassroots_cadre)
    response = client.post(url(draft), {"action": "approve", "opinion_text": "同意"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and "non_field_errors" in body["fields"]
    response = client.post(url(draft), {"action": "no-such"}, format="json")
    assert response.status_code == 400 and "action" in response.json()["fields"]
    client.post(url(draft), {"action": "submit"}, format="json")
    response = client.post(url(draft), {"action": "refuse", "reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["fields"]
    draft.refresh_from_db()
    assert draft.state == State.APPLIED


def test_outsider_gets_404(draft, outsider):
    client = api(outsider)
    assert client.get(url(draft)).status_code == 404
    assert client.post(url(draft), {"action": "submit"}, format="json").status_code == 404


def test_approval_by_the_higher_union_is_audited(tree, county_reviewer, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.APPROVAL)
    response = api(grassroots_cadre).post(url(household), {"action": "approve", "opinion_text": "同意"},
                                          format="json")
    assert response.status_code == 400
    response = api(county_reviewer).post(url(household), {"action": "approve", "opinion_text": "同意"},
                                         format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "active"
    assert AccessLogEntry.objects.filter(action="approve", object_id=str(household.pk),
                                         user=county_reviewer).exists()


def test_schema_documents_the_endpoint(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/v1/households/{household_pk}/transitions/" in response.content.decode()
