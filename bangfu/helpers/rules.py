"""Who may be a household's responsible helper, who may record its visits, and since when it existed.

* A responsible helper (pairing or accountable modes) is an active staff user holding one of `HELPER_ROLES`
  whose union is the household's union or a union above it (its lineage). A person of a union below it would
  be locked out by the scoping (the household, their notices' links and its visits are outside their subtree),
  and a person of an unrelated union (a sibling's, another province's) has no business with it: both are
  refused. The refusal names the person and their union only when the actor may name that person at all
  (`nameable_users`); anybody else gets one neutral message, so an id typed into the API reveals nothing.
* In the union mode the union itself is responsible: the household's union or a union above it.
* Visits are recorded by case workers, reviewers and counsellors for any household of their subtree, and by
  a helper (role helper) only for the households they are the current responsible helper of.
* A household "exists" from the earlier of the day its archive was created and its application date: archives
  entered after a paper application (or moved from an older system) carry an `applied_on` before the row's
  creation, and a visit or a helper of that earlier day is legitimate. Nothing is recorded before that day.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.accounts.roles import Role
from bangfu.helpers.frequencies import lineage_paths

HELPER_ROLES = frozenset({Role.HELPER, Role.CASE_WORKER, Role.REVIEWER, Role.LEADERSHIP, Role.COUNSELLOR})
# Roles that record visits for any household of their subtree; a helper only for their own households.
VISIT_ANY_ROLES = frozenset({Role.CASE_WORKER, Role.REVIEWER, Role.COUNSELLOR})


def household_existed_on(household) -> dt.date:
    """The first day the household existed for the platform (see the module's docstring)."""
    created = timezone.localdate(household.created_at) if household.created_at else timezone.localdate()
    if household.applied_on and household.applied_on < created:
        return household.applied_on
    return created


def in_lineage(org, household) -> bool:
    """`org` is the household's union or a union above it (one prefix match)."""
    return household.org.path.startswith(org.path)


def choose_from_the_list() -> str:
    """The one refusal of a person the actor may not name: it says nothing about them."""
    return _("Choose a responsible helper from the list: a person of this household's union or a union above it "
             "who holds a helping role.")


def helper_refusal(household, user, actor=None) -> str | None:
    """Why `user` cannot be the household's responsible helper (None when they can). With an `actor`, a person
    the actor may not name (`nameable_users`) gets the neutral message, never their name or union."""
    if getattr(actor, "pk", None) is not None and not nameable_users(actor).filter(pk=user.pk).exists():
        return None if eligible_helpers(household).filter(pk=user.pk).exists() else choose_from_the_list()
    name = str(user)
    if not user.is_active:
        return _("%(helper)s's account is switched off: choose an active user.") % {"helper": name}
    if user.kind != "staff" or not (user.role_set & HELPER_ROLES):
        return _("%(helper)s holds no role that can be a responsible helper (helper, case worker, reviewer, union "
                 "leadership or counsellor).") % {"helper": name}
    if user.org_id is None:
        return _("%(helper)s belongs to no union.") % {"helper": name}
    if not in_lineage(user.org, household):
        return _("%(helper)s is in %(union)s, which is not this household's union or a union above it.") % {
            "helper": name, "union": user.org.name}
    return None


def eligible_helpers(household):
    """Every user who may be the household's responsible helper (active staff with a helping role of the
    household's union or a union above it), as one queryset (for selects and checks)."""
    from bangfu.accounts.models import User

    return (
        User.objects.filter(is_active=True, kind="staff", org__isnull=False, roles__role__in=HELPER_ROLES)
        .filter(org__path__in=lineage_paths(household.org))
        .distinct().select_related("org").order_by("org__path", "full_name", "username")
    )


def nameable_users(actor):
    """Staff users an actor may name as a helper at all: the people of the actor's subtree and of the unions
    above the actor. Case workers do not hold `accounts.view_user` (the user administration), so this is not
    `User.objects.restrict(...)`: it is a purpose-bound lookup (name and union only), and a user outside it
    is answered like a user that does not exist, never with their union."""
    from bangfu.accounts.models import User

    if actor is None or not actor.is_authenticated or actor.kind != "staff" or not actor.org_id:
        return User.objects.none()
    return User.objects.filter(kind="staff").filter(
        Q(org__path__startswith=actor.org.path) | Q(org__path__in=lineage_paths(actor.org))
    ).select_related("org")


def lineage_orgs(household):
    """The household's union and the unions above it (nearest first in the path order reversed)."""
    from bangfu.orgs.models import Org

    return Org.objects.filter(path__in=lineage_paths(household.org)).order_by("-depth")


def is_current_helper(user, household) -> bool:
    from bangfu.helpers.models import HelperAssignment

    return HelperAssignment.objects.current().filter(household_id=household.pk, helper_id=user.pk).exists()


def may_record_visit(user, household) -> bool:
    """Case workers, reviewers and counsellors: any household of their subtree; helpers: their own households."""
    from bangfu.registry.models import Household

    if user is None or not user.is_authenticated or not user.has_role_permission("helpers.add_visit"):
        return False
    if user.has_role(*VISIT_ANY_ROLES) and Household.objects.restrict(user, "view").filter(pk=household.pk).exists():
        return True
    # Anyone else holding the permission (a helper; or a case worker still responsible for a household outside
    # their subtree: assigned before the lineage rule, or moved to another union since) records the visits of
    # the households they are responsible for.
    return is_current_helper(user, household)
