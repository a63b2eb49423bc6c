"""Roles and what each may do.

A staff user belongs to one org and holds one or more roles. Permissions are strings
`<app_label>.<action>_<model>` (see `bangfu.core.scoping.permission_name`) or named capabilities.
The three administrator roles are mutually exclusive: system, security and audit administration
are separate people (MLPS level 3, DOMAIN.md §9), and none can do another's work.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")
    CASE_WORKER = "case_worker", _("Case worker")
    REVIEWER = "reviewer", _("Reviewer")
    FUND_MANAGER = "fund_manager", _("Fund manager")
    LEADERSHIP = "leadership", _("Union leadership")
    COUNSELLOR = "counsellor", _("Counsellor")
    HELPER = "helper", _("Helper / volunteer")
    PROVIDER = "provider", _("Service provider")
    WORKER = "worker", _("Worker (self-service)")


ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

# Roles whose holders must use two-factor authentication (TOTP).
TWO_FACTOR_ROLES = frozenset(
    {Role.REVIEWER, Role.FUND_MANAGER, Role.LEADERSHIP, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
)

# Staff roles that work with the union's records (see the org tree and its subtree).
UNION_STAFF_ROLES = frozenset(
    {Role.CASE_WORKER, Role.REVIEWER, Role.FUND_MANAGER, Role.LEADERSHIP, Role.COUNSELLOR, Role.HELPER}
)

_VIEW_TREE = {"orgs.view_org"}

# Least privilege: each role gets exactly what its work needs. Later issues add their permissions here.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: frozenset(
        _VIEW_TREE | {"orgs.change_org", "orgs.add_org", "accounts.view_user", "accounts.change_user",
                      "accounts.add_user", "core.configure",
                      # Role assignments are edited inline on the user (Django admin needs these names).
                      "accounts.view_userrole", "accounts.add_userrole", "accounts.change_userrole",
                      "accounts.delete_userrole",
                      # The working-day calendar's override table (bangfu.workdays).
                      "workdays.view_calendaroverride", "workdays.add_calendaroverride",
                      "workdays.change_calendaroverride", "workdays.delete_calendaroverride"}
    ),
    # The security admin reaches users through the tree (orgs.view_org), unlocks them and resets 2FA.
    Role.SECURITY_ADMIN: frozenset(
        _VIEW_TREE | {"accounts.view_user", "accounts.unlock_user", "accounts.reset_2fa_user"}
    ),
    Role.AUDIT_ADMIN: frozenset({"audit.view_changelogentry", "audit.view_accesslogentry"}),
    Role.CASE_WORKER: frozenset(_VIEW_TREE),
    Role.REVIEWER: frozenset(_VIEW_TREE),
    Role.FUND_MANAGER: frozenset(_VIEW_TREE),
    Role.LEADERSHIP: frozenset(_VIEW_TREE | {"accounts.view_user"}),
    Role.COUNSELLOR: frozenset(_VIEW_TREE),
    Role.HELPER: frozenset(_VIEW_TREE),
    Role.PROVIDER: frozenset(),
    Role.WORKER: frozenset(),
}


def permissions_for(roles) -> frozenset[str]:
    perms: set[str] = set()
    for role in roles:
        perms |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(perms)
