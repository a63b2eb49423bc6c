"""The open-findings panel of the archive page and the finding rows of the household's timeline."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangfu.crosscheck.models import Finding

PANEL_ROWS = 5


def panel_context(request, household):
    user = request.user
    if user.kind != "staff" or not user.has_role_permission("crosscheck.view_finding"):
        return None
    findings = (Finding.objects.restrict(user, "view").open().filter(household=household)
                .select_related("rule").order_by("-opened_at", "-id"))
    rows = list(findings[:PANEL_ROWS + 1])
    return {"crosscheck_findings": rows[:PANEL_ROWS], "crosscheck_more": len(rows) > PANEL_ROWS}


def _describe(detail: dict) -> str:
    parts = []
    if detail.get("rule"):
        parts.append(gettext("Rule %(rule)s v%(version)s") % {"rule": detail["rule"],
                                                             "version": detail.get("rule_version", "")})
    if detail.get("result"):
        parts.append(str(detail["result"]))
    if detail.get("automatic"):
        parts.append(gettext("automatic"))
    return " · ".join(parts)


TIMELINE_KINDS = {
    "finding_opened": _("Cross-check finding opened"),
    "finding_confirmed": _("Cross-check finding confirmed"),
    "finding_dismissed": _("Cross-check finding dismissed"),
}


def register() -> None:
    from bangfu.registry.models.timeline import register_kind
    from bangfu.registry.views_detail import register_panel

    register_panel(panel_context, "crosscheck/panel_findings.html")
    for kind, label in TIMELINE_KINDS.items():
        register_kind(kind, label, describe=_describe, needs="crosscheck.view_finding", group="findings")
