"""The economic-check panel of the archive page and the economic-check rows of the household timeline."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangfu.econcheck.indicators import summarise
from bangfu.econcheck.models import UNANSWERED_STATES, CheckRequestItem, CheckResult, SentVia


def household_results(user, household) -> list:
    return list(CheckResult.objects.restrict(user, "view").filter(household=household)
                .select_related("item", "request").order_by("-checked_on", "item__seq"))


def panel_context(request, household):
    """Results per person and the exclusion indicators (None: the user may not see check results)."""
    user = request.user
    if user.kind != "staff" or not user.has_role_permission("econcheck.view_checkresult"):
        return None
    results = household_results(user, household)
    pending = (CheckRequestItem.objects.restrict(user, "view")
               .filter(household=household, request__state__in=UNANSWERED_STATES, result__isnull=True)
               .values_list("request__number", flat=True).distinct())
    return {
        "ec_summary": summarise(household, results) if results else None,
        "ec_pending": sorted(set(pending)),
        "ec_may_request": user.has_role_permission("econcheck.add_checkrequest") and household.is_open,
    }


def _describe(detail: dict) -> str:
    parts = []
    if detail.get("request"):
        parts.append(gettext("request %(number)s") % {"number": detail["request"]})
    if detail.get("via"):
        parts.append(str(SentVia(detail["via"]).label) if detail["via"] in SentVia.values else detail["via"])
    if detail.get("persons"):
        parts.append(gettext("%(count)s person(s) checked") % {"count": detail["persons"]})
    if detail.get("checked_on"):
        parts.append(gettext("checked on %(date)s") % {"date": detail["checked_on"]})
    return " · ".join(parts)


TIMELINE_KINDS = {
    "econcheck_requested": (_("Economic check requested from the check centre"), "econcheck.view_checkrequest"),
    "econcheck_results": (_("Economic-check results received"), "econcheck.view_checkresult"),
}


def register() -> None:
    from bangfu.registry.models.timeline import register_kind
    from bangfu.registry.views_detail import register_panel

    register_panel(panel_context, "econcheck/panel.html")
    for kind, (label, needs) in TIMELINE_KINDS.items():
        register_kind(kind, label, describe=_describe, needs=needs, group="findings")
