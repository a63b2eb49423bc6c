from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.roles import Role

# (permission, role or "kind:<user kind>" needed — or a tuple of them, all needed; URL name; URL args from
# the user; icon; title; description). A page another part of the platform has not built yet (its URL name
# does not resolve) is left out. The registry's pages come first: they are a case worker's daily work.
_ACTIONS = [
    (
        ("registry.view_household", "kind:staff"),
        "registry:list",
        None,
        "folder2-open",
        _("Household archives"),
        _("Find an archive by name, pinyin initials or ID number; filter, sort and export the list."),
    ),
    (
        ("registry.add_household", "kind:staff"),
        "registry:create",
        None,
        "folder-plus",
        _("New archive"),
        _("Open an archive for a worker's household, or apply on a worker's behalf."),
    ),
    (
        ("registry.view_publicnotice", "kind:staff"),
        "registry:notices",
        None,
        "megaphone",
        _("Public notices"),
        _("Archives in their public-notice period, objections, and the posters to print."),
    ),
    (
        ("registry.reclassify_household", "kind:staff"),
        "registry:reclassification-list",
        None,
        "arrow-repeat",
        _("Re-classification runs"),
        _("After a new line or policy: review the changes of category before they apply."),
    ),
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
    if isinstance(need, tuple):
        return all(_allowed(user, one) for one in need)
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
    if user.kind == "worker" and user.has_role_permission("registry.view_household"):
        own = _own_household(user)
        if own is not None:
            actions.insert(0, {
                "url": reverse("registry:detail", args=[own.pk]), "icon": "folder2-open",
                "title": _("My household archive"),
                "description": _("Your family's archive: its state, category and what happened so far."),
            })
    return actions


def _own_household(user):
    """The household a worker belongs to, through the scoping chokepoint."""
    from bangfu.registry.models import Household

    return Household.objects.restrict(user, "view").order_by("-id").only("pk").first()


def _worklist_url(user) -> str | None:
    """Staff start their day on "My work" (bangfu.worklist): the home page leads there first."""
    if user.kind != "staff":
        return None
    try:
        return reverse("worklist:home")
    except NoReverseMatch:
        return None


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
            "worklist_url": _worklist_url(user),
        },
    )


def healthz(request):
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def page_not_found(request, exception=None):
    """The 404 page. Its language switch returns to the path alone: echoing the query of a refused request (an
    org code of another union, say) would put what the user may not look at back on the page."""
    from django.shortcuts import render

    return render(request, "404.html", {"language_next": request.path}, status=404)
