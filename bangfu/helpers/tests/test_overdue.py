"""Due and overdue visits computed in SQL (frequencies along the lineage, defaults), the workload counts, the
households without a helper, and the daily notice task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from bangfu.accounts.roles import Role
from bangfu.core import scheduler
from bangfu.helpers import queries
from bangfu.helpers.frequencies import DEFAULT_FREQUENCIES, frequencies_for, visit_due_on
from bangfu.helpers.models import HelperAssignment, Visit, VisitFrequency
from bangfu.helpers.services import assign_helper, end_assignment, set_visit_frequency
from bangfu.helpers.tasks import notify_overdue
from bangfu.helpers.tests.conftest import household_since
from bangfu.notifications.models import Notification
from bangfu.registry.models import Household, State

pytestmark = pytest.mark.django_db


def _days(today, n):
    return today - dt.timedelta(days=n)


@pytest.fixture
def frequencies(tree, county_reviewer):
    """branch cadre: 20 days at the county, 10 at the grassroots union (nearer wins); plant leader: 100 days at the
    province (the default is 182); workshop cadre: the default 90 everywhere."""
    set_visit_frequency(tree.county, helper_kind="branch_cadre", label="支部干部", interval_days=20,
                        actor=county_reviewer)
    set_visit_frequency(tree.grassroots, helper_kind="branch_cadre", label="支部干部", interval_days=10,
                        actor=county_reviewer)
    set_visit_frequency(tree.province, helper_kind="plant_leader", label="厂领导", interval_days=100,
                        actor=county_reviewer)


@pytest.fixture
def world(tree, frequencies, helper, sibling_helper, today):
    """Households of three unions, each with an assignment and visits; `overdue` names those whose visit is due."""
    national = tree.user("nat_leader", tree.national, Role.LEADERSHIP)
    far_helper = tree.user("far_helper", tree.other_grassroots, Role.HELPER)
    rows = {}

    def add(name, org, person, kind, start, visits=(), state=State.ACTIVE):
        household = household_since(org, 400, state=State.ACTIVE)
        assignment = HelperAssignment.objects.create(
            household=household, mode="pairing", helper=person, helper_org=person.org, helper_kind=kind,
            starts_on=_days(today, start))
        for n in visits:
            Visit.objects.create(household=household, assignment=assignment, visited_on=_days(today, n),
                                 visitors="x", findings="y")
        if state != State.ACTIVE:
            Household.objects.filter(pk=household.pk).update(state=state)
        rows[name] = assignment

    add("never_visited", tree.grassroots, helper, "branch_cadre", 30)  # 10 days: overdue since day 20
    add("visited_lately", tree.grassroots, helper, "branch_cadre", 30, visits=(5, 40))  # due in 5 days
    add("due_today", tree.grassroots, helper, "branch_cadre", 30, visits=(10,))  # due today: not overdue yet
    add("county_rule_ok", tree.sibling, sibling_helper, "branch_cadre", 60, visits=(15,))  # county's 20 days
    add("county_rule_late", tree.sibling, sibling_helper, "branch_cadre", 60, visits=(25,))
    add("default_ok", tree.grassroots, helper, "workshop_cadre", 100, visits=(80,))  # default 90
    add("province_rule_late", tree.grassroots, helper, "plant_leader", 200, visits=(150,))  # 100, not 182
    add("other_province_default", tree.other_grassroots, far_helper, "branch_cadre", 60, visits=(25,))  # 30
    add("exited", tree.grassroots, helper, "branch_cadre", 300, state=State.EXITED)
    return {"rows": rows, "national": national, "far_helper": far_helper,
            "overdue": {"never_visited", "county_rule_late", "province_rule_late"}}


def _names(world, assignments) -> set[str]:
    by_pk = {a.pk: name for name, a in world["rows"].items()}
    return {by_pk[a.pk] for a in assignments}


def test_overdue_in_sql_follows_the_nearest_union_and_the_defaults(world, today):
    everyone = queries.overdue_visits(world["national"], today)
    assert _names(world, everyone) == world["overdue"]
    # The same rule in Python for one assignment (visit_due_on) agrees with the SQL for every row.
    annotated = {a.pk: a.due_on for a in HelperAssignment.objects.current().with_visit_due()}
    for assignment in world["rows"].values():
        assert annotated[assignment.pk] == visit_due_on(assignment), assignment
    due = {name: visit_due_on(a) for name, a in world["rows"].items()}
    assert due["never_visited"] == _days(today, 20) and due["due_today"] == today
    assert due["county_rule_ok"] == today + dt.timedelta(days=5) and due["province_rule_late"] == _days(today, 50)
    assert due["other_province_default"] == today + dt.timedelta(days=5)
    days = {a.pk: a.days_overdue for a in everyone}
    assert days[world["rows"]["never_visited"].pk] == 20


def test_overdue_is_scoped(world, county_reviewer, grassroots_cadre, outsider, today):
    assert _names(world, queries.overdue_visits(county_reviewer, today)) == world["overdue"]
    assert _names(world, queries.overdue_visits(grassroots_cadre, today)) == {"never_visited", "province_rule_late"}
    assert _names(world, queries.overdue_visits(outsider, today)) == {"county_rule_late"}


def test_frequencies_for_a_union_show_where_each_value_comes_from(tree, frequencies):
    known = frequencies_for(tree.grassroots)
    assert known["branch_cadre"].interval_days == 10 and known["branch_cadre"].set_by == tree.grassroots
    assert known["plant_leader"].interval_days == 100 and known["plant_leader"].set_by == tree.province
    assert known["workshop_cadre"].interval_days == DEFAULT_FREQUENCIES["workshop_cadre"][1]
    assert known["workshop_cadre"].set_by is None and known["workshop_cadre"].illustrative
    assert frequencies_for(tree.sibling)["branch_cadre"].interval_days == 20


def test_a_frequency_needs_a_code_a_name_and_a_sane_interval(tree, county_reviewer):
    with pytest.raises(ValidationError) as refused:
        set_visit_frequency(tree.county, helper_kind="!!", label="", interval_days=0, actor=county_reviewer)
    assert set(refused.value.message_dict) == {"helper_kind", "label", "interval_days"}
    assert not VisitFrequency.objects.exists()


def test_workload_counts(world, county_reviewer, grassroots_cadre, helper, sibling_helper, today):
    rows = {u.pk: u for u in queries.helper_workload(county_reviewer, today)}
    # helper: 5 current (the exited household's row does not count); visits in 90 days: 5, 40, 10, 80 days ago.
    assert (rows[helper.pk].households, rows[helper.pk].recent_visits, rows[helper.pk].overdue) == (5, 4, 2)
    assert (rows[sibling_helper.pk].households, rows[sibling_helper.pk].recent_visits,
            rows[sibling_helper.pk].overdue) == (2, 2, 1)
    assert world["far_helper"].pk not in rows  # not in the reviewer's subtree
    mine = {u.pk for u in queries.helper_workload(grassroots_cadre, today)}
    assert helper.pk in mine and sibling_helper.pk not in mine


def test_workload_page_sorts_and_links(world, county_reviewer, en, helper, sibling_helper):
    page = en(county_reviewer).get("/helpers/workload/?sort=households")
    assert page.status_code == 200
    order = [u.pk for u in page.context["page"].object_list]
    assert order.index(sibling_helper.pk) < order.index(helper.pk)  # 2 households before 5
    page = en(county_reviewer).get("/helpers/workload/?sort=-overdue")
    assert [u.pk for u in page.context["page"].object_list][0] == helper.pk
    assert f"/helpers/helper/{helper.pk}/" in page.content.decode()


def test_households_without_a_helper_count_equals_the_list(tree, county_reviewer, helper, grassroots_cadre, en,
                                                            today):
    plain = household_since(tree.grassroots, 50)
    sibling = household_since(tree.sibling, 50)
    household_since(tree.grassroots, 50, state=State.EXITED)  # closed: not expected to have a helper
    household_since(tree.other_grassroots, 50)  # another province: not in scope
    helped = household_since(tree.grassroots, 50)
    assign_helper(helped, mode="pairing", helper=helper, helper_kind="branch_cadre", starts_on=today,
                  actor=grassroots_cadre)
    ended = household_since(tree.grassroots, 50)
    first = assign_helper(ended, mode="pairing", helper=helper, helper_kind="branch_cadre", starts_on=today,
                          actor=grassroots_cadre)
    end_assignment(first, on=today, reason="调离", actor=grassroots_cadre)
    rows = queries.households_without_helper(county_reviewer)
    assert set(rows) == {plain, sibling, ended} and rows.count() == 3
    assert set(queries.households_without_helper(county_reviewer, tree.sibling)) == {sibling}
    page = en(county_reviewer).get("/helpers/without-helper/")
    assert page.context["count"] == 3 == len(page.context["page"].object_list)
    assert 'data-testid="without-count">3<' in page.content.decode()
    filtered = en(county_reviewer).get("/helpers/without-helper/", {"org": tree.sibling.code})
    assert filtered.context["count"] == 1
    assert en(county_reviewer).get("/helpers/without-helper/", {"org": tree.other_grassroots.code}).context[
        "count"] == 0  # a union outside the subtree matches nothing


def test_overdue_page_lists_and_filters(world, county_reviewer, helper, en):
    page = en(county_reviewer).get("/helpers/visits/overdue/")
    assert page.status_code == 200 and page.context["count"] == 3
    assert page.context["page"].object_list[0].pk == world["rows"]["province_rule_late"].pk  # oldest due first
    mine = en(helper).get("/helpers/visits/overdue/?mine=1")
    assert mine.context["count"] == 2


def test_daily_notice_is_scheduled_and_idempotent(world, helper, sibling_helper, today):
    assert ("40 7 * * *", "bangfu.helpers.tasks.notify_overdue_visits") in scheduler.SCHEDULE
    first = notify_overdue(today)
    assert first == {"helpers": 2, "notices": 2, "on": today.isoformat()}
    notices = Notification.objects.filter(kind="visits_overdue")
    assert {n.recipient_id for n in notices} == {helper.pk, sibling_helper.pk}
    assert "2" in notices.get(recipient=helper).title
    assert notify_overdue(today)["notices"] == 0  # the same day again: nothing new
    assert notices.count() == 2
    assert notify_overdue(today + dt.timedelta(days=1))["notices"] == 2  # a new day, a new notice


def test_list_pages_and_endpoints_do_not_grow_with_rows(tree, helper, grassroots_cadre, en, today):
    """The number of queries of each list is the same for 2 and for 6 households (no query per row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token, _created = Token.objects.get_or_create(user=grassroots_cadre)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    client = en(grassroots_cadre)
    urls = ["/helpers/visits/overdue/", "/helpers/workload/", f"/helpers/helper/{helper.pk}/",
            "/helpers/without-helper/"]
    api_urls = ["/api/v1/helper-assignments/", "/api/v1/visits/"]

    def add(n):
        for _ in range(n):
            household = household_since(tree.grassroots, 400)
            assignment = assign_helper(household, mode="pairing", helper=helper, helper_kind="branch_cadre",
                                       starts_on=_days(today, 60), actor=grassroots_cadre)
            Visit.objects.create(household=household, assignment=assignment, visited_on=_days(today, 45),
                                 visitors="x", findings="y", recorded_by=grassroots_cadre)
            household_since(tree.grassroots, 10)  # one without a helper

    def counts():
        result = []
        for url in urls + api_urls:
            with CaptureQueriesContext(connection) as queries_run:
                response = (api if url in api_urls else client).get(url)
            assert response.status_code == 200, url
            result.append(len(queries_run))
        return result

    add(2)
    counts()  # warm-up: the first request of a session loads what later ones find cached
    few = counts()
    add(4)
    assert counts() == few
