"""The classification engine (DOMAIN.md §1). Public entry points:

    refresh(household, on=None)  -> re-run classification and need score after the household's inputs changed
    classify(household, on=None) -> the Result (category, explanation, …) without storing anything
    evaluate(inputs, params)     -> the Result for gathered inputs (eligibility check)
    bulk.categories(queryset, on) -> {household_id: category} by one set-based SQL per parameter set

The formulas live once in `formulas` (expression trees evaluated in Python and compiled to SQL).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from bangfu.registry.classification.engine import Result, classify, evaluate  # noqa: F401


@transaction.atomic
def refresh(household, on=None, *, run=None):
    """Re-classify `household` and recompute its need score, storing the result.

    A new `Classification` row is written only when the inputs/parameters digest or the result changed;
    the household's scheme, category, common level, need score are updated; a "reclassified" timeline
    event is written when the category changes. Returns the current `Classification`.
    """
    from bangfu.registry import need_score
    from bangfu.registry.classification.engine import gather_inputs
    from bangfu.registry.classification.params import resolve
    from bangfu.registry.models import Classification, Household, record_event

    on = on or timezone.localdate()
    household = Household.objects.select_for_update().get(pk=household.pk)
    params = resolve(household.division_id, on)
    inputs = gather_inputs(household, params)
    result = evaluate(inputs, params)
    size = inputs["size"]
    per_capita = (inputs["inc"] // (12 * size)) if size else None
    score, breakdown = need_score.compute(household, on, per_capita_fen=per_capita, line_fen=params.line_fen,
                                          params=params)

    current = Classification.objects.filter(household=household, is_current=True).first()
    unchanged = (
        current is not None and current.inputs_digest == result.inputs_digest
        and current.category == result.category and current.scheme == result.scheme
        and current.formula_version == result.formula_version
    )
    if not unchanged:
        Classification.objects.filter(household=household, is_current=True).update(is_current=False)
        current = Classification.objects.create(
            household=household, evaluated_on=on, scheme=result.scheme, category=result.category,
            common_level=result.common_level, formula_version=result.formula_version,
            explanation=result.explanation, inputs_digest=result.inputs_digest, need_score=score, run=run,
            is_current=True,
        )
    old_category = household.category
    fields = {
        "scheme": result.scheme, "category": result.category, "common_level": result.common_level,
        "need_score": score, "need_score_breakdown": breakdown, "household_size": size or household.household_size,
    }
    changed = {k: v for k, v in fields.items() if getattr(household, k) != v}
    if changed or not unchanged:
        for k, v in fields.items():
            setattr(household, k, v)
        household.classified_at = timezone.now()
        household.save(update_fields=[*fields, "classified_at", "updated_at"])
    if old_category != result.category:
        record_event(household, "reclassified", old_category=old_category, new_category=result.category,
                     formula_version=result.formula_version, evaluated_on=on.isoformat())
    return current
