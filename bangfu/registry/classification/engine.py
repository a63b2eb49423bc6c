"""The single-household engine: gathers the inputs in Python and evaluates the shared formula trees."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from bangfu.registry.classification import formulas as F
from bangfu.registry.classification.params import Params, resolve, to_fen

ROUNDING_NOTE = (
    "Tests compare exact amounts in fen (0.01 yuan) without rounding; per-capita amounts shown are "
    "rounded half-up to 0.01 yuan."
)


@dataclass
class Result:
    category: str  # "" = cannot classify (see explanation["status"])
    common_level: str
    scheme: str
    formula_version: str
    explanation: dict = field(default_factory=dict)
    inputs_digest: str = ""


def yuan(fen: int | Decimal, div: int = 1) -> str:
    value = (Decimal(fen) / Decimal(div) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:.2f}"


@dataclass(frozen=True)
class MemberFacts:
    """What the rules need of one member (`key` links incomes to the member)."""

    key: object
    birth_date: dt.date
    is_head: bool = False
    able_to_work: bool = True
    is_student: bool = False
    work_status: str = ""
    evidence_of_no_income: bool = False
    is_union_member: bool = True
    lives_in_city: bool = True
    labour_relation_since: dt.date | None = None


@dataclass
class Facts:
    """The household facts the formulas read, independent of where they come from.

    `load_facts(household)` reads them from the archive; the eligibility-check API builds them from a
    request body. Both go through the same `inputs_from_facts`, so there is one way from facts to inputs.
    """

    members: list[MemberFacts]
    incomes: list[tuple] = field(default_factory=list)  # (member key, month (1st day), income type, amount)
    expenses: list[tuple] = field(default_factory=list)  # (group, date, amount)
    assets: dict | None = None  # AssetDeclaration fields (savings, net_investment_assets, flags, homes)
    causes: set = field(default_factory=set)
    roster: bool = False
    after_aid: bool = False
    migrant: bool = False


ASSET_FIELDS = (
    "residential_homes", "non_residential_property", "business_with_employees", "high_fee_private_school",
    "studying_abroad_own_cost", "motor_vehicle", "savings", "net_investment_assets",
)


def load_facts(household, params: Params) -> Facts:
    """The facts of a stored household (only the rows of the evaluation window are read)."""
    from bangfu.registry.models import AssetDeclaration, Expense, HouseholdCause, Member, MonthlyIncome

    members = [
        MemberFacts(
            key=m.pk, birth_date=m.birth_date, is_head=m.is_head, able_to_work=m.able_to_work,
            is_student=m.is_student, work_status=m.work_status, evidence_of_no_income=m.evidence_of_no_income,
            is_union_member=m.is_union_member, lives_in_city=m.lives_in_city,
            labour_relation_since=m.labour_relation_since,
        )
        for m in Member.objects.filter(household=household).order_by("id")
    ]
    months = params.months
    incomes = list(MonthlyIncome.objects.filter(
        household=household, month__gte=months[0], month__lte=months[-1]
    ).values_list("member_id", "month", "income_type", "amount"))
    expenses = list(Expense.objects.filter(
        household=household, incurred_on__gte=params.window_start, incurred_on__lte=params.on
    ).values_list("group", "incurred_on", "amount"))
    assets = AssetDeclaration.objects.filter(household=household).values(*ASSET_FIELDS).first()
    causes = set(HouseholdCause.objects.filter(household=household).values_list("code", flat=True))
    return Facts(
        members=members, incomes=incomes, expenses=expenses, assets=assets, causes=causes,
        roster=household.on_minimum_living_roster, after_aid=household.below_line_after_government_aid,
        migrant=household.is_migrant_worker,
    )


def gather_inputs(household, params: Params) -> dict:
    """The formula inputs of one stored household."""
    return inputs_from_facts(load_facts(household, params), params)


def inputs_from_facts(facts: Facts, params: Params) -> dict:
    """The formula inputs (see `formulas` for their meaning) from household facts, by plain Python."""
    members = facts.members
    size = len(members)
    months = params.months
    first, last = months[0], months[-1]
    counted = set(params.counted_income_types)
    by_member_month: dict[tuple, int] = {}
    for member_key, month, income_type, amount in facts.incomes:
        if income_type in counted and first <= month <= last:
            key = (member_key, month)
            by_member_month[key] = by_member_month.get(key, 0) + to_fen(amount)
    eligible = [
        m for m in members
        if params.working_age_oldest_birth_after < m.birth_date <= params.working_age_youngest_birth
        and m.able_to_work and not m.is_student and m.work_status in params.no_job_statuses
        and not m.evidence_of_no_income
    ]
    month_total, imputed_months = {}, 0
    for month in months:
        counted_sum = sum(v for (_mid, mo), v in by_member_month.items() if mo == month)
        missing = sum(1 for m in eligible if by_member_month.get((m.key, month), 0) <= 0)
        imputed_months += missing
        month_total[month] = counted_sum + params.wage_fen * missing
    counted_total = sum(by_member_month.values())
    imputed_total = params.wage_fen * imputed_months
    line_fen = params.line_fen or 0
    below_months = sum(1 for mo in params.last_months if month_total[mo] < line_fen * size)

    groups = {"rigid": 0, "accident": 0, "offset": 0}
    for group, incurred_on, amount in facts.expenses:
        if group in groups and params.window_start <= incurred_on <= params.on:
            groups[group] += to_fen(amount)
    assets = facts.assets
    causes = set(facts.causes)
    head = next((m for m in members if m.is_head), None)
    return {
        "size": size,
        "inc": counted_total + imputed_total,
        "counted_income": counted_total,
        "imputed_income": imputed_total,
        "imputed_member_months": imputed_months,
        "imputed_members": len(eligible),
        "rigid": groups["rigid"],
        "acc": groups["accident"],
        "off": groups["offset"],
        "fin": (to_fen(assets["savings"]) + to_fen(assets["net_investment_assets"])) if assets else 0,
        "below_months": below_months,
        "roster": int(bool(facts.roster)),
        "after_aid": int(bool(facts.after_aid)),
        "cause_marginal": int(bool(causes & set(params.marginal_causes))),
        "cause_accident": int(bool(causes & set(params.accident_causes))),
        "homes": int(assets["residential_homes"] or 0) if assets else 0,
        "nonres": int(bool(assets and assets["non_residential_property"])),
        "business": int(bool(assets and assets["business_with_employees"])),
        "hi_school": int(bool(assets and assets["high_fee_private_school"])),
        "abroad": int(bool(assets and assets["studying_abroad_own_cost"])),
        "vehicle": int(bool(assets and assets["motor_vehicle"])),
        "migrant": int(bool(facts.migrant)),
        "union_member": int(bool(head and head.is_union_member)),
        "lives_in_city": int(bool(head and head.lives_in_city)),
        "labour_ok": int(bool(head and head.labour_relation_since
                               and head.labour_relation_since <= params.labour_since_latest)),
        "month_totals": {mo.isoformat(): month_total[mo] for mo in months},
    }


def _describe(node, env) -> list[dict]:
    """Every named condition of a tree with its numbers and whether it held."""
    out = []
    if isinstance(node, F.Cmp) and node.key:
        item = {"key": node.key, "passed": node.py(env)}
        if node.div is not None:
            div = node.div.py(env) or 1
            item["lhs"], item["rhs"] = yuan(node.a.py(env), div), yuan(node.b.py(env), div)
        else:
            item["lhs"], item["rhs"] = str(node.a.py(env)), str(node.b.py(env))
        out.append(item)
    elif isinstance(node, F.Flag) and node.key:
        out.append({"key": node.key, "passed": node.py(env)})
    elif isinstance(node, F.IfElse):
        cond = _describe(node.cond, env)
        out += cond
        out += _describe(node.then if node.cond.py(env) else node.other, env)
    for child in ("parts",):
        for part in getattr(node, child, ()) or ():
            out += _describe(part, env)
    if isinstance(node, F.Not):
        out += _describe(node.part, env)
    return out


def _params_json(p: Params) -> dict:
    return {
        "division": p.division_code,
        "line": str(p.line_amount) if p.line_amount is not None else None,
        "line_division": p.line_division, "line_division_name": p.line_division_name,
        "line_effective_from": p.line_effective_from.isoformat() if p.line_effective_from else None,
        "line_source": p.line_source, "line_illustrative": p.line_illustrative,
        "minimum_wage": str(p.wage_amount) if p.wage_amount is not None else None,
        "minimum_wage_division": p.wage_division,
        "minimum_wage_effective_from": p.wage_effective_from.isoformat() if p.wage_effective_from else None,
        "scheme": p.scheme,
        "marginal_multiplier": str(p.marginal_multiplier), "relative_multiplier": str(p.relative_multiplier),
        "accident_pci_multiplier": str(p.accident_pci_multiplier),
        "accident_cost_share": str(p.accident_cost_share),
        "financial_assets_multiplier": str(p.financial_assets_multiplier),
        "consecutive_months": p.consecutive_months,
        "working_age": [p.working_age_from, p.working_age_to],
        "policy_division": p.policy_division or None,
        "policy_effective_from": p.policy_effective_from.isoformat() if p.policy_effective_from else None,
        "policy_source": p.policy_source, "policy_illustrative": p.policy_illustrative,
    }


def evaluate(inputs: dict, params: Params) -> Result:
    """Classify from gathered inputs (also used by the eligibility-check API, which stores nothing)."""
    formula_version = F.FORMULA_VERSIONS[params.scheme]
    pj = _params_json(params)
    shown = dict(inputs)
    size = inputs["size"]
    explanation = {
        "evaluated_on": params.on.isoformat(), "formula_version": formula_version, "rounding": ROUNDING_NOTE,
        "parameters": pj, "inputs": shown,
    }
    if size:
        explanation["figures"] = {
            "annual_income": yuan(inputs["inc"]), "counted_income": yuan(inputs["counted_income"]),
            "imputed_income": yuan(inputs["imputed_income"]),
            "per_capita_income": yuan(inputs["inc"], 12 * size),
            "per_capita_net_of_rigid": yuan(inputs["inc"] - inputs["rigid"], 12 * size),
            "rigid_expenses": yuan(inputs["rigid"]), "accident_costs": yuan(inputs["acc"]),
            "accident_offsets": yuan(inputs["off"]), "financial_assets": yuan(inputs["fin"]),
        }
    digest = hashlib.sha256(
        json.dumps({"inputs": shown, "parameters": pj, "version": formula_version}, sort_keys=True,
                   default=str).encode()
    ).hexdigest()
    if params.line_fen is None:
        explanation.update(status="no_line", tests=[], exclusions=[])
        return Result("", "", params.scheme, formula_version, explanation, digest)
    if size == 0:
        explanation.update(status="no_members", tests=[], exclusions=[])
        return Result("", "", params.scheme, formula_version, explanation, digest)
    formulas = F.build(params)
    category, reasons = F.first_passing(formulas, inputs)
    explanation["exclusions"] = [
        {"key": t.key, "applies": t.tree.py(inputs)} for t in formulas.exclusions
    ]
    explanation["exclusion_reasons"] = reasons
    explanation["tests"] = [
        {"key": t.key, "passed": t.tree.py(inputs), "conditions": _describe(t.tree, inputs)} for t in formulas.tests
    ]
    explanation["status"] = "excluded" if reasons else ("eligible" if category != "none" else "not_eligible")
    explanation["category"] = category
    return Result(category, params.common_level(category), params.scheme, formula_version, explanation, digest)


def classify(household, on: dt.date | None = None) -> Result:
    from django.utils import timezone

    on = on or timezone.localdate()
    params = resolve(household.division_id, on)
    return evaluate(gather_inputs(household, params), params)
