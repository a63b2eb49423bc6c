from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.roles import Role

# (permission, role or "kind:<user kind>" needed; URL name; URL args from the user; icon; title; description).
# A page another part of the platform has not built yet (its URL name does not resolve) is left out.
_ACTIONS = [
    (
        "orgs.view_org",
        "orgs:tree",
        None,
        "diagram-3",
        _("Union tree"),
        _("The organisations you may see, with their users, grassroots unions and members."),
    ),
    (
        "orgs.view_org",
        "orgs:detail",
        "org",
        "building",
        _("My organisation"),
        _("Its division, sub-organisations and the local standards in force today."),
    ),
    (
        "accounts.view_user",
        "accounts:org_users",
        "org",
        "people",
        _("Users"),
        _("The user accounts of your organisation and their roles."),
    ),
    (
        "audit.view_changelogentry",
        "audit:changes",
        None,
        "journal-text",
        _("Change log"),
        _("Who changed what, when and from where."),
    ),
    (
        "audit.view_accesslogentry",
        "audit:access",
        None,
        "eye",
        _("Access log"),
        _("Reads of sensitive pages and exports."),
    ),
    (
        Role.SYSTEM_ADMIN,
        "admin:index",
        None,
        "sliders",
        _("Admin site"),
        _("Configuration tables: divisions, local standards, the union tree."),
    ),
    (
        None,
        "accounts:me",
        None,
        "shield-lock",
        _("My account"),
        _("Change your password and set up two-factor sign-in."),
    ),
    (
        "kind:staff",
        "api:docs",
        None,
        "braces",
        _("API docs"),
        _("Everything on these pages is also available through the REST API."),
    ),
]


def _allowed(user, need) -> bool:
    if need is None:
        return True
    if need.startswith("kind:"):
        return user.kind == need.removeprefix("kind:")
    if "." in need:
        return user.has_role_permission(need)
    return user.has_role(need)


def home_actions(user) -> list[dict]:
    """The pages this user's roles may use, as cards for the home page."""
    actions = []
    for need, url_name, arg, icon, title, description in _ACTIONS:
        if not _allowed(user, need) or (arg == "org" and not user.org_id):
            continue
        try:
            url = reverse(url_name, args=[user.org_id] if arg == "org" else None)
        except NoReverseMatch:
            continue
        actions.append({"url": url, "icon": icon, "title": title, "description": description})
    return actions


@login_required
def home(request):
    from bangfu.orgs.counts import with_counts
    from bangfu.orgs.models import Org, living_line, minimum_wage

    user = request.user
    org = None
    standards = []
    if user.org_id:
        visible = Org.objects.restrict(user, "view")
        org = with_counts(visible).select_related("division").filter(pk=user.org_id).first()
        if org is not None:
            today = timezone.localdate()
            standards = [
                (_("Minimum-living line"), living_line(org.division, today)),
                (_("Minimum wage"), minimum_wage(org.division, today)),
            ]
        else:
            org = user.org  # a role that may not browse the tree still sees the name of its org
    roles = [Role(role).label for role in sorted(user.role_set) if role in Role.values]
    return render(
        request,
        "core/home.html",
        {
            "org": org,
            "roles": roles,
            "actions": home_actions(user),
            "standards": standards,
        },
    )


def healthz(request):
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
