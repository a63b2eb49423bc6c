"""Builders for plans test data: rules, plans, measures and proposals written directly (fast, explicit);
tests of the write functions go through `bangfu.plans.services` and `engine.propose` instead."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from bangfu.plans.models import Measure, Plan, Recommendation, RecommendationRule
from bangfu.plans.rules_data import load_rules

_numbers = itertools.count(1)


def shipped_rules() -> int:
    """The shipped rules (the data migration's), re-written if a flush emptied the table."""
    return load_rules(RecommendationRule)


def make_rule(code=None, *, condition=None, proposals=None, **fields) -> RecommendationRule:
    n = next(_numbers)
    code = code or f"test_rule_{n}"
    condition = condition or {"fact": "student_count", "op": "gt", "value": 0}
    proposals = proposals or [{"key": f"{code}_p", "function": "service", "kind": "other",
                               "description": "测试措施", "due_days": 10}]
    fields.setdefault("title", f"测试规则 {n}")
    return RecommendationRule.objects.create(code=code, condition=condition, proposals=proposals, **fields)


def make_plan(household, user=None, **fields) -> Plan:
    return Plan.objects.create(household=household, created_by=user, **fields)


def make_measure(household, owner, *, due_in=10, state="planned", kind="job_information", function="service",
                 description="推送就业岗位信息", **fields) -> Measure:
    plan = Plan.objects.filter(household=household).first() or make_plan(household, owner)
    return Measure.objects.create(plan=plan, household=household, function=function, kind=kind,
                                  description=description, owner=owner, state=state,
                                  due_on=timezone.localdate() + dt.timedelta(days=due_in), **fields)


def make_recommendation(household, rule, *, key=None, **fields) -> Recommendation:
    proposal = rule.proposals[0]
    values = {"proposal_key": key or proposal["key"], "function": proposal["function"], "kind": proposal["kind"],
              "description": proposal["description"], "due_days": proposal["due_days"],
              "facts": {"student_count": 1}}
    values.update(fields)
    return Recommendation.objects.create(household=household, rule=rule, **values)
