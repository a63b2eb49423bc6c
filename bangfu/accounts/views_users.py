"""Administration of user accounts: users of an org, one user, creating users, and the security actions.

Every lookup goes through the scoping chokepoint: the org with `get_scoped_or_404(Org, ...)`, the users
with `User.objects.restrict(actor, action)`. A user outside the actor's subtree, or an action the
actor's roles do not include, answers 404 — system, security and audit administrators each reach only
their own actions (separation of duties).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from bangfu.accounts import security, services
from bangfu.accounts.forms import UserCreateForm, UserRolesForm
from bangfu.accounts.models import User
from bangfu.core.scoping import get_scoped_or_404
from bangfu.orgs.models import Org

PAGE_SIZE = 50


def _may(actor, action: str, target: User) -> bool:
    return User.objects.restrict(actor, action).filter(pk=target.pk).exists()


def _org_crumbs(org: Org, *tail) -> list[tuple[str, str]]:
    return [
        (_("Union tree"), reverse("orgs:tree")),
        (org.name, reverse("orgs:detail", args=[org.pk])),
        *tail,
    ]


@login_required
def org_users(request, org_pk: int):
    actor = request.user
    if not actor.has_role_permission("accounts.view_user"):
        raise Http404
    org = get_scoped_or_404(Org, actor, "view", pk=org_pk)
    subtree = request.GET.get("subtree") == "1"
    users = User.objects.restrict(actor, "view").select_related("org").prefetch_related("roles")
    users = users.filter(org__path__startswith=org.path) if subtree else users.filter(org=org)
    query = request.GET.get("q", "").strip()
    if query:
        users = users.filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    page = Paginator(users.order_by("org__path", "username"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    return render(request, "accounts/org_users.html", {
        "org": org,
        "page": page,
        "rows": rows,
        "subtree": subtree,
        "query": query,
        "locked": security.locked_usernames(u.username for u in rows),
        "enrolled": security.enrolled_user_ids(u.pk for u in rows),
        "can_add": actor.has_role_permission("accounts.add_user"),
        "crumbs": _org_crumbs(org, (_("Users"), "")),
    })


def _detail_context(actor, target: User, roles_form=None) -> dict:
    can_change = target.pk != actor.pk and _may(actor, "change", target)
    if roles_form is None and can_change:
        roles_form = UserRolesForm(actor=actor, target=target)
    return {
        "account": target,
        "roles": target.roles.order_by("role"),
        "lockout": security.lockout_status(target),
        "two_factor_enrolled": security.has_two_factor(target),
        "roles_form": roles_form if can_change else None,
        "can_reset_password": can_change,
        "can_unlock": _may(actor, "unlock", target),
        "can_reset_two_factor": target.pk != actor.pk and _may(actor, "reset_2fa", target),
        "crumbs": _org_crumbs(
            target.org, (_("Users"), reverse("accounts:org_users", args=[target.org_id])), (str(target), "")
        ) if target.org_id else [(str(target), "")],
    }


@login_required
def user_detail(request, pk: int):
    target = get_scoped_or_404(User.objects.select_related("org"), request.user, "view", pk=pk)
    return render(request, "accounts/user_detail.html", _detail_context(request.user, target))


@never_cache
@login_required
def user_create(request, org_pk: int):
    actor = request.user
    if not actor.has_role_permission("accounts.add_user"):
        raise Http404
    org = get_scoped_or_404(Org, actor, "view", pk=org_pk)
    form = UserCreateForm(request.POST or None, actor=actor, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            user, password = form.save()
        except ValidationError as error:  # e.g. a race on the username: the whole creation rolled back
            form.add_error(None, error)
        else:
            return render(request, "accounts/initial_password.html", {
                "account": user, "password": password, "created": True,
                "crumbs": _org_crumbs(user.org, (_("Users"), reverse("accounts:org_users", args=[user.org_id])),
                                      (str(user), "")),
            })
    return render(request, "accounts/user_form.html", {
        "form": form,
        "org": org,
        "crumbs": _org_crumbs(org, (_("Users"), reverse("accounts:org_users", args=[org.pk])), (_("New user"), "")),
    })


def _post_only(request):
    # Checked after the scoped lookup, so an outsider gets 404 whatever the method.
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


@login_required
def user_roles(request, pk: int):
    actor = request.user
    target = get_scoped_or_404(User.objects.select_related("org"), actor, "change", pk=pk)
    if (refused := _post_only(request)) is not None:
        return refused
    if target.pk == actor.pk:
        raise Http404  # one's own roles are never edited (no self-grant); the page offers no form for it
    form = UserRolesForm(request.POST, actor=actor, target=target)
    if form.is_valid():
        try:
            form.save()
        except ValidationError as error:
            form.add_error("roles", error)
        else:
            messages.success(request, _("The roles were saved."))
            return redirect("accounts:user_detail", pk=target.pk)
    return render(request, "accounts/user_detail.html", _detail_context(actor, target, roles_form=form))


@never_cache
@login_required
def user_reset_password(request, pk: int):
    actor = request.user
    target = get_scoped_or_404(User.objects.select_related("org"), actor, "change", pk=pk)
    if (refused := _post_only(request)) is not None:
        return refused
    if target.pk == actor.pk:
        raise Http404
    password = services.user_reset_password(actor, target)
    return render(request, "accounts/initial_password.html", {
        "account": target, "password": password, "created": False,
        "crumbs": [(str(target), reverse("accounts:user_detail", args=[target.pk])), (_("New password"), "")],
    })


@login_required
def user_unlock(request, pk: int):
    actor = request.user
    target = get_scoped_or_404(User, actor, "unlock", pk=pk)
    if (refused := _post_only(request)) is not None:
        return refused
    services.user_unlock(actor, target)
    messages.success(request, _("The account was unlocked. Its failed sign-ins were cleared."))
    return redirect("accounts:user_detail", pk=target.pk)


@login_required
def user_reset_two_factor(request, pk: int):
    actor = request.user
    target = get_scoped_or_404(User, actor, "reset_2fa", pk=pk)
    if (refused := _post_only(request)) is not None:
        return refused
    if target.pk == actor.pk:
        raise Http404
    services.user_reset_two_factor(actor, target)
    messages.success(request, _("Two-factor sign-in was reset. The user will set it up again at next sign-in."))
    return redirect("accounts:user_detail", pk=target.pk)
