"""The write functions of the plans: measures (bad input refused with nothing saved, owners from the right unions,
states), decisions on proposals, rule versions; the timeline rows they write."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.plans.engine import propose
from bangfu.plans.models import Measure, Plan, Recommendation, RecommendationDecision, RecommendationRule
from bangfu.plans.services.measures import eligible_owners, measure_add, measure_set_state, measure_update
from bangfu.plans.services.plans import plan_update
from bangfu.plans.services.recommendations import recommendation_accept, recommendation_reject
from bangfu.plans.services.rules import rule_create, rule_new_version, rule_set_active
from bangfu.plans.tests.factories import make_measure, make_rule, shipped_rules
from bangfu.registry.models import TimelineEvent
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def household(tree):
    shipped_rules()
    return make_household(tree.grassroots, size=2, main_cause="3")


@pytest.fixture
def helper(tree):
    return tree.user("helper", tree.grassroots, Role.HELPER)


def add(household, user, **overrides):
    values = {"function": "service", "kind": "job_information", "description": "推送就业岗位信息", "owner": user,
              "due_on": TODAY() + dt.timedelta(days=14)}
    values.update(overrides)
    return measure_add(household, user, **values)


def field_errors(error: ValidationError) -> dict:
    return error.message_dict


# --- measures ---------------------------------------------------------------------------------------------------


def test_a_measure_is_added_with_a_timeline_row(household, grassroots_cadre):
    measure = add(household, grassroots_cadre)
    assert measure.state == "planned" and measure.plan.household == household and measure.created_by == grassroots_cadre
    kinds = list(TimelineEvent.objects.filter(household=household).values_list("kind", flat=True))
    assert "plan_created" in kinds and "measure_added" in kinds
    row = TimelineEvent.objects.get(household=household, kind="measure_added")
    assert "Job information" in row.summary and row.label == "Measure added"
    assert "推送" not in str(row.detail)  # the description is not copied into the timeline


def test_a_due_date_in_the_past_is_refused_and_nothing_is_saved(household, grassroots_cadre):
    yesterday = TODAY() - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        add(household, grassroots_cadre, due_on=yesterday)
    assert "has passed" in field_errors(caught.value)["due_on"][0]
    assert not Measure.objects.exists() and not Plan.objects.exists()
    assert not TimelineEvent.objects.filter(household=household, kind__startswith="measure").exists()
    assert add(household, grassroots_cadre, due_on=TODAY()).due_on == TODAY()  # today is fine


def test_missing_content_is_refused_by_field(household, grassroots_cadre):
    with pytest.raises(ValidationError) as caught:
        add(household, grassroots_cadre, function="", kind="lottery", description=" ", due_on=None)
    errors = field_errors(caught.value)
    assert set(errors) == {"function", "kind", "description"}
    with pytest.raises(ValidationError, match="Enter the due date"):
        add(household, grassroots_cadre, due_on=None)
    with pytest.raises(ValidationError, match="more than 5 years away"):
        add(household, grassroots_cadre, due_on=dt.date(TODAY().year + 40, 1, 1))


def test_the_owner_must_belong_to_the_households_union_or_its_lineage(tree, household, grassroots_cadre, outsider,
                                                                       county_reviewer, worker_user):
    with pytest.raises(ValidationError) as caught:
        add(household, grassroots_cadre, owner=outsider)  # a case worker of the sibling union
    message = field_errors(caught.value)["owner"][0]
    assert "Choose a measure owner from the list" in message and str(outsider) not in message
    assert not Measure.objects.exists()
    for wrong in (worker_user, tree.user("leader", tree.grassroots, Role.LEADERSHIP),
                  tree.user("gone", tree.grassroots, Role.CASE_WORKER)):
        if wrong.username == "gone":
            wrong.is_active = False
            wrong.save()
        with pytest.raises(ValidationError, match="Choose a measure owner from the list"):
            add(household, grassroots_cadre, owner=wrong)
    assert add(household, grassroots_cadre, owner=county_reviewer).owner == county_reviewer  # a union above
    owners = set(eligible_owners(household))
    assert grassroots_cadre in owners and county_reviewer in owners and outsider not in owners


def test_only_case_workers_plan_and_run_the_rules(household, helper):
    with pytest.raises(PermissionDenied):
        propose(household, helper)
    with pytest.raises(PermissionDenied):
        plan_update(household, helper, situation="x", needs="")
    assert not Plan.objects.exists() and not Recommendation.objects.exists()


def test_only_managers_add_or_replan(household, grassroots_cadre, helper):
    with pytest.raises(PermissionDenied):
        add(household, helper, owner=helper)
    measure = add(household, grassroots_cadre, owner=helper)
    with pytest.raises(PermissionDenied):
        measure_update(measure, helper, due_on=measure.due_on + dt.timedelta(days=3), owner=helper)


def test_replanning_changes_due_date_and_owner_but_not_into_the_past(household, grassroots_cadre, helper):
    measure = make_measure(household, grassroots_cadre, due_in=-3)  # already overdue
    measure = measure_update(measure, grassroots_cadre, due_on=measure.due_on, owner=helper)  # unchanged date is ok
    assert measure.owner == helper
    with pytest.raises(ValidationError, match="has passed"):
        measure_update(measure, grassroots_cadre, due_on=TODAY() - dt.timedelta(days=1), owner=helper)
    later = TODAY() + dt.timedelta(days=30)
    measure = measure_update(measure, grassroots_cadre, due_on=later, owner=helper)
    row = TimelineEvent.objects.filter(household=household, kind="measure_updated").latest("id")
    assert later.isoformat() in row.summary


def test_states_move_forward_with_outcomes(household, grassroots_cadre):
    measure = add(household, grassroots_cadre)
    with pytest.raises(ValidationError) as caught:
        measure_set_state(measure, grassroots_cadre, state="done")
    assert "outcome" in field_errors(caught.value)
    measure = measure_set_state(measure, grassroots_cadre, state="in_progress")
    with pytest.raises(ValidationError, match="can only become"):
        measure_set_state(measure, grassroots_cadre, state="planned")
    measure = measure_set_state(measure, grassroots_cadre, state="done", outcome="已推荐到某公司上岗")
    assert measure.completed_on == TODAY()
    with pytest.raises(ValidationError, match="can no longer change"):
        measure_set_state(measure, grassroots_cadre, state="cancelled", outcome="x")
    rows = TimelineEvent.objects.filter(household=household, kind="measure_state_changed").order_by("id")
    assert [r.detail["new_state"] for r in rows] == ["in_progress", "done"]
    assert rows.last().summary == "Job information: In progress → Done"


def test_cancelling_needs_the_reason(household, grassroots_cadre):
    measure = add(household, grassroots_cadre)
    with pytest.raises(ValidationError, match="reason why the measure is cancelled"):
        measure_set_state(measure, grassroots_cadre, state="cancelled", outcome="  ")
    measure.refresh_from_db()
    assert measure.state == "planned"
    assert measure_set_state(measure, grassroots_cadre, state="cancelled", outcome="家庭已搬离").state == "cancelled"


def test_a_helper_updates_only_the_measures_they_own(household, grassroots_cadre, helper):
    theirs = add(household, grassroots_cadre, owner=helper)
    other = add(household, grassroots_cadre, kind="skills_training")
    assert measure_set_state(theirs, helper, state="in_progress").state == "in_progress"
    with pytest.raises(PermissionDenied):
        measure_set_state(other, helper, state="in_progress")
    other.refresh_from_db()
    assert other.state == "planned"


def test_a_closed_archive_is_read_only(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state="exited")
    with pytest.raises(ValidationError, match="closed"):
        add(household, grassroots_cadre)
    measure = make_measure(household, grassroots_cadre)
    with pytest.raises(ValidationError, match="closed"):
        measure_set_state(measure, grassroots_cadre, state="in_progress")
    with pytest.raises(ValidationError, match="closed"):
        plan_update(household, grassroots_cadre, situation="x", needs="y")


def test_plan_update_records_which_clears_changed_not_their_text(household, grassroots_cadre):
    plan = plan_update(household, grassroots_cadre, situation="夫妻二人均下岗", needs="")
    assert plan.situation == "夫妻二人均下岗"
    row = TimelineEvent.objects.get(household=household, kind="plan_updated")
    assert row.detail == {"fields": ["situation"]} and "下岗" not in row.summary
    plan_update(household, grassroots_cadre, situation="夫妻二人均下岗", needs="")  # nothing changed: no row
    assert TimelineEvent.objects.filter(household=household, kind="plan_updated").count() == 1


# --- proposals --------------------------------------------------------------------------------------------------


def test_accepting_creates_the_measure_with_the_defaults(household, grassroots_cadre):
    rec = next(r for r in propose(household, grassroots_cadre) if r.proposal_key == "school_aid")
    rec = recommendation_accept(rec, grassroots_cadre)
    measure = rec.measure
    assert rec.decision == RecommendationDecision.ACCEPTED and rec.decided_by == grassroots_cadre
    assert measure.owner == grassroots_cadre and measure.due_on == TODAY() + dt.timedelta(days=rec.due_days)
    assert measure.kind == "school_aid" and measure.description == rec.description
    row = TimelineEvent.objects.get(household=household, kind="proposal_accepted")
    assert "rule students v1" in row.summary
    with pytest.raises(ValidationError, match="already decided"):
        recommendation_reject(rec, grassroots_cadre, reason="x")


def test_accepting_with_changes_is_recorded_as_edited(household, grassroots_cadre, county_reviewer):
    rec = next(r for r in propose(household, grassroots_cadre) if r.proposal_key == "skills_training")
    due = TODAY() + dt.timedelta(days=5)
    rec = recommendation_accept(rec, grassroots_cadre, owner=county_reviewer, due_on=due, description="电工培训")
    assert rec.decision == RecommendationDecision.EDITED
    assert (rec.measure.owner, rec.measure.due_on, rec.measure.description) == (county_reviewer, due, "电工培训")
    assert TimelineEvent.objects.filter(household=household, kind="proposal_edited").exists()


def test_accepting_with_bad_input_saves_nothing(household, grassroots_cadre, outsider):
    rec = next(r for r in propose(household, grassroots_cadre) if r.proposal_key == "job_information")
    with pytest.raises(ValidationError, match="has passed"):
        recommendation_accept(rec, grassroots_cadre, due_on=TODAY() - dt.timedelta(days=2))
    with pytest.raises(ValidationError, match="Choose a measure owner from the list"):
        recommendation_accept(rec, grassroots_cadre, owner=outsider)
    rec.refresh_from_db()
    assert rec.decision == "pending" and not Measure.objects.exists()


def test_rejecting_needs_a_reason(household, grassroots_cadre):
    rec = propose(household, grassroots_cadre)[0]
    with pytest.raises(ValidationError) as caught:
        recommendation_reject(rec, grassroots_cadre, reason=" ")
    assert "reason" in field_errors(caught.value)
    rec.refresh_from_db()
    assert rec.decision == "pending"
    rec = recommendation_reject(rec, grassroots_cadre, reason="已在外地就业")
    assert rec.decision == "rejected" and rec.reason == "已在外地就业"
    row = TimelineEvent.objects.get(household=household, kind="proposal_rejected")
    assert "已在外地就业" in row.summary and row.reason == ""  # the reason is shown to plan readers only


def test_a_helper_cannot_decide_proposals(household, grassroots_cadre, helper):
    rec = propose(household, grassroots_cadre)[0]
    with pytest.raises(PermissionDenied):
        recommendation_accept(rec, helper, owner=helper)


# --- rules ------------------------------------------------------------------------------------------------------


def rule_data(**overrides):
    data = {"title": "测试", "title_en": "Test", "explanation": "", "priority": 100, "is_active": True, "source": "",
            "condition": {"fact": "uninsured_count", "op": "gt", "value": 0},
            "proposals": [{"key": "enrol_insurance", "function": "rights", "kind": "medical_insurance",
                           "description": "协助参保", "due_days": 30}]}
    data.update(overrides)
    return data


def test_rules_are_created_and_versioned(national_sysadmin):
    rule = rule_create(national_sysadmin, "uninsured", rule_data())
    assert (rule.version, rule.is_current) == (1, True)
    v2 = rule_new_version(national_sysadmin, "uninsured", rule_data(priority=5), base_version=1)
    v3 = rule_set_active(national_sysadmin, "uninsured", False, base_version=2)
    assert [(r.version, r.is_current, r.is_active, r.priority) for r in
            RecommendationRule.objects.filter(code="uninsured").order_by("version")] == [
        (1, False, True, 100), (2, False, True, 5), (3, True, False, 5)]
    assert v2.created_by == national_sysadmin and v3.condition == v2.condition


def test_a_stale_or_empty_edit_is_refused(national_sysadmin):
    rule_create(national_sysadmin, "uninsured", rule_data())
    rule_new_version(national_sysadmin, "uninsured", rule_data(priority=5), base_version=1)
    with pytest.raises(ValidationError, match="Somebody saved this rule meanwhile"):
        rule_new_version(national_sysadmin, "uninsured", rule_data(priority=7), base_version=1)
    with pytest.raises(ValidationError, match="Nothing was changed"):
        rule_new_version(national_sysadmin, "uninsured", rule_data(priority=5), base_version=2)
    assert RecommendationRule.objects.filter(code="uninsured").count() == 2


def test_rule_content_is_checked_field_by_field(national_sysadmin):
    shipped_rules()
    bad = rule_data(title="", priority=-1, condition={"fact": "nope", "op": "eq", "value": 1},
                    proposals=[{"key": "school_aid", "function": "relief", "kind": "school_aid",
                                "description": "x", "due_days": 3}])
    with pytest.raises(ValidationError) as caught:
        rule_create(national_sysadmin, "dup", bad)
    errors = caught.value.message_dict
    assert set(errors) == {"title", "priority", "condition", "proposals"}
    with pytest.raises(ValidationError) as caught:
        rule_create(national_sysadmin, "dup", rule_data(proposals=bad["proposals"]))
    assert "already a proposal of the rule “students”" in caught.value.message_dict["proposals"][0]
    for code in ("Bad Code", "new", "students"):
        with pytest.raises(ValidationError) as caught:
            rule_create(national_sysadmin, code, rule_data())
        assert "code" in caught.value.message_dict
    assert not RecommendationRule.objects.filter(code="dup").exists()


def test_only_rule_editors_edit_rules(grassroots_cadre):
    make_rule("someone")
    with pytest.raises(PermissionDenied):
        rule_new_version(grassroots_cadre, "someone", rule_data(), base_version=1)
    with pytest.raises(PermissionDenied):
        rule_create(grassroots_cadre, "mine", rule_data())
    assert Recommendation.objects.count() == 0
