"""The dynamic-management panel of the archive page (open review, exit suggestion, relapse watch) and the
monitoring rows of the household's timeline (decisions only: spot-check outcomes, exit suggestions accepted or
dismissed, relapse triggers and their outcome — never the evidence itself, which may hold income or health)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangfu.monitoring.models import (
    OPEN_WATCH_STATES,
    ExitSuggestion,
    RelapseWatch,
    Review,
    SpotOutcome,
    SuggestionState,
    TriggerKind,
)


def panel_context(request, household):
    user = request.user
    if user.kind != "staff" or not user.has_role_permission("monitoring.view_review"):
        return None
    review = (Review.objects.restrict(user, "view").filter(household=household).select_related("cycle")
              .order_by("-cycle__year", "-id").first())
    suggestion = (ExitSuggestion.objects.restrict(user, "view").filter(household=household,
                                                                        state=SuggestionState.OPEN).first())
    watch = (RelapseWatch.objects.restrict(user, "view").filter(household=household, state__in=OPEN_WATCH_STATES)
             .order_by("-starts_on").first())
    return {"monitoring_review": review, "monitoring_suggestion": suggestion, "monitoring_watch": watch}


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "")


def _describe(detail: dict) -> str:
    parts = []
    if detail.get("year"):
        parts.append(gettext("review of %(year)s") % {"year": detail["year"]})
    if detail.get("outcome") in SpotOutcome.values:
        parts.append(_label(SpotOutcome, detail["outcome"]))
    elif detail.get("outcome") == "no_relapse":
        parts.append(gettext("No relapse"))
    elif detail.get("outcome") == "reenter":
        parts.append(gettext("Re-entered as archive %(number)s") % {"number": detail.get("new_archive", "")})
    if detail.get("last_month"):
        parts.append(gettext("months up to %(month)s") % {"month": detail["last_month"]})
    if detail.get("trigger_kind"):
        parts.append(_label(TriggerKind, detail["trigger_kind"]))
    return " · ".join(parts)


TIMELINE_KINDS = {
    "monitoring_spot_check": _("Review spot-checked by the higher level"),
    "monitoring_exit_accepted": _("Exit suggestion accepted"),
    "monitoring_exit_dismissed": _("Exit suggestion dismissed"),
    "monitoring_relapse_trigger": _("Relapse monitoring: review needed"),
    "monitoring_relapse_resolved": _("Relapse review recorded"),
}


def register() -> None:
    from bangfu.registry.models.timeline import register_kind
    from bangfu.registry.views_detail import register_panel

    register_panel(panel_context, "monitoring/panel.html")
    for kind, label in TIMELINE_KINDS.items():
        register_kind(kind, label, describe=_describe, needs="monitoring.view_review", group="lifecycle")
