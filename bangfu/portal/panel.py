"""The worker-account panel of the archive page (staff who may change members) and the account rows of the
household's timeline."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from bangfu.portal.accounts import STAFF_PERMISSION

TIMELINE_KINDS = {
    "worker_account_opened": _("Worker account opened"),
    "worker_invitation_created": _("Worker invitation code created"),
}


def panel_context(request, household):
    user = request.user
    if user.kind != "staff" or not user.has_role_permission(STAFF_PERMISSION):
        return None
    members = sorted(household.members.all(), key=lambda m: (not m.is_head, m.pk))  # prefetched by the page
    return {"portal_members": members}


def register() -> None:
    from bangfu.registry.models.timeline import register_kind
    from bangfu.registry.views_detail import register_panel

    register_panel(panel_context, "portal/panel_accounts.html")
    for kind, label in TIMELINE_KINDS.items():
        register_kind(kind, label, needs="registry.view_member", group="archive")
