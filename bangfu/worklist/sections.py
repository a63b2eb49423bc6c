"""The sections of a person's work list ("My work", `/work/`): what each one counts, which rows it lists and who
gets it. The page, its full lists and the JSON endpoint (`/api/v1/my-work/`) all read these functions.

Every queryset goes through `Model.objects.restrict(user, "view")` and the querysets of the apps that own the
rows (`HelperAssignment.objects.overdue`, `Measure.objects.due_for`, `CrisisCase.objects.active`, the funds
approvals inbox), so a section shows exactly what the owning app would show this user. Each section is one or
two indexed queries: a count (personal sections exact; counts over a union's subtree bounded at `COUNT_BOUND`
so a national user never scans a country) and the first rows with what they show joined in (no query per row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.roles import Role

COUNT_BOUND = 1000  # subtree counts stop here ("more than 1000")
FIRST_ROWS = 5  # rows shown per section on the work list; the rest on the section's full list


@dataclass(frozen=True)
class Today:
    """The moment the work list is read: the local date for due dates, the time for crisis deadlines."""

    day: dt.date
    now: dt.datetime

    @classmethod
    def current(cls) -> Today:
        now = timezone.now()
        return cls(day=timezone.localdate(now), now=now)


def bounded_count(queryset, bound: int = COUNT_BOUND) -> tuple[int, bool]:
    """(count, capped): counts at most `bound` rows (`LIMIT bound + 1` inside), so the cost stays bounded."""
    count = queryset.order_by()[: bound + 1].count()
    return (bound, True) if count > bound else (count, False)


# --- the querysets of each section ------------------------------------------------------------------------


def my_households(user, today: Today):
    """Current assignments where `user` is the responsible helper, the next visit due first."""
    from bangfu.helpers.models import HelperAssignment

    return (HelperAssignment.objects.restrict(user, "view").current().filter(helper=user).with_visit_due()
            .select_related("household", "household__org").order_by("due_day", "household_id"))


def overdue_visits(user, today: Today, *, subtree: bool = False):
    """Households whose next visit was due before today (`bangfu.helpers.queries.overdue_visits`): the user's
    own households, or every one of the user's subtree."""
    from bangfu.helpers.queries import overdue_visits as overdue

    rows = overdue(user, today.day)
    if not subtree:
        rows = rows.filter(helper=user)
    return rows.select_related("household", "household__org", "helper", "helper_org")


def measures_due(user, today: Today):
    """Open measures the user owns, overdue or due within `settings.PLANS_DUE_SOON_DAYS`."""
    from bangfu.plans.models import Measure

    return (Measure.objects.restrict(user, "view").due_for(user, settings.PLANS_DUE_SOON_DAYS, today=today.day)
            .select_related("household").order_by("due_on", "id"))


def crisis_cases(user, today: Today):
    """Crisis cases not yet closed in the counsellor's subtree, the nearest deadline first."""
    from bangfu.care.models import CrisisCase

    return (CrisisCase.objects.restrict(user, "view").active()
            .select_related("household", "responsible_org").order_by("due_at", "id"))


def households_without_helper(user, today: Today):
    """Households of the user's subtree that should have a responsible helper and have none
    (`bangfu.helpers.queries.households_without_helper`), the longest waiting first."""
    from bangfu.helpers.queries import households_without_helper as without

    return without(user).select_related("org").order_by("activated_on", "id")


def unread_notifications(user, today: Today):
    from bangfu.notifications.models import Notification

    return Notification.objects.restrict(user, "view").unread().order_by("-created_at", "-id")


# --- who gets which section --------------------------------------------------------------------------------

SUBTREE_ROLES = (Role.CASE_WORKER, Role.REVIEWER)  # also see the overdue visits of their whole subtree
UNASSIGNED_ROLES = (Role.CASE_WORKER, Role.REVIEWER, Role.LEADERSHIP)


@dataclass(frozen=True)
class SectionKind:
    """One section of the work list.

    `applies(user)`: the user gets it at all; `shown_empty(user)`: it is shown even with nothing in it (it is
    this user's daily work; for others an empty section is left out). `rows(user, today)` is the ordered,
    scoped queryset; `subtree_rows` the same over the user's whole subtree, where the section has that.
    `late(today)`: the rows past their date, as a filter (`"all"`: every row of the section is late);
    `bounded`: the section counts over the user's subtree, so its count stops at `COUNT_BOUND`.
    """

    key: str
    title: object
    icon: str
    applies: Callable
    rows: Callable
    template: str
    empty: object
    shown_empty: Callable = lambda user: True
    subtree_rows: Callable | None = None
    subtree_applies: Callable = lambda user: False
    subtree_title: object = ""
    late: Callable | str | None = None
    bounded: bool = False
    # The owning app's page of the whole list (URL name, query), mine and subtree; else `/work/<key>/`.
    full_list: tuple = ()
    subtree_full_list: tuple = ()

    def list_url(self, *, subtree: bool = False) -> str:
        name, query = (self.subtree_full_list if subtree else self.full_list) or (None, "")
        if name:
            try:
                return reverse(name) + query
            except NoReverseMatch:  # the owning app's page is not there: our own list
                pass
        return reverse("worklist:list", args=[self.key]) + ("?scope=subtree" if subtree else "")


def _has(permission: str) -> Callable:
    return lambda user: user.has_role_permission(permission)


def _roles(*roles) -> Callable:
    return lambda user: user.has_role(*roles)


SECTIONS: dict[str, SectionKind] = {kind.key: kind for kind in (
    SectionKind(
        "crises", _("Open crisis cases"), "exclamation-octagon", _has("care.view_crisiscase"), crisis_cases,
        "worklist/rows/_crises.html", _("No open crisis case in your unions."), full_list=("care:crises", ""),
        late=lambda today: Q(state="open", due_at__lt=today.now),  # not acknowledged by the deadline
    ),
    SectionKind(
        "households", _("My households"), "house-heart", _has("helpers.view_helperassignment"), my_households,
        "worklist/rows/_households.html", _("You are not the responsible helper of any household."),
        shown_empty=_roles(Role.HELPER, Role.CASE_WORKER), full_list=("helpers:mine", ""),
    ),
    SectionKind(
        "visits", _("Overdue visits"), "calendar-x", _has("helpers.view_helperassignment"), overdue_visits,
        "worklist/rows/_visits.html", _("None of your households is overdue for a visit."),
        shown_empty=_roles(Role.HELPER, Role.CASE_WORKER, Role.REVIEWER),
        subtree_rows=lambda user, today: overdue_visits(user, today, subtree=True),
        subtree_applies=_roles(*SUBTREE_ROLES), subtree_title=_("Overdue visits in your unions"),
        full_list=("helpers:overdue", "?mine=1"), subtree_full_list=("helpers:overdue", ""), late="all",
    ),
    SectionKind(
        "measures", _("Measures due"), "list-check", _has("plans.view_measure"), measures_due,
        "worklist/rows/_measures.html", _("No measure of yours is overdue or due soon."),
        shown_empty=_roles(Role.HELPER, Role.CASE_WORKER), late=lambda today: Q(due_on__lt=today.day),
    ),
    SectionKind(
        "unassigned", _("Households without a helper"), "person-exclamation",
        lambda user: user.has_role(*UNASSIGNED_ROLES) and user.has_role_permission("helpers.view_helperassignment"),
        households_without_helper, "worklist/rows/_unassigned.html",
        _("Every household in your unions has a responsible helper."), full_list=("helpers:without", ""),
        bounded=True,
    ),
)}


@dataclass
class Section:
    """A section as one user sees it now: its count (bounded for subtree counts), first rows, subtree count."""

    kind: SectionKind
    count: int
    capped: bool = False
    rows: list = field(default_factory=list)
    overdue: int = 0  # rows past their date (measures, visits, crisis deadlines)
    subtree_count: int | None = None
    subtree_capped: bool = False

    @property
    def key(self) -> str:
        return self.kind.key

    @property
    def more_url(self) -> str:
        return self.kind.list_url()

    @property
    def subtree_url(self) -> str:
        return self.kind.list_url(subtree=True)


def build_section(kind: SectionKind, user, today: Today, *, first_rows: int = FIRST_ROWS,
                  with_rows: bool = True, keep_empty: bool = False) -> Section | None:
    """The section for `user`: None when it does not apply, or (unless `keep_empty`) when it is empty and not
    this user's daily work."""
    if not kind.applies(user):
        return None
    queryset = kind.rows(user, today)
    if kind.bounded:
        (count, capped), overdue = bounded_count(queryset), 0
    elif callable(kind.late):  # the count and the late rows in one query
        totals = queryset.order_by().aggregate(n=Count("id"), late=Count("id", filter=kind.late(today)))
        count, capped, overdue = totals["n"], False, totals["late"]
    else:
        count, capped = queryset.order_by().count(), False
        overdue = count if kind.late == "all" else 0
    section = Section(kind=kind, count=count, capped=capped, overdue=overdue)
    if kind.subtree_rows is not None and kind.subtree_applies(user):
        section.subtree_count, section.subtree_capped = bounded_count(kind.subtree_rows(user, today))
    if not count and not section.subtree_count and not keep_empty and not kind.shown_empty(user):
        return None
    if with_rows and count:
        section.rows = list(queryset[:first_rows])
    return section


# --- the counts-only parts: notifications, applications, approvals ------------------------------------------


def notifications_part(user, today: Today, *, newest: int = FIRST_ROWS) -> dict:
    rows = unread_notifications(user, today)
    count = rows.count()
    return {"count": count, "rows": list(rows[:newest]) if count else []}


def applications_part(user, today: Today) -> dict | None:
    """Archives of the user's subtree waiting in the procedure: the early states for those who move archives
    through it, the approval step for those who approve. One GROUP BY state; None if neither applies."""
    from bangfu.registry.lifecycle import EARLY_STATES
    from bangfu.registry.models import Household, State

    states = []
    if user.has_role_permission("registry.transition_household"):
        states += [s for s in State if s in EARLY_STATES]
    if user.has_role_permission("registry.approve_household"):
        states.append(State.APPROVAL)
    if not states:
        return None
    counts = dict(Household.objects.restrict(user, "view").filter(state__in=states).order_by()
                  .values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    rows = [{"state": state, "label": state.label, "count": counts.get(state.value, 0)} for state in states]
    return {"count": sum(r["count"] for r in rows), "rows": rows}


def approvals_part(user, today: Today) -> dict | None:
    """Payments waiting for this user's decision (the funds approvals inbox), counted in one query."""
    if not user.has_role_permission("funds.approve_disbursement"):
        return None
    from bangfu.funds.views_approvals import waiting_for_decision

    count, capped = bounded_count(waiting_for_decision(user))
    return {"count": count, "capped": capped}


# --- the whole work list --------------------------------------------------------------------------------


@dataclass
class WorkList:
    sections: list[Section]
    notifications: dict
    applications: dict | None
    approvals: dict | None
    today: Today


def work_list(user, today: Today | None = None, *, with_rows: bool = True) -> WorkList:
    """Everything on `user`'s work list (`with_rows=False`: the counts only, every section that applies even
    when empty — for the API)."""
    today = today or Today.current()
    sections = [s for kind in SECTIONS.values()
                if (s := build_section(kind, user, today, with_rows=with_rows, keep_empty=not with_rows))]
    notifications = notifications_part(user, today, newest=FIRST_ROWS if with_rows else 0)
    return WorkList(sections=sections, notifications=notifications, applications=applications_part(user, today),
                    approvals=approvals_part(user, today), today=today)
