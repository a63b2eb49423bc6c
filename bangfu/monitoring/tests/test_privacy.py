"""Health is shown only to users who may see it (registry.view_health_score): relapse-trigger and exit-suggestion
evidence on the pages and in the API, for a case worker and for a counsellor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils.html import escape

from bangfu.accounts.roles import Role
from bangfu.monitoring.models import ExitSuggestion, RelapseWatch
from bangfu.monitoring.services.exits import suggest_exits
from bangfu.monitoring.services.relapse import watch_relapse
from bangfu.monitoring.tests.factories import living_line
from bangfu.registry.models import ExitReason
from bangfu.registry.services.lifecycle import household_exit
from bangfu.registry.signals import relapse_evidence
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 11, 15)
HEALTH_WORDS = ("cancer", "恶性肿瘤", "Malignant")
GENERIC = "一名家庭成员的健康状况变为重大疾病。"  # the default (Chinese) UI's generic wording


@pytest.fixture
def counsellor(tree):
    # Counsellors hold registry.view_health_score; the monitoring read permission comes with leadership here
    # (roles.py gives the counsellor role alone no monitoring permission).
    return tree.user("th_counsellor", tree.county, Role.COUNSELLOR, Role.LEADERSHIP)


@pytest.fixture
def ill_watch(tree, grassroots_cadre):
    household = make_household(tree.grassroots, monthly_wage=Decimal("3000"), months=12)
    household_exit(household, actor=grassroots_cadre, reason=ExitReason.OUT_OF_HARDSHIP, on=dt.date(2026, 6, 10))
    household.members.filter(is_head=True).update(health="cancer")
    assert watch_relapse(ON)["triggers"] == 1
    relapse_evidence.send(sender=None, household=household, kind="dibao_enrolment", source="crosscheck finding 9",
                          evidence={"key": "roster:9", "dibao_since": "2026-10", "diagnosis": "cancer"}, actor=None)
    return RelapseWatch.objects.get(household=household)


def _triggers(client, watch):
    response = client.get(f"/api/v1/relapse-watches/{watch.pk}/")
    assert response.status_code == 200
    return {t["kind"]: t for t in response.json()["triggers"]}


def test_case_worker_sees_no_health_code_in_triggers(ill_watch, grassroots_cadre, signed_in):
    client = signed_in(grassroots_cadre)
    triggers = _triggers(client, ill_watch)
    illness, dibao = triggers["serious_illness"], triggers["dibao_enrolment"]
    assert illness["description"] == GENERIC and illness["evidence"] == {}
    assert "cancer" not in illness["evidence_key"]
    assert dibao["evidence"] == {"key": "roster:9", "dibao_since": "2026-10"}
    body = client.get(f"/api/v1/relapse-watches/{ill_watch.pk}/").content.decode()
    listing = client.get("/api/v1/relapse-watches/").content.decode()
    page = client.get(f"/monitoring/relapse/{ill_watch.pk}/").content.decode()
    for text in (body, listing, page):
        assert not any(word in text for word in HEALTH_WORDS), text
    assert escape(GENERIC) in page and "2026-10" in page


def test_counsellor_sees_the_health_code(ill_watch, counsellor, signed_in):
    client = signed_in(counsellor)
    illness = _triggers(client, ill_watch)["serious_illness"]
    assert illness["evidence"]["health"] == "cancer" and illness["evidence_key"].endswith(":cancer")
    assert "恶性肿瘤" in illness["description"]
    assert _triggers(client, ill_watch)["dibao_enrolment"]["evidence"]["diagnosis"] == "cancer"
    page = client.get(f"/monitoring/relapse/{ill_watch.pk}/").content.decode()
    assert "恶性肿瘤" in page and escape(GENERIC) not in page


def test_exit_suggestion_evidence_is_income_and_line_only_for_others(tree, grassroots_cadre, counsellor,
                                                                     signed_in):
    living_line()
    make_household(tree.grassroots, monthly_wage=Decimal("3000"), months=12)
    suggest_exits(ON)
    suggestion = ExitSuggestion.objects.get()
    evidence = dict(suggestion.evidence)
    evidence["health"] = "cancer"  # anything but income and the line must not pass, whatever wrote it
    evidence["months"] = [{**m, "note": "cancer"} for m in evidence["months"]]
    ExitSuggestion.objects.filter(pk=suggestion.pk).update(evidence=evidence)
    client = signed_in(grassroots_cadre)
    shown = client.get(f"/api/v1/exit-suggestions/{suggestion.pk}/").json()["evidence"]
    assert "health" not in shown and len(shown["months"]) == 6
    assert shown["months"][0] == {"month": "2026-05", "income_fen": 300000, "pci_fen": 300000, "line_fen": 110000}
    assert shown["line_fen"] == 110000 and shown["size"] == 1  # income figures are fine for the case worker
    page = client.get(f"/monitoring/exit-suggestions/{suggestion.pk}/").content.decode()
    assert "3,000.00" in page and "cancer" not in page
    assert signed_in(counsellor).get(f"/api/v1/exit-suggestions/{suggestion.pk}/").json()["evidence"]["health"] \
        == "cancer"
