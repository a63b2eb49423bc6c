"""The recommendation engine: facts from the archive, the condition language and its validation, proposals made
once per household, and rule versions that proposals keep pointing at."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bangfu.plans.engine import evaluate, matching_facts, propose, validate_condition, validate_proposals
from bangfu.plans.facts import FACTS, household_facts
from bangfu.plans.models import Recommendation, RecommendationDecision, RecommendationRule
from bangfu.plans.rules_data import RULES
from bangfu.plans.services.recommendations import recommendation_accept, recommendation_reject
from bangfu.plans.services.rules import rule_new_version, rule_set_active
from bangfu.plans.tests.factories import make_rule, shipped_rules
from bangfu.registry.models import HouseholdCause, Member, TimelineEvent
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db


def messages_of(error: ValidationError) -> str:
    return " | ".join(error.messages)


# --- facts ---------------------------------------------------------------------------------------------------


def test_facts_are_read_from_the_archive(tree):
    household = make_household(tree.grassroots, size=3, main_cause="6", secondary=("9",), single_parent=True)
    today = timezone.localdate()
    student = household.members.filter(is_head=False).first()
    student.school_stage, student.school_entry_year, student.school_length_years = "college", today.year - 2, 3
    student.birth_date = dt.date(today.year - 20, 1, 1)
    student.save()
    Member.objects.filter(household=household, is_head=True).update(health="cancer", work_status="unemployed",
                                                                     medical_insurance="none")
    facts = household_facts(household)
    assert set(facts) == set(FACTS)  # every documented fact is computed, nothing undocumented
    assert facts["causes"] == ["6", "9"] and facts["main_cause"] == "6"
    assert facts["single_parent"] is True and facts["some_self_help_ability"] is False
    assert facts["serious_illness_count"] == 1 and facts["uninsured_count"] == 1
    assert facts["jobless_able_count"] == 1  # the head: working age, able-bodied, unemployed (flag no_job)
    assert facts["student_count"] == 2 and facts["higher_education_student_count"] == 1
    assert facts["graduating_student_count"] == 1  # entered 2 years ago, 3-year course: ends next year
    assert facts["minor_count"] == 1 and facts["head_age"] >= 40


def test_a_student_is_not_counted_as_able_to_work(tree):
    household = make_household(tree.grassroots, size=2)
    Member.objects.filter(household=household, is_head=False).update(birth_date=dt.date(2000, 1, 1),
                                                                     work_status="none")
    facts = household_facts(household)
    assert facts["working_age_count"] == 2 and facts["able_to_work_count"] == 1 and facts["jobless_able_count"] == 0


# --- the condition language ------------------------------------------------------------------------------------

FACTS_SAMPLE = {"student_count": 2, "causes": ["3", "9"], "single_parent": False, "category": "A_dibao"}


@pytest.mark.parametrize("condition, holds", [
    ({"fact": "student_count", "op": "eq", "value": 2}, True),
    ({"fact": "student_count", "op": "ne", "value": 2}, False),
    ({"fact": "student_count", "op": "gt", "value": 1}, True),
    ({"fact": "student_count", "op": "gte", "value": 3}, False),
    ({"fact": "student_count", "op": "lt", "value": 3}, True),
    ({"fact": "student_count", "op": "lte", "value": 1}, False),
    ({"fact": "student_count", "op": "in", "value": [1, 2]}, True),
    ({"fact": "category", "op": "in", "value": ["B_deep"]}, False),
    ({"fact": "causes", "op": "contains", "value": "9"}, True),
    ({"fact": "causes", "op": "contains", "value": "6"}, False),
    ({"all": [{"fact": "causes", "op": "contains", "value": "3"},
              {"fact": "single_parent", "op": "eq", "value": False}]}, True),
    ({"any": [{"fact": "causes", "op": "contains", "value": "6"}, {"fact": "student_count", "op": "gt", "value": 5}]},
     False),
    ({"not": {"fact": "single_parent", "op": "eq", "value": True}}, True),
])
def test_evaluate(condition, holds):
    validate_condition(condition)
    assert evaluate(condition, FACTS_SAMPLE) is holds


def test_matching_facts_name_what_made_the_rule_hold():
    condition = {"all": [
        {"any": [{"fact": "causes", "op": "contains", "value": "6"},
                 {"fact": "student_count", "op": "gt", "value": 0}]},
        {"not": {"fact": "single_parent", "op": "eq", "value": True}},
    ]}
    assert matching_facts(condition, FACTS_SAMPLE) == {"student_count": 2, "single_parent": False}


@pytest.mark.parametrize("condition, message", [
    ({"fact": "no_such_fact", "op": "eq", "value": 1}, "unknown fact “no_such_fact”"),
    ({"fact": "student_count", "op": "about", "value": 1}, "unknown operator “about”"),
    ({"fact": "student_count", "op": "contains", "value": "1"}, "cannot be used with the fact “student_count”"),
    ({"fact": "single_parent", "op": "gt", "value": True}, "cannot be used with the fact “single_parent”"),
    ({"fact": "student_count", "op": "gt", "value": "0"}, "is a whole number"),
    ({"fact": "student_count", "op": "gt", "value": True}, "is a whole number"),
    ({"fact": "single_parent", "op": "eq", "value": "yes"}, "true or false"),
    ({"fact": "causes", "op": "contains", "value": "99"}, "“99” is not a known value of the fact “causes”"),
    ({"fact": "category", "op": "in", "value": "A_dibao"}, "needs a non-empty list"),
    ({"fact": "student_count", "op": "gt"}, "missing: value"),
    ({"fact": "student_count", "op": "gt", "value": 0, "weight": 2}, "unknown key(s) weight"),
    ({"all": []}, "“all” needs a non-empty list"),
    ({"any": {"fact": "student_count"}}, "“any” needs a non-empty list"),
    ({"all": [{"fact": "student_count", "op": "gt", "value": 0}], "any": []}, "must be the only key"),
    ([], "expected an object"),
    ("student_count > 0", "expected an object"),
    (None, "expected an object"),
])
def test_a_broken_condition_is_refused_with_where_and_why(condition, message):
    with pytest.raises(ValidationError) as caught:
        validate_condition(condition)
    assert message in messages_of(caught.value)


def test_the_message_says_where_in_the_tree():
    condition = {"all": [{"fact": "student_count", "op": "gt", "value": 0},
                         {"any": [{"fact": "causes", "op": "contains", "value": "9"},
                                  {"fact": "x", "op": "eq", "value": 1}]}]}
    with pytest.raises(ValidationError) as caught:
        validate_condition(condition)
    assert caught.value.messages == ["Condition at all 2 › any 2: unknown fact “x” (see the list of facts)."]


def test_too_deep_a_condition_is_refused():
    condition = {"fact": "student_count", "op": "gt", "value": 0}
    for _ in range(10):
        condition = {"not": condition}
    with pytest.raises(ValidationError, match="nested at most"):
        validate_condition(condition)


@pytest.mark.parametrize("proposals, message", [
    ([], "non-empty list"),
    ("job", "non-empty list"),
    (["job"], "Proposal 1: expected an object"),
    ([{"key": "a", "function": "relief", "kind": "safety_net", "description": "x"}],
     "Proposal 1, field “due_days”: this field is required."),
    ([{"key": "a b", "function": "relief", "kind": "safety_net", "description": "x", "due_days": 3}],
     "Proposal 1, field “key”"),
    ([{"key": "a", "function": "relief", "kind": "safety_net", "description": "x", "due_days": 3},
      {"key": "a", "function": "charity", "kind": "safety_net", "description": "x", "due_days": 3}],
     "Proposal 2, field “key”: the key “a” is already used by proposal 1."),
    ([{"key": "a", "function": "charity", "kind": "safety_net", "description": "x", "due_days": 3}],
     "Proposal 1, field “function”: “charity” is not one of relief, rights, service."),
    ([{"key": "a", "function": "relief", "kind": "lottery", "description": "x", "due_days": 3}],
     "Proposal 1, field “kind”: “lottery” is not one of"),
    ([{"key": "a", "function": "relief", "kind": "safety_net", "description": " ", "due_days": 3}],
     "Proposal 1, field “description”"),
    ([{"key": "a", "function": "relief", "kind": "safety_net", "description": "x", "due_days": 0}],
     "Proposal 1, field “due_days”: a whole number of days from 1 to 730."),
    ([{"key": "a", "function": "relief", "kind": "safety_net", "description": "x", "due_days": 3, "cost": 1}],
     "Proposal 1, field “cost”: unknown field"),
])
def test_broken_proposals_are_refused_by_row_and_field(proposals, message):
    with pytest.raises(ValidationError) as caught:
        validate_proposals(proposals)
    assert message in messages_of(caught.value)


def test_the_shipped_rules_are_valid_and_in_the_database():
    shipped_rules()
    for rule in RULES:
        validate_condition(rule["condition"])
        validate_proposals(rule["proposals"])
        assert rule["title"] and rule["title_en"] and rule["explanation"]
    codes = set(RecommendationRule.objects.current().values_list("code", flat=True))
    assert {"no_self_help", "able_to_work", "students", "serious_illness", "social_insurance_rights",
            "disability"} <= codes
    keys = [p["key"] for rule in RULES for p in rule["proposals"]]
    assert len(keys) == len(set(keys))  # one key names one measure across all rules


# --- proposing -------------------------------------------------------------------------------------------------


@pytest.fixture
def rules(db):
    shipped_rules()


def test_propose_makes_one_pending_proposal_per_measure_with_its_rule_and_facts(tree, rules, grassroots_cadre):
    household = make_household(tree.grassroots, size=2, main_cause="3")  # laid off, a child at school
    made = propose(household, grassroots_cadre)
    keys = {r.proposal_key for r in made}
    assert keys == {"job_information", "skills_training", "startup_support", "school_aid"}
    school = next(r for r in made if r.proposal_key == "school_aid")
    assert school.rule.code == "students" and school.rule.version == 1
    assert school.facts == {"student_count": 1}
    assert school.decision == RecommendationDecision.PENDING and school.kind == "school_aid"
    job = next(r for r in made if r.proposal_key == "job_information")
    assert job.facts == {"causes": ["3"]}
    assert household.plan.created_by == grassroots_cadre  # the plan was started by the first run
    row = TimelineEvent.objects.get(household=household, kind="measures_proposed")
    assert row.detail == {"count": 4, "rules": ["able_to_work", "students"]}
    assert "4 measures proposed" in row.summary


def test_propose_never_asks_twice_about_a_measure(tree, rules, grassroots_cadre):
    household = make_household(tree.grassroots, size=2, main_cause="3")
    made = {r.proposal_key: r for r in propose(household, grassroots_cadre)}
    assert propose(household, grassroots_cadre) == []  # pending ones are not repeated
    recommendation_reject(made["startup_support"], grassroots_cadre, reason="本人无创业意愿")
    recommendation_accept(made["school_aid"], grassroots_cadre)
    assert propose(household, grassroots_cadre) == []  # nor decided ones (rejected or accepted)
    assert Recommendation.objects.filter(household=household).count() == 4


def test_a_new_situation_brings_new_proposals_only(tree, rules, grassroots_cadre):
    household = make_household(tree.grassroots, main_cause="3")
    assert {r.proposal_key for r in propose(household, grassroots_cadre)} == {
        "job_information", "skills_training", "startup_support"}
    HouseholdCause.objects.create(household=household, code="6", is_main=False)
    assert {r.proposal_key for r in propose(household, grassroots_cadre)} == {
        "illness_medical_insurance", "illness_mutual_aid", "illness_temporary_funds"}


def test_rights_protection_for_causes_4_and_5(tree, rules, grassroots_cadre):
    household = make_household(tree.grassroots, main_cause="5")
    made = propose(household, grassroots_cadre)
    legal = [r for r in made if r.kind == "legal_aid"]
    assert len(legal) == 1 and legal[0].function == "rights" and legal[0].rule.code == "social_insurance_rights"


def test_no_self_help_ability_gets_the_safety_net(tree, rules, grassroots_cadre):
    household = make_household(tree.grassroots, main_cause="1")
    keys = {r.proposal_key for r in propose(household, grassroots_cadre)}
    assert {"safety_net", "long_term_relief"} <= keys
    other = make_household(tree.grassroots, main_cause="1", some_self_help_ability=True)
    assert "safety_net" not in {r.proposal_key for r in propose(other, grassroots_cadre)}


def test_an_inactive_rule_proposes_nothing(tree, rules, grassroots_cadre, national_sysadmin):
    rule_set_active(national_sysadmin, "students", False, base_version=1)
    household = make_household(tree.grassroots, size=2, main_cause="3")
    assert "school_aid" not in {r.proposal_key for r in propose(household, grassroots_cadre)}


def test_a_proposal_keeps_pointing_at_the_version_that_made_it(tree, rules, grassroots_cadre, national_sysadmin):
    household = make_household(tree.grassroots, size=2, main_cause="3")
    school = next(r for r in propose(household, grassroots_cadre) if r.proposal_key == "school_aid")
    v1 = school.rule
    data = {field: getattr(v1, field) for field in ("title", "title_en", "explanation", "condition", "proposals",
                                                    "priority", "is_active", "source")}
    data["explanation"] = "新的说明"
    v2 = rule_new_version(national_sysadmin, "students", data, base_version=1)
    assert v2.version == 2 and v2.is_current and v2.explanation == "新的说明"
    v1.refresh_from_db()
    school.refresh_from_db()
    assert not v1.is_current and v1.explanation != "新的说明"
    assert school.rule_id == v1.pk and school.rule.version == 1  # unchanged by the edit
    other = make_household(tree.grassroots, size=2, main_cause="3")
    again = next(r for r in propose(other, grassroots_cadre) if r.proposal_key == "school_aid")
    assert again.rule_id == v2.pk  # new proposals come from the new version


def test_a_rule_broken_outside_the_pages_is_skipped_not_half_applied(tree, rules, grassroots_cadre):
    make_rule("broken", condition={"fact": "gone", "op": "eq", "value": 1})
    household = make_household(tree.grassroots, size=2, main_cause="3")
    made = propose(household, grassroots_cadre)
    assert made and all(r.rule.code != "broken" for r in made)


def test_propose_refuses_a_closed_archive(tree, rules, grassroots_cadre):
    household = make_household(tree.grassroots, state="exited", main_cause="3")
    with pytest.raises(ValidationError, match="closed"):
        propose(household, grassroots_cadre)
    assert not Recommendation.objects.filter(household=household).exists()
