"""The classification panel of the archive page: current category, explanation in plain words, history,
need score (health parts only for `registry.view_health_score`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.registry.models import Category, Classification
from bangfu.registry.need_score import visible_breakdown

CONDITION_TEXT = {
    "pci_below_line": lambda c: _("Per-capita income %(lhs)s yuan is below the line %(rhs)s yuan") % c,
    "consecutive_months_below": lambda c: _("Household income was below the line in %(lhs)s of the last %(rhs)s "
                                            "months (all of them are required)") % c,
    "on_roster": lambda c: _("On the civil-affairs minimum-living roster"),
    "below_after_aid": lambda c: _("Still below the line after government aid"),
    "pci_at_least_line": lambda c: _("Per-capita income %(lhs)s yuan is at least the line %(rhs)s yuan") % c,
    "pci_within_marginal_band": lambda c: _("Per-capita income %(lhs)s yuan is within the marginal band "
                                            "%(rhs)s yuan") % c,
    "net_of_rigid_within_line": lambda c: _("Per-capita income net of rigid expenses %(lhs)s yuan is within "
                                            "the line %(rhs)s yuan") % c,
    "marginal_cause": lambda c: _("A cause that qualifies for the marginal test"),
    "accident_cause": lambda c: _("A sudden event: disaster, accident or serious disease"),
    "pci_within_accident_band": lambda c: _("Per-capita income %(lhs)s yuan is within the accident band "
                                            "%(rhs)s yuan") % c,
    "net_of_accident_within_line": lambda c: _("Per-capita income net of accident costs %(lhs)s yuan is within "
                                               "the line %(rhs)s yuan") % c,
    "with_assets_net_of_accident_within_line": lambda c: _(
        "Per-capita income plus assets net of accident costs %(lhs)s yuan is within the line %(rhs)s yuan") % c,
    "net_below_line": lambda c: _("Per-capita income net of rigid expenses %(lhs)s yuan is below the line "
                                  "%(rhs)s yuan") % c,
    "net_below_relative": lambda c: _("Per-capita income net of rigid expenses %(lhs)s yuan is below "
                                      "%(rhs)s yuan") % c,
    "accident_costs_over_share": lambda c: _("Accident costs net of compensation %(lhs)s yuan exceed the share "
                                             "of annual income %(rhs)s yuan") % c,
}

EXCLUSION_TEXT = {
    "two_homes": lambda: _("Owns two or more residential homes"),
    "non_residential_property": lambda: _("Owns non-residential property"),
    "business_with_employees": lambda: _("Runs a business that employs others"),
    "high_fee_private_school": lambda: _("A child at a high-fee private school"),
    "studying_abroad_own_cost": lambda: _("A child studying abroad at own cost"),
    "motor_vehicle": lambda: _("Owns or regularly uses a motor vehicle"),
    "financial_assets": lambda: _("Financial assets per person over the limit"),
    "migrant_not_union_member": lambda: _("Migrant worker who is not a union member"),
    "migrant_not_living_in_city": lambda: _("Migrant worker not living in the city"),
    "migrant_labour_under_one_year": lambda: _("Migrant worker with a labour relationship under one year"),
}


def category_label(code: str) -> str:
    if not code:
        return _("Cannot classify")
    return str(Category(code).label) if code in Category.values else code


def money(value) -> str:
    """A yuan amount as shown to people: thousands separators and 2 decimals ("1,083.33")."""
    if value in (None, ""):
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def _condition_text(c: dict) -> str:
    text = CONDITION_TEXT.get(c["key"])
    if text is None:
        return c["key"]
    values = dict(c)
    if c["key"] != "consecutive_months_below":
        values["lhs"], values["rhs"] = money(c.get("lhs")), money(c.get("rhs"))
    return text(values)


def rounding_text() -> str:
    """The rounding note in the user's language (the stored explanation keeps the English one)."""
    return _(
        "Tests compare exact amounts in fen (0.01 yuan) without rounding; per-capita amounts shown are rounded "
        "half-up to 0.01 yuan."
    )


def explain(explanation: dict) -> dict:
    """Plain-language lines of a stored explanation."""
    p = explanation.get("parameters", {})
    status = explanation.get("status")
    summary = ""
    if status == "no_line":
        summary = _("Cannot classify: no minimum-living line is in force for this division on %(date)s.") % {
            "date": explanation.get("evaluated_on")}
    elif status == "no_members":
        summary = _("Cannot classify: the household has no members.")
    line = ""
    if p.get("line"):
        line = _("Minimum-living line %(line)s yuan per person per month (%(place)s, in force since %(since)s)") % {
            "line": money(p["line"]), "place": p.get("line_division_name") or p.get("line_division"),
            "since": p.get("line_effective_from")}
    wage = ""
    if p.get("minimum_wage") and (explanation.get("inputs") or {}).get("imputed_member_months"):
        wage = _("Minimum wage %(wage)s yuan imputed for %(months)s member-months without income (in force "
                 "since %(since)s)") % {"wage": money(p["minimum_wage"]),
                                        "months": explanation["inputs"]["imputed_member_months"],
                                        "since": p.get("minimum_wage_effective_from")}
    tests = []
    for t in explanation.get("tests", []):
        conditions = [{"passed": c["passed"], "text": _condition_text(c)} for c in t.get("conditions", [])]
        tests.append({"label": category_label(t["key"]), "passed": t["passed"], "conditions": conditions})
    exclusions = [EXCLUSION_TEXT[k]() if k in EXCLUSION_TEXT else k for k in explanation.get("exclusion_reasons", [])]
    figures = {k: money(v) for k, v in (explanation.get("figures") or {}).items()}
    return {"summary": summary, "line": line, "wage": wage, "tests": tests, "exclusions": exclusions,
            "figures": figures, "rounding": rounding_text() if explanation.get("rounding") else "",
            "formula_version": explanation.get("formula_version", ""),
            "evaluated_on": explanation.get("evaluated_on", ""),
            "several_passed": sum(1 for t in tests if t["passed"]) > 1,
            "category": category_label(explanation.get("category", "")) if status not in ("no_line", "no_members")
            else ""}


def plain_lines(explanation: dict) -> list[str]:
    """The explanation as a list of sentences (the eligibility-check API answers with these)."""
    x = explain(explanation)
    lines = [x["summary"]] if x["summary"] else []
    if x["category"]:
        lines.append(_("Result: %(category)s (evaluated on %(date)s, formulas %(version)s).") % {
            "category": x["category"], "date": x["evaluated_on"], "version": x["formula_version"]})
    if x["line"]:
        lines.append(x["line"])
    if x["wage"]:
        lines.append(x["wage"])
    if x["figures"]:
        lines.append(_("Per-capita monthly income %(pci)s yuan; net of rigid expenses %(net)s yuan.") % {
            "pci": x["figures"]["per_capita_income"], "net": x["figures"]["per_capita_net_of_rigid"]})
    for reason in x["exclusions"]:
        lines.append(_("Excluded: %(reason)s") % {"reason": reason})
    for t in x["tests"]:
        mark = "✓" if t["passed"] else "✗"
        details = "; ".join(("✓ " if c["passed"] else "✗ ") + c["text"] for c in t["conditions"])
        lines.append(f"{mark} {t['label']}: {details}" if details else f"{mark} {t['label']}")
    if x["rounding"]:
        lines.append(x["rounding"])
    return lines


NEED_SCORE_LABELS = {
    "income_gap": lambda: _("Income gap to the line"),
    "dependants": lambda: _("Dependants"),
    "serious_illness": lambda: _("Serious illness"),
    "disability": lambda: _("Disability"),
    "students": lambda: _("Students"),
    "urgent_care": lambda: _("Urgent care"),
}


def context(request, household) -> dict:
    """The stored classification and its explanation; when none is stored yet (e.g. data loaded in bulk),
    the engine computes it now, saving nothing, and the page says so. Users without
    `registry.view_classification` (helpers) get no panel; the need score is for staff only (a worker sees
    the explanation of their own category, not the score), its health parts for counsellors only."""
    user = request.user
    if not user.has_role_permission("registry.view_classification"):
        return {"classification_visible": False}
    history = list(Classification.objects.restrict(user, "view").filter(household=household)
                   .order_by("-created_at", "-id")[:10])
    current = next((c for c in history if c.is_current), None)
    computed_now = False
    if current is None:
        from bangfu.registry.classification import classify

        on = timezone.localdate()
        result = classify(household, on)
        current = Classification(household=household, evaluated_on=on, scheme=result.scheme,
                                 category=result.category, common_level=result.common_level,
                                 formula_version=result.formula_version, explanation=result.explanation)
        computed_now = True
    data = {
        "classification_visible": True,
        "classification": current,
        "classification_computed_now": computed_now,
        "classification_explained": explain(current.explanation),
        "classification_history": [{"c": c, "label": category_label(c.category)} for c in history],
        "need_score_total": None,
    }
    if getattr(user, "kind", "") == "staff" and household.need_score is not None:
        parts, hidden = visible_breakdown(user, household.need_score_breakdown)
        data.update(
            need_score_parts=[
                {"key": k, "label": NEED_SCORE_LABELS[k]() if k in NEED_SCORE_LABELS else k, "points": v}
                for k, v in parts.items()
            ],
            need_score_hidden=hidden,
            need_score_total=household.need_score,
        )
    return data
