"""The monitoring app's URLs for the cross-org URL walker (tests/test_url_walker.py): objects of the grassroots
union (a cycle and its review, a draw, an exit suggestion, a relapse watch) that the sibling union must not see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bangfu.accounts.roles import Role
from tests.test_url_walker import LIST, OBJECT, Route

MON_ROLES = (Role.CASE_WORKER, Role.REVIEWER, Role.LEADERSHIP)
SPOT_ROLES = (Role.REVIEWER,)


def _pk(name):
    return lambda w: {"pk": w.extra[name].pk}


ROUTES = {
    "monitoring:reviews": Route(LIST, roles=MON_ROLES),
    "monitoring:review": Route(OBJECT, _pk("review"), MON_ROLES),
    "monitoring:review_do": Route(OBJECT, _pk("review"), MON_ROLES),
    "monitoring:review_spot": Route(OBJECT, _pk("review"), SPOT_ROLES, control=None),
    "monitoring:cycles": Route(LIST, roles=MON_ROLES),
    "monitoring:cycle": Route(OBJECT, _pk("cycle"), MON_ROLES),
    "monitoring:cycle_draw": Route(OBJECT, _pk("cycle"), SPOT_ROLES, control=None),
    "monitoring:spotchecks": Route(LIST, roles=SPOT_ROLES, control=None),
    "monitoring:suggestions": Route(LIST, roles=MON_ROLES),
    "monitoring:suggestion": Route(OBJECT, _pk("suggestion"), MON_ROLES),
    "monitoring:suggestion_accept": Route(OBJECT, _pk("suggestion"), MON_ROLES),
    "monitoring:suggestion_dismiss": Route(OBJECT, _pk("suggestion"), MON_ROLES),
    "monitoring:watches": Route(LIST, roles=MON_ROLES),
    "monitoring:watch": Route(OBJECT, _pk("watch"), MON_ROLES),
    "monitoring:watch_resolve": Route(OBJECT, _pk("watch"), MON_ROLES),
    "monitoring:not_updated": Route(LIST, roles=MON_ROLES, control=None),
    "monitoring:never_helped": Route(LIST, roles=MON_ROLES, control=None),
    "api:reviewcycle-list": Route(LIST, roles=MON_ROLES),
    "api:reviewcycle-detail": Route(OBJECT, _pk("cycle"), MON_ROLES),
    "api:review-list": Route(LIST, roles=MON_ROLES),
    "api:review-detail": Route(OBJECT, _pk("review"), MON_ROLES),
    "api:review-do": Route(OBJECT, _pk("review"), MON_ROLES),
    "api:review-spot-check": Route(OBJECT, _pk("review"), SPOT_ROLES, control=None),
    "api:exitsuggestion-list": Route(LIST, roles=MON_ROLES),
    "api:exitsuggestion-detail": Route(OBJECT, _pk("suggestion"), MON_ROLES),
    "api:exitsuggestion-accept": Route(OBJECT, _pk("suggestion"), MON_ROLES),
    "api:exitsuggestion-dismiss": Route(OBJECT, _pk("suggestion"), MON_ROLES),
    "api:relapsewatch-list": Route(LIST, roles=MON_ROLES),
    "api:relapsewatch-detail": Route(OBJECT, _pk("watch"), MON_ROLES),
    "api:relapsewatch-resolve": Route(OBJECT, _pk("watch"), MON_ROLES),
    "api:monitoringlist-not-updated": Route(LIST, roles=MON_ROLES, control=None),
    "api:monitoringlist-never-helped": Route(LIST, roles=MON_ROLES, control=None),
}

ADMIN_OBJECTS = {"monitoring.monitoringpolicy": lambda w: w.extra["policy"].pk}


def build(w) -> None:
    from bangfu.monitoring.models import (
        ExitSuggestion,
        RelapseTrigger,
        RelapseWatch,
        Review,
        ReviewCycle,
        SpotCheckDraw,
    )
    from bangfu.registry.models import Closure
    from bangfu.registry.tests.factories import make_household

    tree = w.tree
    cycle = ReviewCycle.objects.create(org=tree.grassroots, year=2026, starts_on=dt.date(2026, 1, 1),
                                       ends_on=dt.date(2026, 12, 31))
    review = Review.objects.create(cycle=cycle, household=w.household, due_on=dt.date(2026, 12, 31), state="done",
                                   reviewed_on=dt.date(2026, 6, 1), note="乙复核秘")
    reviewer = w.person(Role.REVIEWER, tree.county)
    draw = SpotCheckDraw.objects.create(cycle=cycle, drawn_by=reviewer, drawn_org=tree.county, seed=1,
                                        share_percent=30, population=[review.pk], sample=[review.pk])
    Review.objects.filter(pk=review.pk).update(draw=draw)
    suggestion = ExitSuggestion.objects.create(household=w.household, last_month=dt.date(2026, 10, 1), months=6,
                                               evidence={"months": [], "note": "乙建议秘"})
    exited = make_household(tree.grassroots, state="exited", name="乙退出秘", monthly_wage=Decimal("0"))
    closure = Closure.objects.create(household=exited, kind="exit", from_state="active",
                                     reason_code="out_of_hardship", closed_on=dt.date(2026, 6, 1),
                                     monitor_until=dt.date(2027, 6, 1))
    watch, _created = RelapseWatch.objects.get_or_create(
        closure=closure, defaults={"household": exited, "starts_on": closure.closed_on,
                                   "monitor_until": closure.monitor_until, "state": "review_needed"})
    RelapseTrigger.objects.create(watch=watch, kind="dibao_enrolment", evidence_key="乙证据秘",
                                  evidence={"key": "乙证据秘"}, source="walker")
    from bangfu.monitoring.models import MonitoringPolicy

    policy = MonitoringPolicy.objects.create(org=tree.grassroots, effective_from=dt.date(2026, 1, 1),
                                             never_helped_days=77, source="乙参数秘")
    w.extra.update(cycle=cycle, review=review, draw=draw, suggestion=suggestion, watch=watch, policy=policy)
    w.secret("乙复核秘", "乙参数秘", "乙建议秘", "乙退出秘", "乙证据秘", exited.archive_number)
