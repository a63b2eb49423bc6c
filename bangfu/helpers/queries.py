"""Scoped, set-based lists other pages and apps reuse (work lists, dashboards):

    households_without_helper(user, org=None)   active archives with no current responsible helper
    overdue_visits(user, today=None, org=None)  current assignments whose next visit was due before today
    helper_workload(user, today=None)           helpers of the user's subtree with their counts

Each is one queryset (correlated subqueries, no loop over rows) and goes through `restrict(user, "view")`.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, Func, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.helpers.frequencies import epoch_day
from bangfu.helpers.models import ASSIGNABLE_STATES, HelperAssignment, Visit
from bangfu.registry.models import Household, State

RECENT_VISIT_DAYS = 90


def _in_org(queryset, org, path_field: str):
    return queryset.filter(**{f"{path_field}__startswith": org.path}) if org is not None else queryset


def households_without_helper(user, org=None):
    """Active archives the user may see (of `org`'s subtree when given) that have no current assignment."""
    current = HelperAssignment.objects.current().filter(household=OuterRef("pk"))
    households = Household.objects.restrict(user, "view").filter(state=State.ACTIVE).exclude(Exists(current))
    return _in_org(households, org, "org__path")


def overdue_visits(user, today: dt.date | None = None, org=None):
    """Current assignments (one per household) the user may see whose next visit is overdue, oldest due first."""
    today = today or timezone.localdate()
    rows = HelperAssignment.objects.restrict(user, "view").overdue(today).annotate(
        days_overdue=Value(epoch_day(today)) - F("due_day"))
    return _in_org(rows, org, "household__org__path").order_by("due_day", "household_id")


def _count(queryset):
    """`(SELECT COUNT(*) ...)` as a scalar subquery, 0 when empty (no GROUP BY in the subquery)."""
    expression = Func(F("pk"), function="COUNT", output_field=IntegerField())
    return Coalesce(Subquery(queryset.order_by().values(n=expression)[:1]), Value(0))


def helper_workload(user, today: dt.date | None = None):
    """Users of the user's subtree who hold the helper role or are currently responsible for a household the
    user may see, annotated with `households` (current assignments of helped households), `recent_visits`
    (visits made as responsible helper in the last 90 days) and `overdue` (households whose visit is overdue).
    Only rows the user may see are counted."""
    from bangfu.accounts.models import User

    today = today or timezone.localdate()
    if user.kind != "staff" or not user.org_id or not user.has_role_permission("helpers.view_helperassignment"):
        return User.objects.none()
    assignments = HelperAssignment.objects.restrict(user, "view")
    current = assignments.current().filter(household__state__in=ASSIGNABLE_STATES)
    visits = Visit.objects.restrict(user, "view").filter(
        visited_on__gte=today - dt.timedelta(days=RECENT_VISIT_DAYS), visited_on__lte=today)
    people = (
        User.objects.filter(kind="staff", org__path__startswith=user.org.path)
        .filter(Q(roles__role=Role.HELPER, is_active=True) | Q(pk__in=current.values("helper_id")))
    )
    return (
        User.objects.filter(pk__in=people.values("pk")).select_related("org")
        .annotate(
            households=_count(current.filter(helper=OuterRef("pk"))),
            recent_visits=_count(visits.filter(assignment__helper=OuterRef("pk"))),
            overdue=_count(assignments.overdue(today).filter(helper=OuterRef("pk"))),
        )
    )


def helper_households(user, helper):
    """The households `helper` is currently responsible for, as the user may see them, with their due dates."""
    return (HelperAssignment.objects.restrict(user, "view").current().filter(helper=helper)
            .select_related("household", "household__org").with_visit_due().order_by("due_day", "household_id"))
