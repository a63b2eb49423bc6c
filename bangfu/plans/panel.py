"""The plan panel of the archive page: open measures, proposals waiting for a decision, a link to the plan."""

from __future__ import annotations

from bangfu.plans.models import Measure, Plan, Recommendation, RecommendationDecision

PANEL_ROWS = 8


def panel_context(request, household):
    """None when the user may not see measures (nothing to show)."""
    user = request.user
    if not user.has_role_permission("plans.view_measure"):
        return None
    measures = Measure.objects.restrict(user, "view").filter(household=household)
    open_measures = measures.open().select_related("owner").order_by("due_on", "id")
    pending = 0
    if user.has_role_permission("plans.view_recommendation"):
        pending = (Recommendation.objects.restrict(user, "view")
                   .filter(household=household, decision=RecommendationDecision.PENDING).count())
    return {
        "plan_exists": Plan.objects.restrict(user, "view").filter(household=household).exists(),
        "plan_open_measures": list(open_measures[:PANEL_ROWS]),
        "plan_open_count": open_measures.count(),
        "plan_measure_count": measures.count(),
        "plan_pending_count": pending,
    }


def register() -> None:
    from bangfu.registry.views_detail import register_panel

    register_panel(panel_context, "plans/panel_plan.html")
