"""The plan pages through HTTP, as their users act: a case worker runs the rules, accepts two proposals (one with
changes) and rejects one, each showing the rule that proposed it; bad input shows its message and saves nothing;
helpers update their own measures; a worker reads the measures of their own household; other unions get 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.plans.models import Measure, Recommendation, RecommendationRule
from bangfu.plans.tests.factories import make_measure, make_recommendation, make_rule, shipped_rules
from bangfu.registry.models import Member, TimelineEvent
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def household(tree):
    shipped_rules()
    return make_household(tree.grassroots, size=2, main_cause="3", name="李四")


@pytest.fixture
def signed_in_en(signed_in):
    """A signed-in client whose pages are in English (messages are asserted by their msgids)."""

    def _client(user):
        client = signed_in(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return _client


@pytest.fixture
def cadre(signed_in_en, grassroots_cadre):
    return signed_in_en(grassroots_cadre)


@pytest.fixture
def helper(tree):
    return tree.user("helper", tree.grassroots, Role.HELPER)


def plan_url(household):
    return reverse("plans:household", args=[household.pk])


def text(response) -> str:
    return response.content.decode()


def test_case_worker_runs_the_rules_and_decides_each_proposal(household, cadre, grassroots_cadre):
    page = cadre.get(plan_url(household))
    assert page.status_code == 200 and 'data-testid="propose"' in text(page)
    response = cadre.post(reverse("plans:propose", args=[household.pk]), follow=True)
    body = text(response)
    assert "4 measures were proposed" in body
    recs = {r.proposal_key: r for r in Recommendation.objects.filter(household=household)}
    school = recs["school_aid"]
    # each proposal shows the rule that made it: title, code, version, explanation, the facts that matched
    assert f'data-testid="recommendation-{school.pk}"' in body
    assert school.rule.title_en in body and "(students · version 1)" in body and school.rule.explanation in body
    assert "Students: 1" in body

    cadre.post(reverse("plans:recommendation", args=[school.pk]), {"action": "accept",
                                                                     "owner": grassroots_cadre.pk})
    due = TODAY() + dt.timedelta(days=20)
    cadre.post(reverse("plans:recommendation", args=[recs["job_information"].pk]), {
        "action": "edit", "function": "service", "kind": "job_information", "description": "推荐到社区岗位",
        "owner": grassroots_cadre.pk, "due_on": due.isoformat()})
    cadre.post(reverse("plans:recommendation", args=[recs["startup_support"].pk]),
               {"action": "reject", "reason": "本人无创业意愿"})
    decisions = dict(Recommendation.objects.filter(household=household).values_list("proposal_key", "decision"))
    assert decisions == {"school_aid": "accepted", "job_information": "edited", "startup_support": "rejected",
                         "skills_training": "pending"}
    measures = {m.kind: m for m in Measure.objects.filter(household=household)}
    assert set(measures) == {"school_aid", "job_information"}
    assert measures["job_information"].due_on == due and measures["job_information"].description == "推荐到社区岗位"
    page = text(cadre.get(plan_url(household)))
    assert "推荐到社区岗位" in page and "本人无创业意愿" in page and "3 decided proposals" in page
    kinds = set(TimelineEvent.objects.filter(household=household).values_list("kind", flat=True))
    assert {"plan_created", "measures_proposed", "proposal_accepted", "proposal_edited", "proposal_rejected"} <= kinds


def test_rejecting_without_a_reason_shows_the_message_and_changes_nothing(household, cadre):
    rec = make_recommendation(household, RecommendationRule.objects.get(code="students", is_current=True))
    response = cadre.post(reverse("plans:recommendation", args=[rec.pk]), {"action": "reject", "reason": " "})
    assert response.status_code == 200
    assert "Give the reason why the proposal is rejected." in text(response)
    rec.refresh_from_db()
    assert rec.decision == "pending"


def test_accepting_with_a_past_due_date_shows_the_message_and_saves_nothing(household, cadre, grassroots_cadre):
    rec = make_recommendation(household, RecommendationRule.objects.get(code="students", is_current=True))
    response = cadre.post(reverse("plans:recommendation", args=[rec.pk]), {
        "action": "edit", "function": rec.function, "kind": rec.kind, "description": rec.description,
        "owner": grassroots_cadre.pk, "due_on": (TODAY() - dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 200 and "has passed" in text(response)
    rec.refresh_from_db()
    assert rec.decision == "pending" and not Measure.objects.exists()


def test_adding_a_measure_by_hand_and_the_bad_inputs(household, cadre, grassroots_cadre, outsider):
    url = reverse("plans:measure_add", args=[household.pk])
    form = {"function": "relief", "kind": "temporary_funds", "description": "春节慰问", "owner": grassroots_cadre.pk,
            "due_on": (TODAY() - dt.timedelta(days=3)).isoformat()}
    response = cadre.post(url, form)
    assert response.status_code == 200 and "has passed" in text(response)
    response = cadre.post(url, {**form, "due_on": TODAY().isoformat(), "owner": outsider.pk})
    assert "Choose a measure owner from the list" in text(response)
    assert not Measure.objects.exists()
    response = cadre.post(url, {**form, "due_on": TODAY().isoformat()})
    assert response.status_code == 302
    assert Measure.objects.get().description == "春节慰问"


def test_updating_a_measure_state_and_replanning(household, cadre, grassroots_cadre):
    measure = make_measure(household, grassroots_cadre)
    url = reverse("plans:measure_detail", args=[measure.pk])
    response = cadre.post(url, {"action": "state", "state": "done", "outcome": ""})
    assert "Say what came of the measure" in text(response)
    response = cadre.post(url, {"action": "edit", "due_on": (TODAY() - dt.timedelta(days=1)).isoformat(),
                                "owner": grassroots_cadre.pk})
    assert "has passed" in text(response)
    measure.refresh_from_db()
    assert measure.state == "planned" and measure.due_on > TODAY()
    assert cadre.post(url, {"action": "state", "state": "done", "outcome": "已上岗"}).status_code == 302
    measure.refresh_from_db()
    assert (measure.state, measure.outcome) == ("done", "已上岗")


def test_the_four_clears(household, cadre):
    page = text(cadre.get(plan_url(household)))
    assert 'data-testid="clear-size"' in page and "2 people" in page
    assert "Laid off / unemployed" in page  # the cause comes from the archive
    response = cadre.post(reverse("plans:plan_edit", args=[household.pk]),
                          {"situation": "夫妻二人均下岗，孩子读初中", "needs": "稳定工作"})
    assert response.status_code == 302
    page = text(cadre.get(plan_url(household)))
    assert "夫妻二人均下岗" in page and "稳定工作" in page


def test_a_helper_updates_only_their_own_measures(household, signed_in_en, helper, grassroots_cadre):
    theirs = make_measure(household, helper)
    other = make_measure(household, grassroots_cadre, kind="skills_training")
    client = signed_in_en(helper)
    page = text(client.get(plan_url(household)))
    assert 'data-testid="propose"' not in page and 'data-testid="measure-add"' not in page
    assert client.post(reverse("plans:measure_detail", args=[theirs.pk]),
                       {"action": "state", "state": "in_progress"}).status_code == 302
    assert client.post(reverse("plans:measure_detail", args=[other.pk]),
                       {"action": "state", "state": "in_progress"}).status_code == 404
    assert client.post(reverse("plans:measure_detail", args=[theirs.pk]),
                       {"action": "edit", "due_on": TODAY().isoformat(), "owner": helper.pk}).status_code == 404
    assert client.get(reverse("plans:measure_add", args=[household.pk])).status_code == 404
    theirs.refresh_from_db()
    other.refresh_from_db()
    assert (theirs.state, other.state) == ("in_progress", "planned")


def test_a_worker_reads_the_measures_of_their_own_household_only(tree, household, signed_in_en, worker_user,
                                                                  grassroots_cadre):
    Member.objects.filter(household=household, is_head=True).update(account=worker_user)
    measure = make_measure(household, grassroots_cadre, description="推荐就业岗位")
    rec = make_recommendation(household, RecommendationRule.objects.get(code="students", is_current=True))
    household.plan.situation = "内部记录的家庭情况"
    household.plan.save()
    client = signed_in_en(worker_user)
    page = text(client.get(plan_url(household)))
    assert "推荐就业岗位" in page
    assert "内部记录的家庭情况" not in page and rec.description not in page and 'data-testid="propose"' not in page
    assert 'data-testid="measure-update"' not in page
    other = make_household(tree.grassroots, name="王五")
    assert client.get(plan_url(other)).status_code == 404
    for url, data in ((reverse("plans:measure_detail", args=[measure.pk]), {"action": "state", "state": "done",
                                                                     "outcome": "x"}),
                      (reverse("plans:recommendation", args=[rec.pk]), {"action": "accept"}),
                      (reverse("plans:propose", args=[household.pk]), {})):
        assert client.post(url, data).status_code == 404
    measure.refresh_from_db()
    assert measure.state == "planned"


def test_another_union_gets_404_everywhere(household, signed_in_en, outsider, grassroots_cadre):
    measure = make_measure(household, grassroots_cadre)
    rec = make_recommendation(household, RecommendationRule.objects.get(code="students", is_current=True))
    client = signed_in_en(outsider)
    urls = [plan_url(household), reverse("plans:plan_edit", args=[household.pk]),
            reverse("plans:measure_add", args=[household.pk]), reverse("plans:measure_detail", args=[measure.pk]),
            reverse("plans:recommendation", args=[rec.pk])]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"action": "accept"}).status_code == 404, url
    assert client.post(reverse("plans:propose", args=[household.pk])).status_code == 404
    assert not Recommendation.objects.exclude(pk=rec.pk).exists()


def test_the_archive_page_shows_the_plan_panel(household, cadre, grassroots_cadre):
    make_measure(household, grassroots_cadre, due_in=-2)
    make_recommendation(household, RecommendationRule.objects.get(code="students", is_current=True))
    page = text(cadre.get(reverse("registry:detail", args=[household.pk])))
    assert 'data-testid="panel-plan"' in page and "1 proposed measure waits for a decision" in page
    assert "Job information" in page and plan_url(household) in page


# --- rules ---------------------------------------------------------------------------------------------------


@pytest.fixture
def admin(signed_in_en, national_sysadmin):
    shipped_rules()
    return signed_in_en(national_sysadmin)


def rule_form(rule, **overrides):
    import json

    form = {"title": rule.title, "title_en": rule.title_en, "explanation": rule.explanation, "priority": rule.priority,
            "is_active": "on" if rule.is_active else "", "source": rule.source,
            "condition": json.dumps(rule.condition), "proposals": json.dumps(rule.proposals),
            "base_version": rule.version}
    form.update(overrides)
    return form


def test_the_rule_list_counts_proposals_per_rule(admin, household, grassroots_cadre):
    make_recommendation(household, RecommendationRule.objects.get(code="students", is_current=True))
    page = text(admin.get(reverse("plans:rules")))
    assert 'data-testid="rule-students"' in page and 'data-testid="rule-new"' in page
    assert RecommendationRule.objects.get(code="students").title_en in page  # the English title on English pages


def test_editing_a_rule_writes_a_new_version(admin, household):
    rule = RecommendationRule.objects.get(code="students", is_current=True)
    rec = make_recommendation(household, rule)
    response = admin.post(reverse("plans:rule_edit", args=["students"]), rule_form(rule, explanation="新说明"))
    assert response.status_code == 302
    current = RecommendationRule.objects.get(code="students", is_current=True)
    assert current.version == 2 and current.explanation == "新说明"
    rec.refresh_from_db()
    assert rec.rule.version == 1 and rec.rule.explanation == rule.explanation
    page = text(admin.get(reverse("plans:rule_detail", args=["students"])))
    assert 'data-testid="version-1"' in page and 'data-testid="version-2"' in page
    old = text(admin.get(reverse("plans:rule_detail", args=["students"]) + "?version=1"))
    assert 'data-testid="old-version"' in old and rule.explanation in old
    admin.post(reverse("plans:rule_detail", args=["students"]), {"action": "deactivate", "base_version": 2})
    current = RecommendationRule.objects.get(code="students", is_current=True)
    assert (current.version, current.is_active) == (3, False)


def test_a_broken_rule_cannot_be_saved(admin):
    rule = RecommendationRule.objects.get(code="students", is_current=True)
    url = reverse("plans:rule_edit", args=["students"])
    response = admin.post(url, rule_form(rule, condition='{"any": [}'))
    assert "This is not valid JSON" in text(response) and "line 1, column 10" in text(response)
    response = admin.post(url, rule_form(rule, condition='{"fact": "pets", "op": "gt", "value": 0}',
                                         proposals='[{"key": "school_aid", "function": "relief", "kind": "school"}]'))
    body = text(response)
    assert "unknown fact “pets”" in body
    assert "Proposal 1, field “kind”" in body and "Proposal 1, field “due_days”: this field is required." in body
    assert RecommendationRule.objects.filter(code="students").count() == 1


def test_creating_a_rule(admin):
    response = admin.post(reverse("plans:rule_new"), {
        "code": "uninsured", "title": "未参保", "priority": 90, "is_active": "on",
        "condition": '{"fact": "uninsured_count", "op": "gt", "value": 0}',
        "proposals": '[{"key": "enrol_insurance", "function": "rights", "kind": "medical_insurance", '
                     '"description": "协助参保", "due_days": 30}]'})
    assert response.status_code == 302
    assert RecommendationRule.objects.get(code="uninsured").version == 1


def test_case_workers_read_rules_but_do_not_edit_them(cadre):
    rule = make_rule("readable")
    assert cadre.get(reverse("plans:rules")).status_code == 200
    assert cadre.get(reverse("plans:rule_detail", args=["readable"])).status_code == 200
    assert cadre.get(reverse("plans:rule_edit", args=["readable"])).status_code == 404
    assert cadre.get(reverse("plans:rule_new")).status_code == 404
    assert cadre.post(reverse("plans:rule_detail", args=["readable"]),
                      {"action": "deactivate", "base_version": 1}).status_code == 404
    rule.refresh_from_db()
    assert rule.is_active and rule.is_current


def test_the_plan_page_and_the_api_do_not_query_per_row(household, cadre, grassroots_cadre):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bangfu.funds.tests.test_api_money import token_client

    rule = RecommendationRule.objects.get(code="students", is_current=True)
    api = token_client(grassroots_cadre)

    def counts():
        with CaptureQueriesContext(connection) as page:
            assert cadre.get(plan_url(household)).status_code == 200
        with CaptureQueriesContext(connection) as measures:
            assert api.get("/api/v1/measures/").status_code == 200
        with CaptureQueriesContext(connection) as recs:
            assert api.get("/api/v1/recommendations/").status_code == 200
        return len(page), len(measures), len(recs)

    make_measure(household, grassroots_cadre)
    make_recommendation(household, rule)
    counts()  # warm-up: the first request also loads the session, the code-list labels, …
    few = counts()
    for n in range(5):
        make_measure(household, grassroots_cadre, kind="skills_training")
        make_recommendation(household, rule, key=f"extra_{n}")
    assert counts() == few
