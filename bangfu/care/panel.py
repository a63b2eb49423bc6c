"""The care panel of the archive page (`register_panel`).

Counsellors see the care plan, the latest screenings with score and band, open crisis cases with their
deadline and the latest sessions, with links (every record shown is written to the access log). Users who only
know that care exists (`care.know_careplan`: case workers, reviewers, leadership) see one sentence when the
household has a care plan — no dates, no counts. Everyone else sees nothing.
"""

from __future__ import annotations

from django.utils import timezone

from bangfu.care.access import deadline_status, log_reads
from bangfu.care.models import CarePlan, CounsellingSession, CrisisCase, Screening

PANEL_ROWS = 3


def panel_context(request, household):
    user = request.user
    if user.kind != "staff":
        return None
    if user.has_role_permission("care.view_screening"):
        return _full(request, household)
    if user.has_role_permission("care.know_careplan") and (
            CarePlan.objects.restrict(user, "know").filter(household=household).exists()):
        return {"care_full": False, "care_plan_exists": True}
    return None


def _full(request, household) -> dict:
    user = request.user
    now = timezone.now()
    plan = CarePlan.objects.restrict(user, "view").filter(household=household).select_related("counsellor").first()
    screenings = list(Screening.objects.restrict(user, "view").filter(household=household)
                      .select_related("member").order_by("-screened_on", "-id")[:PANEL_ROWS])
    crises = list(CrisisCase.objects.restrict(user, "view").filter(household=household).active()
                  .select_related("responsible_org").order_by("due_at", "id"))
    sessions = list(CounsellingSession.objects.restrict(user, "view").filter(household=household)
                    .order_by("-held_on", "-id")[:PANEL_ROWS])
    log_reads(request, [plan, *screenings, *crises, *sessions], what="archive_panel")
    return {
        "care_full": True,
        "care_plan": plan,
        "care_screenings": screenings,
        "care_crises": [{"case": case, "deadline": deadline_status(case, now)} for case in crises],
        "care_sessions": sessions,
        "care_can_add_plan": user.has_role_permission("care.add_careplan"),
        "care_can_screen": user.has_role_permission("care.add_screening"),
        "care_can_add_session": user.has_role_permission("care.add_counsellingsession"),
    }


def register() -> None:
    from bangfu.registry.views_detail import register_panel

    register_panel(panel_context, "care/panel.html")
