"""The need score: a transparent sum of weighted parts (weights are data: `NeedScoreWeights`).

Parts: income gap to the line (points per 10 % of the line the per-capita income falls short, capped),
dependants (members under the working age or over it), serious illness and disability (the *health*
parts — shown only to users with `registry.view_health_score`), students, and the urgent-care flag.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

HEALTH_PARTS = ("serious_illness", "disability")
DEFAULT_WEIGHTS = {
    "income_gap": Decimal("5"), "income_gap_cap": Decimal("40"), "dependant": Decimal("5"),
    "serious_illness": Decimal("10"), "disability": Decimal("8"), "student": Decimal("4"),
    "urgent_care": Decimal("15"),
}


def weights_in_force(on: dt.date) -> tuple[dict, str]:
    from bangfu.registry.models import NeedScoreWeights

    row = NeedScoreWeights.objects.filter(effective_from__lte=on).order_by("-effective_from").first()
    if row is None:
        return dict(DEFAULT_WEIGHTS), ""
    return {k: getattr(row, k) for k in DEFAULT_WEIGHTS}, row.effective_from.isoformat()


def compute(household, on: dt.date, *, per_capita_fen: int | None, line_fen: int | None,
            params=None, weights: tuple[dict, str] | None = None, serious=None) -> tuple[Decimal, dict]:
    """(score, breakdown). `per_capita_fen`/`line_fen` come from the classification just made.
    `weights` (as `weights_in_force(on)` returns them) and `serious` (the serious-illness health codes) may be
    passed in by callers that score many households at once; they are looked up otherwise."""
    from bangfu.registry.classification.params import years_before
    from bangfu.registry.models.codes import codes_with_flag

    w, since = weights if weights is not None else weights_in_force(on)
    age_from = params.working_age_from if params else 16
    age_to = params.working_age_to if params else 60
    young_after = years_before(on, age_from)  # born after this: under working age
    old_on_or_before = years_before(on, age_to + 1)  # born on or before this: over working age
    serious = set(serious) if serious is not None else set(codes_with_flag("health", "serious"))
    members = list(household.members.all())
    dependants = sum(1 for m in members if m.birth_date > young_after or m.birth_date <= old_on_or_before)
    ill = sum(1 for m in members if m.health in serious)
    disabled = sum(1 for m in members if m.disability_grade or m.disability_type)
    students = sum(1 for m in members if m.is_student)
    gap_points = Decimal(0)
    if per_capita_fen is not None and line_fen:
        gap = max(Decimal(line_fen - per_capita_fen), Decimal(0)) / Decimal(line_fen)  # share of the line
        gap_points = min(gap * 10 * w["income_gap"], w["income_gap_cap"])
    parts = {
        "income_gap": gap_points,
        "dependants": dependants * w["dependant"],
        "serious_illness": ill * w["serious_illness"],
        "disability": disabled * w["disability"],
        "students": students * w["student"],
        "urgent_care": w["urgent_care"] if household.urgent_care else Decimal(0),
    }
    q = Decimal("0.01")
    parts = {k: Decimal(v).quantize(q, rounding=ROUND_HALF_UP) for k, v in parts.items()}
    total = sum(parts.values(), Decimal(0)).quantize(q)
    breakdown = {
        "parts": {k: str(v) for k, v in parts.items()},
        "counts": {"dependants": dependants, "serious_illness": ill, "disability": disabled, "students": students},
        "weights": {k: str(v) for k, v in w.items()}, "weights_effective_from": since,
        "total": str(total),
    }
    return total, breakdown


def visible_breakdown(user, breakdown: dict) -> tuple[dict, bool]:
    """The parts this user may see, and whether some were hidden (health parts: counsellors only)."""
    parts = dict((breakdown or {}).get("parts", {}))
    if user.has_perm("registry.view_health_score"):
        return parts, False
    hidden = any(k in parts for k in HEALTH_PARTS)
    return {k: v for k, v in parts.items() if k not in HEALTH_PARTS}, hidden
