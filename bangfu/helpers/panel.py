"""The responsible-helper panel of the archive page and the helper rows of the household timeline."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from bangfu.helpers.frequencies import visit_due_on
from bangfu.helpers.models import ASSIGNABLE_STATES, HelperAssignment, HelperMode, Visit
from bangfu.helpers.rules import may_record_visit
from bangfu.registry.models import CLOSED_STATES

# The kind of notice that tells the responsible helper an urgent contact is due (sent by bangfu.care, which
# never says why); other urgent notices linking to the archive page say something else.
URGENT_CONTACT = "urgent_contact"


def urgent_notice_at(user, household):
    """When the user's newest unread "urgent contact due" notice linking to this household was sent (None: there
    is none). Reads only the user's own notices (`Notification.objects.restrict`), in one query; says nothing of
    why."""
    from bangfu.notifications.models import Notification, Urgency

    url = reverse("registry:detail", args=[household.pk])
    return (Notification.objects.restrict(user, "view").unread()
            .filter(kind=URGENT_CONTACT, urgency=Urgency.URGENT)
            .filter(Q(link=url) | Q(link__startswith=f"{url}#") | Q(link__startswith=f"{url}?"))
            .order_by("-created_at").values_list("created_at", flat=True).first())


def panel_context(request, household):
    """Current helper (mode, since), earlier helpers with dates and reasons, last and next visit, and the actions
    this user may take. None for users who may not read assignments."""
    user = request.user
    if not user.has_role_permission("helpers.view_helperassignment"):
        return None
    rows = list(HelperAssignment.objects.restrict(user, "view").filter(household=household)
                .select_related("helper", "helper__org", "helper_org").order_by("-starts_on", "-id"))
    current = next((row for row in rows if row.ends_on is None), None)
    visits = Visit.objects.restrict(user, "view").filter(household=household)
    last_visit = visits.order_by("-visited_on", "-id").first()
    due = visit_due_on(current) if current is not None else None
    # The current responsible helper sees, on top, that an urgent contact is due (the notice says so too).
    is_helper = current is not None and current.helper_id == user.pk
    urgent_at = urgent_notice_at(user, household) if is_helper else None
    perms = user.role_permissions
    open_for_helpers = household.state in ASSIGNABLE_STATES
    return {
        "helpers_current": current,
        "helpers_urgent_notice_at": urgent_at,
        "helpers_history": [row for row in rows if row.ends_on is not None],
        "helpers_last_visit": last_visit,
        "helpers_visit_count": visits.count(),
        "helpers_due_on": due,
        "helpers_overdue": due is not None and open_for_helpers and due < timezone.localdate(),
        "helpers_can_assign": current is None and open_for_helpers and "helpers.add_helperassignment" in perms,
        "helpers_can_change": current is not None and "helpers.change_helperassignment" in perms,
        "helpers_can_hand_over": current is not None and open_for_helpers
        and "helpers.change_helperassignment" in perms,
        "helpers_can_visit": household.state not in CLOSED_STATES and may_record_visit(user, household),
        "helpers_can_see_visits": "helpers.view_visit" in perms,
        "helpers_assignable": open_for_helpers,
    }


def _mode(detail: dict) -> str:
    mode = detail.get("mode")
    return str(HelperMode(mode).label) if mode in HelperMode.values else ""


def _describe_assigned(detail: dict) -> str:
    return gettext("%(helper)s · %(mode)s · from %(date)s") % {
        "helper": detail.get("helper", ""), "mode": _mode(detail), "date": detail.get("starts_on", "")}


def _describe_handed_over(detail: dict) -> str:
    return gettext("from %(previous)s to %(helper)s (%(mode)s) on %(date)s") % {
        "previous": detail.get("previous", ""), "helper": detail.get("helper", ""), "mode": _mode(detail),
        "date": detail.get("on", "")}


def _describe_ended(detail: dict) -> str:
    return gettext("%(helper)s until %(date)s") % {"helper": detail.get("helper", ""), "date": detail.get("on", "")}


def _describe_visit(detail: dict) -> str:
    text = pgettext("helper visit", "Visited on %(date)s by %(visitors)s") % {"date": detail.get("visited_on", ""),
                                                             "visitors": detail.get("visitors", "")}
    if detail.get("photo"):
        text += " · " + gettext("with a photo")
    return text


TIMELINE_KINDS = {
    "helper_assigned": (_("Responsible helper assigned"), _describe_assigned, "helpers.view_helperassignment"),
    "helper_handed_over": (_("Responsible helper handed over"), _describe_handed_over,
                           "helpers.view_helperassignment"),
    "helper_ended": (_("Responsible helper's period ended"), _describe_ended, "helpers.view_helperassignment"),
    "visit_recorded": (_("Visit recorded"), _describe_visit, "helpers.view_visit"),
}


def register() -> None:
    from bangfu.registry.models.timeline import register_kind
    from bangfu.registry.views_detail import register_panel

    register_panel(panel_context, "helpers/panel.html")
    for kind, (label, describe, needs) in TIMELINE_KINDS.items():
        register_kind(kind, label, describe=describe, needs=needs, group="helpers")
