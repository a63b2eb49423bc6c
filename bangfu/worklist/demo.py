"""Demo help for `manage.py seed_demo` (issue 4): responsible helpers, visits, plans, rights cases and care.

Called by `bangfu.orgs.demo.seed_demo` after the households and the money, inside its transaction and bulk job.

* **The showcase union** (`SHOWCASE_UNION`, where the demo logins `th_caseworker` and `th_helper` work; the
  county's `th_counsellor` above it) goes entirely through the apps' write functions, so every check, timeline
  row and notification is the platform's own: helpers in all three modes (pairing with `th_helper`, the case
  worker as accountable cadre, the union as a whole) with handovers, visit histories (about a third overdue),
  the recommendation engine run on most households with proposals accepted (some edited), rejected and left
  pending, measures in every state, rights cases, and for `th_counsellor` a few screenings of which exactly one
  (PHQ-9 item 9 positive) opens a crisis case, a care plan and a counselling session.
* **Each other county's first enterprise union** (where its case worker works): the engine and the decisions
  on a few households and one rights case, through the same functions.
* **Every other union**: helpers and visit histories are inserted in bulk (the service's checks applied by
  hand: an assignable archive, a helper of a related union, nothing before the archive existed or after
  today), with the timeline rows the services would write. Running the services for some 1,700 households
  would multiply the seeding time; the rows are the same.

Measures cannot be created with a past due date (the rule of `plans`), so a few accepted measures are moved
into the past afterwards, as the funds demo back-dates its approvals: that is what makes them overdue. The same
seed and date give the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from django.db import connection
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.accounts.roles import Role
from bangfu.helpers.frequencies import DEFAULT_FREQUENCIES
from bangfu.helpers.models import ASSIGNABLE_STATES, HelperAssignment, HelperMode, Visit
from bangfu.helpers.rules import household_existed_on
from bangfu.registry.demo import _keep_given
from bangfu.registry.models import Household, TimelineEvent

SHOWCASE_UNION = "GD-GZ-TH-E01"
UNASSIGNED_SHARE = 0.12  # households left without a helper (they show on the work lists)
HANDOVER_SHARE = 0.10
LAGGING_SHARE = 0.30  # households whose visits fell behind (overdue)
HISTORY_DAYS = 365  # visits are generated for the last year only
MAX_VISITS = 6
# Of the roles that may be responsible helpers (`helpers.rules.HELPER_ROLES`), those the bulk part gives households:
# counsellors and leaders are left to their own work.
BULK_ROLES = (Role.HELPER, Role.CASE_WORKER, Role.REVIEWER)
KIND_OF_MODE = {HelperMode.PAIRING: "branch_cadre", HelperMode.ACCOUNTABLE: "workshop_cadre",
                HelperMode.UNION: "union"}
FINDINGS = [
    "家中生活基本稳定，子女按时上学。", "户主病情有所好转，仍需定期复查。", "家庭收入仍低于当地标准，需继续帮扶。",
    "配偶已找到临时工作，家庭情绪较好。", "住房漏雨问题已报社区协调维修。", "老人需要长期照护，家属压力较大。",
]
SOLVED = ["", "", "协助办理医保报销手续。", "联系社区落实临时救助。", "帮助子女申请助学金。"]
NEXT_STEPS = ["", "下月再次走访。", "跟进就业信息推荐。", "关注户主复查结果。"]
END_REASONS = ["帮扶责任人工作调动", "按结对安排调整", "改由专人包保", "岗位变动"]


def _day(day: dt.date, rng: random.Random) -> dt.datetime:
    """An aware moment during the working hours of `day` (for timeline rows)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9 + rng.randrange(8), rng.randrange(60))))


def _visit_days(start: dt.date, interval: int, as_of: dt.date, rng: random.Random, *, lagging: bool) -> list:
    """Visit dates from `start` to `as_of` about every `interval` days; a lagging household stopped visiting
    long enough ago that its next visit is overdue."""
    first = max(start, as_of - dt.timedelta(days=HISTORY_DAYS))
    stop = as_of - dt.timedelta(days=int(interval * 1.4)) if lagging else as_of
    days, day = [], first + dt.timedelta(days=rng.randrange(3, max(interval // 2, 4)))
    while day <= stop:
        days.append(day)
        day += dt.timedelta(days=max(int(interval * rng.uniform(0.6, 1.0)), 1))
    return days[-MAX_VISITS:]


def seed_help(seed: int = 1, *, as_of: dt.date | None = None) -> Counter:
    """Load the demo help (see the module docstring); returns what was made, by kind."""
    as_of = as_of or timezone.localdate()
    rng = random.Random(seed * 7919 + 4)
    counts: Counter = Counter()
    households = list(Household.objects.filter(state__in=ASSIGNABLE_STATES).select_related("org").order_by("pk"))
    showcase = [h for h in households if h.org.code == SHOWCASE_UNION]
    _bulk_helpers([h for h in households if h.org.code != SHOWCASE_UNION], rng, as_of, counts)
    from bangfu.worklist.demo_showcase import seed_county_plans, seed_showcase

    seed_showcase(showcase, rng, as_of, counts)
    seed_county_plans(households, rng, as_of, counts, skip=SHOWCASE_UNION)
    return counts


# --- the bulk part ---------------------------------------------------------------------------------------


def _helpers_by_org() -> dict[str, list]:
    """Staff who may be responsible helpers (`BULK_ROLES`), by the path of their union (by username)."""
    found: dict[str, list] = {}
    users = (User.objects.filter(kind="staff", is_active=True, org__isnull=False, roles__role__in=BULK_ROLES)
             .select_related("org").distinct().order_by("username"))
    for user in users:
        found.setdefault(user.org.path, []).append(user)
    return found


def _candidates(household, helpers: dict) -> tuple[list, list]:
    """(people of the household's own union, people of the unions above it): both are related unions."""
    path, step = household.org.path, type(household.org).steplen
    own = helpers.get(path, [])
    above = [u for end in range(len(path) - step, 0, -step) for u in helpers.get(path[:end], [])
             if u.org.level >= 3]  # county level and below: a province leader is no household's cadre
    return own, above


def _choose(household, helpers, rng) -> tuple[str, User | None]:
    own, above = _candidates(household, helpers)
    people = own or above
    r = rng.random()
    if not people or r < (0.3 if own else 0.7):
        return HelperMode.UNION, None
    return (HelperMode.ACCOUNTABLE if r < (0.7 if own else 0.9) else HelperMode.PAIRING), rng.choice(people)


def _bulk_helpers(households, rng: random.Random, as_of: dt.date, counts: Counter) -> None:
    helpers = _helpers_by_org()
    firsts, seconds, plans = [], [], []
    for household in households:
        if rng.random() < UNASSIGNED_SHARE:
            continue
        existed = household_existed_on(household)
        span = (as_of - existed).days
        if span < 0:
            continue
        start = existed + dt.timedelta(days=int(span * rng.random() ** 2))
        mode, helper = _choose(household, helpers, rng)
        first = HelperAssignment(household=household, mode=mode, helper=helper,
                                 helper_org=helper.org if helper else household.org, helper_kind=KIND_OF_MODE[mode],
                                 starts_on=start, created_at=_day(start, rng))
        handover = None
        if (as_of - start).days > 60 and rng.random() < HANDOVER_SHARE:
            mode2, helper2 = _choose(household, helpers, rng)
            if (mode2, getattr(helper2, "pk", None)) == (mode, getattr(helper, "pk", None)):
                mode2, helper2 = (HelperMode.UNION, None) if mode != HelperMode.UNION else (None, None)
            if mode2 is not None:  # a handover goes to somebody else (the service refuses the same helper)
                handover = start + dt.timedelta(days=rng.randrange(30, (as_of - start).days))
                first.ends_on, first.end_reason = handover, rng.choice(END_REASONS)
                seconds.append(HelperAssignment(
                    household=household, mode=mode2, helper=helper2,
                    helper_org=helper2.org if helper2 else household.org, helper_kind=KIND_OF_MODE[mode2],
                    starts_on=handover, created_at=_day(handover, rng)))
        firsts.append(first)
        plans.append((household, first, seconds[-1] if handover else None, rng.random() < LAGGING_SHARE))
    with _keep_given(HelperAssignment, "created_at"):
        HelperAssignment.objects.bulk_create(seconds, batch_size=1000)
        HelperAssignment.objects.bulk_create(firsts, batch_size=1000)
    ended = [p[1] for p in plans if p[2] is not None]
    for first, second in ((p[1], p[2]) for p in plans if p[2] is not None):
        first.handed_over_to = second
    HelperAssignment.objects.bulk_update(ended, ["handed_over_to"], batch_size=1000)
    counts["helpers (bulk)"] += len(firsts)
    counts["handovers (bulk)"] += len(seconds)
    _bulk_visits_and_timeline(plans, rng, as_of, counts)


def _responsible(assignment) -> str:
    return str(assignment.helper) if assignment.helper else assignment.helper_org.name


def _assigned_detail(assignment) -> dict:
    """The detail `helpers.services.assignments` writes on its timeline rows."""
    return {"mode": assignment.mode, "helper": _responsible(assignment), "helper_kind": assignment.helper_kind,
            "helper_org": assignment.helper_org.name}


def _insert(model, rows: list[dict]) -> None:
    """INSERT plain rows (column attname -> value) by executemany, each value prepared by its field (dates, JSON,
    aware datetimes) as bulk_create would, without building a model instance per row (the visits and timeline
    rows are most of this module's rows)."""
    if not rows:
        return
    fields = [model._meta.get_field(name.removesuffix("_id")) if name.endswith("_id") else model._meta.get_field(name)
              for name in rows[0]]
    q = connection.ops.quote_name
    sql = (f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    prepared = [[f.get_db_prep_save(value, connection) for f, value in zip(fields, row.values(), strict=True)]
                for row in rows]
    with connection.cursor() as cursor:
        for start in range(0, len(prepared), 5000):
            cursor.executemany(sql, prepared[start:start + 5000])


def _event(household_id, kind, assignment, at, detail, reason="") -> dict:
    return {"household_id": household_id, "kind": kind, "from_state": "", "to_state": "", "reason": reason,
            "detail": detail, "actor_id": assignment.helper_id, "actor_org_id": assignment.helper_org_id, "at": at}


def _bulk_visits_and_timeline(plans, rng, as_of, counts) -> None:
    visits, events = [], []
    for household, first, second, lagging in plans:
        events.append(_event(household.pk, "helper_assigned", first, first.created_at,
                             {"starts_on": str(first.starts_on), **_assigned_detail(first)}))
        if second is not None:
            events.append(_event(household.pk, "helper_handed_over", second, second.created_at,
                                 {"on": str(second.starts_on), "previous": _responsible(first),
                                  **_assigned_detail(second)}, reason=first.end_reason))
        current = second or first
        interval = DEFAULT_FREQUENCIES[current.helper_kind][1]
        for day in _visit_days(first.starts_on, interval, as_of, rng, lagging=lagging):
            assignment = second if second is not None and day >= second.starts_on else first
            who = _responsible(assignment)
            visitors = (f"{who}、{household.head_name_masked or '户主'}家属" if assignment.helper_id else who)[:200]
            at = _day(day, rng)
            visits.append({"household_id": household.pk, "assignment_id": assignment.pk, "visited_on": day,
                           "visitors": visitors, "findings": rng.choice(FINDINGS),
                           "problems_solved": rng.choice(SOLVED), "next_step": rng.choice(NEXT_STEPS), "photo": "",
                           "photo_sha256": "", "photo_content_type": "", "recorded_by_id": assignment.helper_id,
                           "created_at": at})
            events.append(_event(household.pk, "visit_recorded", assignment, at,
                                 {"visited_on": str(day), "visitors": visitors, "photo": False}))
    _insert(Visit, visits)
    _insert(TimelineEvent, events)
    counts["visits (bulk)"] += len(visits)
