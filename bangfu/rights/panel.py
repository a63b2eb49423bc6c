"""The rights-cases panel of the archive page and the rights rows of the household's timeline."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangfu.rights.models import OPEN_CASE_STATES, CaseKind, CaseOutcome, CaseState, CaseTopic, RightsCase

PANEL_ROWS = 5


def panel_context(request, household):
    """The household's rights cases this user may see (None: the user may see none)."""
    user = request.user
    if user.kind != "staff" or not user.has_role_permission("rights.view_rightscase"):
        return None
    cases = (RightsCase.objects.restrict(user, "view").filter(household=household)
             .select_related("handled_by").order_by("-opened_on", "-id"))
    counts = cases.aggregate(total=Count("id"), open=Count("id", filter=Q(state__in=OPEN_CASE_STATES)))
    return {
        "rights_cases": list(cases[:PANEL_ROWS]) if counts["total"] else [],
        "rights_total": counts["total"],
        "rights_open_count": counts["open"],
        "rights_may_open": user.has_role_permission("rights.add_rightscase") and household.is_open,
    }


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "")


_FIELD_LABELS = {
    "kind": _("kind"), "topic": _("topic"), "summary": _("what it is about"), "opened_on": _("opened on"),
    "handled_by": _("handled by"), "counterpart": _("employer or other party"), "state": _("state"),
}


def _describe(detail: dict) -> str:
    parts = []
    if detail.get("case_kind"):
        parts.append(_label(CaseKind, detail["case_kind"]))
    if detail.get("topic"):
        parts.append(_label(CaseTopic, detail["topic"]))
    if detail.get("opened_on"):
        parts.append(gettext("opened on %(date)s") % {"date": detail["opened_on"]})
    if detail.get("fields"):
        parts.append(gettext("Changed: %(fields)s") % {
            "fields": ", ".join(str(_FIELD_LABELS.get(name, name)) for name in detail["fields"])})
    if detail.get("state"):
        parts.append(gettext("now %(state)s") % {"state": _label(CaseState, detail["state"])})
    if detail.get("outcome"):
        parts.append(gettext("Outcome: %(outcome)s") % {"outcome": _label(CaseOutcome, detail["outcome"])})
    if detail.get("closed_on"):
        parts.append(gettext("closed on %(date)s") % {"date": detail["closed_on"]})
    return " · ".join(parts)


TIMELINE_KINDS = {
    "rights_case_opened": _("Rights case opened"),
    "rights_case_updated": _("Rights case updated"),
    "rights_case_closed": _("Rights case closed"),
    "rights_case_reopened": _("Rights case reopened"),
}


def register() -> None:
    from bangfu.registry.models.timeline import register_kind
    from bangfu.registry.views_detail import register_panel

    register_panel(panel_context, "rights/panel_cases.html")
    for kind, label in TIMELINE_KINDS.items():
        register_kind(kind, label, describe=_describe, needs="rights.view_rightscase", group="rights")
