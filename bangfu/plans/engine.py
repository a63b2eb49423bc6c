"""The recommendation engine: conditions over a household's facts, and the proposals they make.

A rule's `condition` is a small JSON tree (documented on `RecommendationRule`):

    {"all": [c, ...]}   every child holds          {"any": [c, ...]}   at least one child holds
    {"not": c}          the child does not hold     {"fact": "student_count", "op": "gt", "value": 0}

Leaves name a fact of `bangfu.plans.facts.FACTS`; the operators a leaf may use depend on the fact's type
(bool: eq ne · int: eq ne gt gte lt lte in · str: eq ne in · list: contains). `validate_condition` refuses
anything else with a message that says where in the tree the problem is, so a rule editor cannot save a rule
the engine could not evaluate. `evaluate` decides a (valid) condition; `matching_facts` names the facts that
made it hold, which are stored with each proposal as its explanation.

`propose(household, user)` is the named write function that runs every current, active rule for one
household and stores a pending `Recommendation` per proposal not already made to it (pending, accepted or
rejected alike: a case worker is not asked twice about what they decided).
"""

from __future__ import annotations

import logging
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bangfu.plans.facts import FACTS, household_facts

logger = logging.getLogger(__name__)

OPS_BY_TYPE = {
    "bool": ("eq", "ne"),
    "int": ("eq", "ne", "gt", "gte", "lt", "lte", "in"),
    "str": ("eq", "ne", "in"),
    "list": ("contains",),
}
ALL_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains")
MAX_DEPTH = 8
MAX_NODES = 100
MAX_PROPOSALS = 10
MAX_DUE_DAYS = 730
MAX_DESCRIPTION = 2000
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,40}")
PROPOSAL_FIELDS = ("key", "function", "kind", "description", "due_days")


# --- conditions ------------------------------------------------------------------------------------------


def _where(path: list[str]) -> str:
    return " › ".join(path) if path else _("top level")


class _Checker:
    def __init__(self):
        self.errors: list[str] = []
        self.nodes = 0

    def fail(self, path, message, **params):
        self.errors.append(_("Condition at %(where)s: %(problem)s") % {"where": _where(path),
                                                                       "problem": message % params})

    def node(self, node, path: list[str], depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if self.nodes == MAX_NODES + 1:
                self.fail(path, _("the condition has more than %(max)d parts."), max=MAX_NODES)
            return
        if depth > MAX_DEPTH:
            self.fail(path, _("conditions may be nested at most %(max)d deep."), max=MAX_DEPTH)
            return
        if not isinstance(node, dict) or not node:
            self.fail(path, _("expected an object such as {\"all\": [...]}, {\"any\": [...]}, {\"not\": {...}} or "
                              "{\"fact\": ..., \"op\": ..., \"value\": ...}."))
            return
        keys = set(node)
        combinators = keys & {"all", "any", "not"}
        if combinators:
            if len(keys) != 1:
                self.fail(path, _("“%(key)s” must be the only key of its object (found: %(keys)s)."),
                          key=sorted(combinators)[0], keys=", ".join(sorted(keys)))
                return
            key = next(iter(keys))
            if key == "not":
                self.node(node["not"], [*path, "not"], depth + 1)
                return
            children = node[key]
            if not isinstance(children, list) or not children:
                self.fail(path, _("“%(key)s” needs a non-empty list of conditions."), key=key)
                return
            for number, child in enumerate(children, start=1):
                self.node(child, [*path, f"{key} {number}"], depth + 1)
            return
        self.leaf(node, path)

    def leaf(self, node: dict, path: list[str]) -> None:
        keys = set(node)
        if keys != {"fact", "op", "value"}:
            missing = sorted({"fact", "op", "value"} - keys)
            extra = sorted(keys - {"fact", "op", "value"})
            if missing:
                self.fail(path, _("a comparison needs the keys fact, op and value (missing: %(keys)s)."),
                          keys=", ".join(missing))
            if extra:
                self.fail(path, _("unknown key(s) %(keys)s: use all, any, not, or fact/op/value."),
                          keys=", ".join(extra))
            return
        name, op, value = node["fact"], node["op"], node["value"]
        fact = FACTS.get(name) if isinstance(name, str) else None
        if fact is None:
            self.fail(path, _("unknown fact “%(fact)s” (see the list of facts)."), fact=name)
            return
        if op not in ALL_OPS:
            self.fail(path, _("unknown operator “%(op)s” (use one of %(ops)s)."), op=op, ops=", ".join(ALL_OPS))
            return
        allowed = OPS_BY_TYPE[fact.type]
        if op not in allowed:
            self.fail(path, _("the operator “%(op)s” cannot be used with the fact “%(fact)s” (use %(ops)s)."),
                      op=op, fact=name, ops=", ".join(allowed))
            return
        if op == "in":
            if not isinstance(value, list) or not value:
                self.fail(path, _("“in” needs a non-empty list of values."))
                return
            for item in value:
                self.value(fact, item, path)
        else:
            self.value(fact, value, path)

    def value(self, fact, value, path) -> None:
        kind = fact.type
        if kind == "bool" and not isinstance(value, bool):
            self.fail(path, _("the fact “%(fact)s” is true or false: compare it with true or false."), fact=fact.name)
        elif kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            self.fail(path, _("the fact “%(fact)s” is a whole number: compare it with a whole number."),
                      fact=fact.name)
        elif kind in ("str", "list"):
            if not isinstance(value, str):
                self.fail(path, _("the fact “%(fact)s” holds codes: compare it with a code in quotes."),
                          fact=fact.name)
                return
            allowed = fact.allowed_values()
            if allowed is not None and value not in allowed:
                self.fail(path, _("“%(value)s” is not a known value of the fact “%(fact)s” (known: %(known)s)."),
                          value=value, fact=fact.name, known=", ".join(a for a in allowed if a) or "—")


def validate_condition(condition) -> None:
    """Refuse a condition the engine could not evaluate; every problem is listed with where it is."""
    checker = _Checker()
    checker.node(condition, [], 1)
    if checker.errors:
        raise ValidationError(checker.errors, code="invalid_condition")


def _compare(op: str, actual, expected) -> bool:
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if op == "in":
        return actual in expected
    if op == "contains":
        return expected in (actual or [])
    if actual is None:
        return False
    return {"gt": actual > expected, "gte": actual >= expected, "lt": actual < expected,
            "lte": actual <= expected}[op]


def evaluate(condition: dict, facts: dict) -> bool:
    """Whether a valid condition holds for these facts (a fact missing from `facts` is an error)."""
    if "all" in condition:
        return all(evaluate(child, facts) for child in condition["all"])
    if "any" in condition:
        return any(evaluate(child, facts) for child in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], facts)
    name = condition["fact"]
    if name not in facts:
        raise ValidationError(_("Unknown fact “%(fact)s”.") % {"fact": name}, code="unknown_fact")
    return _compare(condition["op"], facts[name], condition["value"])


def referenced_facts(condition: dict) -> list[str]:
    """The fact names a condition uses, in order of appearance."""
    if "all" in condition or "any" in condition:
        names = []
        for child in condition.get("all") or condition.get("any"):
            names += [n for n in referenced_facts(child) if n not in names]
        return names
    if "not" in condition:
        return referenced_facts(condition["not"])
    return [condition["fact"]]


def matching_facts(condition: dict, facts: dict) -> dict:
    """The facts that made a holding condition hold: every leaf under `all`, the holding children of `any`,
    and the facts a `not` looked at (their values are why it did not hold)."""
    found: dict = {}

    def walk(node):
        if "all" in node:
            for child in node["all"]:
                walk(child)
        elif "any" in node:
            for child in node["any"]:
                if evaluate(child, facts):
                    walk(child)
        elif "not" in node:
            for name in referenced_facts(node["not"]):
                found.setdefault(name, facts.get(name))
        else:
            found.setdefault(node["fact"], facts.get(node["fact"]))

    walk(condition)
    return found


# --- proposals -------------------------------------------------------------------------------------------


def validate_proposals(proposals) -> None:
    """Refuse a malformed list of proposed measures; messages name the proposal (1, 2, …) and the field."""
    from bangfu.plans.models import MeasureFunction, MeasureKind

    errors: list[str] = []

    def fail(row, field, message, **params):
        errors.append(_("Proposal %(row)d, field “%(field)s”: %(problem)s")
                      % {"row": row, "field": field, "problem": message % params})

    if not isinstance(proposals, list) or not proposals:
        raise ValidationError(_("The proposed measures must be a non-empty list of objects with the fields "
                                "%(fields)s.") % {"fields": ", ".join(PROPOSAL_FIELDS)}, code="invalid_proposals")
    if len(proposals) > MAX_PROPOSALS:
        raise ValidationError(_("A rule proposes at most %(max)d measures.") % {"max": MAX_PROPOSALS},
                              code="invalid_proposals")
    seen: dict[str, int] = {}
    for row, proposal in enumerate(proposals, start=1):
        if not isinstance(proposal, dict):
            errors.append(_("Proposal %(row)d: expected an object with the fields %(fields)s.")
                          % {"row": row, "fields": ", ".join(PROPOSAL_FIELDS)})
            continue
        for field in sorted(set(proposal) - set(PROPOSAL_FIELDS)):
            fail(row, field, _("unknown field (allowed: %(fields)s)."), fields=", ".join(PROPOSAL_FIELDS))
        for field in PROPOSAL_FIELDS:
            if field not in proposal:
                fail(row, field, _("this field is required."))
        key = proposal.get("key")
        if "key" in proposal:
            if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
                fail(row, "key", _("use 1–40 letters, digits, “_” or “-”, e.g. job_information."))
            elif key in seen:
                fail(row, "key", _("the key “%(key)s” is already used by proposal %(other)d."), key=key,
                     other=seen[key])
            else:
                seen[key] = row
        if "function" in proposal and proposal["function"] not in MeasureFunction.values:
            fail(row, "function", _("“%(value)s” is not one of %(allowed)s."), value=proposal["function"],
                 allowed=", ".join(MeasureFunction.values))
        if "kind" in proposal and proposal["kind"] not in MeasureKind.values:
            fail(row, "kind", _("“%(value)s” is not one of %(allowed)s."), value=proposal["kind"],
                 allowed=", ".join(MeasureKind.values))
        if "description" in proposal:
            text = proposal["description"]
            if not isinstance(text, str) or not text.strip():
                fail(row, "description", _("describe the measure in words."))
            elif len(text) > MAX_DESCRIPTION:
                fail(row, "description", _("at most %(max)d characters."), max=MAX_DESCRIPTION)
        if "due_days" in proposal:
            days = proposal["due_days"]
            if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DUE_DAYS:
                fail(row, "due_days", _("a whole number of days from 1 to %(max)d."), max=MAX_DUE_DAYS)
    if errors:
        raise ValidationError(errors, code="invalid_proposals")


# --- running the rules -----------------------------------------------------------------------------------


@transaction.atomic
def propose(household, user) -> list:
    """Run every current, active rule for `household`; store one pending `Recommendation` per proposal whose
    key the household has not been proposed yet (pending or decided). Returns the new recommendations."""
    from bangfu.plans.models import Recommendation, RecommendationRule
    from bangfu.plans.services.plans import ensure_plan, lock_household
    from bangfu.registry.models.timeline import record_event

    if not user.has_role_permission("plans.recommend_plan"):
        raise PermissionDenied
    household = lock_household(household)  # one run at a time per household: no duplicate proposals
    ensure_plan(household, user)
    facts = household_facts(household)
    already = set(Recommendation.objects.filter(household=household).values_list("proposal_key", flat=True))
    made = []
    rules = RecommendationRule.objects.filter(is_current=True, is_active=True).order_by("priority", "code")
    for rule in rules:
        try:
            validate_condition(rule.condition)
            validate_proposals(rule.proposals)
        except ValidationError as error:  # edited outside the rule pages: skipped, never half-applied
            logger.warning("Recommendation rule %s is invalid and was skipped: %s", rule, error.messages[:3])
            continue
        if not evaluate(rule.condition, facts):
            continue
        matched = matching_facts(rule.condition, facts)
        for proposal in rule.proposals:
            if proposal["key"] in already:
                continue
            already.add(proposal["key"])
            made.append(Recommendation.objects.create(
                household=household, rule=rule, proposal_key=proposal["key"], function=proposal["function"],
                kind=proposal["kind"], description=proposal["description"], due_days=proposal["due_days"],
                facts=matched))
    if made:
        record_event(household, "measures_proposed", actor=user, count=len(made),
                     rules=sorted({r.rule.code for r in made}))
    return made
