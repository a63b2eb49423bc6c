"""The work list ("My work", /work/ and /api/v1/my-work/): each section's rows and counts, per role, scoped to
the user's unions, in a bounded number of queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry
from bangfu.care.models import CrisisCase
from bangfu.helpers.models import HelperAssignment, Visit
from bangfu.notifications.models import Notification
from bangfu.plans.models import Measure, Plan
from bangfu.registry.tests.factories import make_household


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


TODAY = timezone.localdate()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def assign(household, helper, *, started: int = -100, mode="pairing", kind="branch_cadre"):
    """A current assignment started `started` days from today (branch cadres visit every 30 days)."""
    return HelperAssignment.objects.create(household=household, mode=mode, helper=helper, helper_org=helper.org,
                                           helper_kind=kind, starts_on=days(started))


def measure(household, owner, due: int, state="planned", kind="job_information"):
    plan, _created = Plan.objects.get_or_create(household=household)
    return Measure.objects.create(plan=plan, household=household, function="service", kind=kind,
                                  description=f"measure due {due}", owner=owner, due_on=days(due), state=state)


def crisis(household, org, hours: float, state="open"):
    now = timezone.now()
    return CrisisCase.objects.create(household=household, reason="self_harm", state=state, opened_at=now,
                                     due_at=now + dt.timedelta(hours=hours), responsible_org=org)


class World:
    pass


@pytest.fixture
def w(tree, grassroots_cadre, outsider):
    w = World()
    w.tree = tree
    w.cadre, w.outsider = grassroots_cadre, outsider
    w.helper = tree.user("helper1", tree.grassroots, Role.HELPER)
    w.counsellor = tree.user("couns", tree.county, Role.COUNSELLOR)
    w.reviewer = tree.user("rev", tree.county, Role.REVIEWER)
    w.sibling_helper = tree.user("helper2", tree.sibling, Role.HELPER)
    g = tree.grassroots
    w.overdue_home = make_household(g, name="甲逾期")  # helper's, never visited for 100 days
    w.fresh_home = make_household(g, name="乙新近")  # helper's, assigned 10 days ago
    w.visited_home = make_household(g, name="丙已访")  # helper's, visited 5 days ago
    w.cadre_home = make_household(g, name="丁包保")  # the case worker is its accountable cadre, overdue
    w.unassigned = make_household(g, name="戊无人")
    w.applied = make_household(g, name="己申请", state="applied")
    w.sibling_home = make_household(tree.sibling, name="庚乙方")
    w.far_home = make_household(tree.other_grassroots, name="辛远方")
    assign(w.overdue_home, w.helper)
    assign(w.fresh_home, w.helper, started=-10)
    visited = assign(w.visited_home, w.helper)
    Visit.objects.create(household=w.visited_home, assignment=visited, visited_on=days(-5), visitors="helper1",
                         findings="ok")
    assign(w.cadre_home, w.cadre, mode="accountable", kind="workshop_cadre", started=-200)
    assign(w.sibling_home, w.sibling_helper)
    # Measures: the helper's overdue, due soon, due later (not listed), done (not listed); the case worker's one.
    w.m_overdue = measure(w.overdue_home, w.helper, -2)
    w.m_soon = measure(w.fresh_home, w.helper, 3, state="in_progress")
    measure(w.fresh_home, w.helper, 40)
    measure(w.overdue_home, w.helper, -9, state="done")
    w.m_cadre = measure(w.cadre_home, w.cadre, 1, kind="skills_training")
    measure(w.sibling_home, w.sibling_helper, -1)
    # Crisis cases: two of the county's subtree (open and acknowledged), a closed one, one of another province.
    w.c_open = crisis(w.overdue_home, tree.county, 5)
    w.c_ack = crisis(w.sibling_home, tree.county, -3, state="acknowledged")
    crisis(w.fresh_home, tree.county, -30, state="closed")
    crisis(w.far_home, tree.other_grassroots, 2)
    # Notices: two unread and one read for the helper, one unread for the case worker.
    for title in ("去走访甲", "去走访乙"):
        Notification.objects.create(recipient=w.helper, kind="assignment", title=title)
    Notification.objects.create(recipient=w.helper, kind="assignment", title="已读", read_at=timezone.now())
    Notification.objects.create(recipient=w.cadre, kind="deadline", title="经办人通知")
    return w


def page(signed_in, user):
    client = signed_in(user)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("worklist:home"))
    assert response.status_code == 200
    return response.content.decode()


def section(body: str, key: str) -> str:
    match = re.search(rf'<section[^>]*data-testid="section-{key}".*?</section>', body, re.S)
    return match.group(0) if match else ""


def count(body: str, key: str) -> str:
    return re.search(rf'data-testid="count-{key}">([^<]+)<', body).group(1)


def households_in(block: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-household="(\d+)"', block)}


def test_helper_sees_their_households_visits_measures_and_notices(signed_in, w):
    body = page(signed_in, w.helper)
    mine = section(body, "households")
    assert households_in(mine) == {w.overdue_home.pk, w.fresh_home.pk, w.visited_home.pk}
    assert count(body, "households") == "3"
    # The most urgent visit first.
    assert mine.index(w.overdue_home.archive_number) < mine.index(w.fresh_home.archive_number)
    assert households_in(section(body, "visits")) == {w.overdue_home.pk}
    measures = section(body, "measures")
    assert re.findall(r'data-measure="(\d+)"', measures) == [str(w.m_overdue.pk), str(w.m_soon.pk)]
    assert "overdue" in measures
    assert count(body, "notifications") == "2"
    notices = section(body, "notifications")
    assert "去走访甲" in notices and "去走访乙" in notices and "已读" not in notices
    # Not a helper's work: crisis cases, households without a helper, the procedure, approvals.
    for key in ("crises", "unassigned", "applications", "approvals"):
        assert f'data-testid="section-{key}"' not in body
    # No subtree count for a helper.
    assert 'data-testid="subtree-visits"' not in body


def test_case_worker_sees_own_rows_and_the_subtree(signed_in, w):
    body = page(signed_in, w.cadre)
    assert households_in(section(body, "households")) == {w.cadre_home.pk}
    assert households_in(section(body, "visits")) == {w.cadre_home.pk}
    # Overdue visits of the grassroots union: the helper's and the case worker's, not the sibling union's.
    assert re.search(r'data-testid="subtree-visits">\s*2 in your unions', body)
    unassigned = section(body, "unassigned")
    assert w.unassigned.pk in households_in(unassigned) and w.sibling_home.pk not in households_in(unassigned)
    assert w.applied.pk not in households_in(unassigned)  # an application gets no helper yet
    assert re.findall(r'data-measure="(\d+)"', section(body, "measures")) == [str(w.m_cadre.pk)]
    applications = section(body, "applications")
    assert re.search(r'data-testid="applications-applied">.*?>1</span>', applications, re.S)
    assert count(body, "notifications") == "1"
    assert 'data-testid="section-crises"' not in body
    for marker in ("庚乙方", w.sibling_home.archive_number, "辛远方"):
        assert marker not in body


def test_counsellor_sees_open_crisis_cases_by_deadline_without_why(signed_in, w):
    body = page(signed_in, w.counsellor)
    crises = section(body, "crises")
    assert re.findall(r'data-crisis="(\d+)"', crises) == [str(w.c_ack.pk), str(w.c_open.pk)]  # nearest deadline
    assert re.search(r"4\shours,\s\d+\sminutes\sleft", crises)
    assert "acknowledged" in crises
    assert "Self-harm" not in body and "self_harm" not in body
    assert w.far_home.archive_number not in body  # another province
    entry = AccessLogEntry.objects.filter(object_type="care.crisiscase").latest("pk")
    assert entry.detail["rows"] == 2 and entry.detail["page"] == "worklist"
    assert entry.detail["ids"] == [w.c_ack.pk, w.c_open.pk]  # the cases shown, by number


def test_an_overdue_crisis_says_so(signed_in, w):
    CrisisCase.objects.filter(pk=w.c_open.pk).update(due_at=timezone.now() - dt.timedelta(hours=2))
    crises = section(page(signed_in, w.counsellor), "crises")
    assert "overdue" in crises and "table-danger" in crises


def test_case_worker_of_the_sibling_union_sees_none_of_it(signed_in, w):
    body = page(signed_in, w.outsider)
    for household in (w.overdue_home, w.fresh_home, w.cadre_home, w.unassigned, w.applied):
        assert household.archive_number not in body
    assert w.sibling_home.archive_number not in section(body, "unassigned")  # it has a helper
    assert re.search(r'data-testid="subtree-visits">\s*1 in your unions', body)  # the sibling helper's household


def test_helper_of_the_sibling_union_has_only_their_own(signed_in, w):
    body = page(signed_in, w.sibling_helper)
    assert households_in(section(body, "households")) == {w.sibling_home.pk}
    assert w.overdue_home.archive_number not in body


def test_reviewer_sees_counts_of_the_subtree_and_approvals_of_the_procedure(signed_in, w):
    from bangfu.registry.models import State

    make_household(w.tree.grassroots, name="壬审批", state=State.APPROVAL)
    body = page(signed_in, w.reviewer)
    assert re.search(r'data-testid="subtree-visits">\s*3 in your unions', body)  # both grassroots unions
    assert re.search(r'data-testid="applications-approval">.*?>1</span>', section(body, "applications"), re.S)
    assert 'data-testid="section-households"' not in body  # empty and not a reviewer's daily work


def test_worker_and_provider_get_404(signed_in, worker_user, provider_user):
    for user in (worker_user, provider_user):
        assert signed_in(user).get(reverse("worklist:home")).status_code == 404


def test_full_lists(signed_in, w):
    for due in range(1, 8):
        measure(w.overdue_home, w.helper, due % 7)
    client = signed_in(w.helper)
    client.cookies["django_language"] = "en"
    body = page(signed_in, w.helper)
    assert count(body, "measures") == "9"
    assert len(re.findall(r'data-measure="', section(body, "measures"))) == 5
    more = re.search(r'href="([^"]+)" data-testid="more-measures"', body).group(1)
    assert more == reverse("worklist:list", args=["measures"])
    full = client.get(more).content.decode()
    assert len(re.findall(r'data-measure="', full)) == 9
    # Sections not the user's, or a subtree the user has not: 404.
    assert client.get(reverse("worklist:list", args=["crises"])).status_code == 404
    assert client.get(reverse("worklist:list", args=["visits"]), {"scope": "subtree"}).status_code == 404
    assert client.get(reverse("worklist:list", args=["nothing"])).status_code == 404


def test_subtree_full_list_of_overdue_visits(signed_in, w):
    client = signed_in(w.cadre)
    response = client.get(reverse("worklist:list", args=["visits"]), {"scope": "subtree"})
    assert households_in(response.content.decode()) == {w.overdue_home.pk, w.cadre_home.pk}


def test_crisis_full_list_is_logged(signed_in, w):
    response = signed_in(w.counsellor).get(reverse("worklist:list", args=["crises"]))
    assert response.status_code == 200
    entry = AccessLogEntry.objects.get(object_type="care.crisiscase", detail__page="worklist_crises")
    assert sorted(entry.detail["ids"]) == sorted([w.c_ack.pk, w.c_open.pk]) and entry.detail["rows"] == 2


def test_fund_manager_sees_the_approvals_inbox_count(signed_in, tree):
    manager = tree.user("fm", tree.grassroots, Role.FUND_MANAGER)
    body = page(signed_in, manager)
    assert count(body, "approvals") == "0"
    assert reverse("funds:approvals_inbox") in section(body, "approvals")


def test_query_count_does_not_grow_with_rows(signed_in, w, django_assert_max_num_queries):
    """A case worker who also counsels, with many rows in every section: a fixed number of queries."""
    from bangfu.accounts.models import UserRole

    UserRole.objects.create(user=w.cadre, role=Role.COUNSELLOR)
    for i in range(12):
        home = make_household(w.tree.grassroots, name=f"多{i}")
        assign(home, w.cadre, started=-300)
        measure(home, w.cadre, -i)
        crisis(home, w.tree.grassroots, i)
        make_household(w.tree.grassroots, name=f"空{i}")
        Notification.objects.create(recipient=w.cadre, kind="deadline", title=f"通知{i}")
    client = signed_in(w.cadre)
    client.get(reverse("worklist:home"))  # warm the session and the user
    # session + user + roles (3), 5 sections × 2 (+1 subtree count), notices 2, applications 1, audit log 1-2
    with django_assert_max_num_queries(22):
        response = client.get(reverse("worklist:home"))
    body = response.content.decode()
    assert count(body, "households") == "13" and count(body, "crises") == "13"


def test_home_page_and_navigation_link_to_my_work(signed_in, w):
    body = signed_in(w.helper).get(reverse("core:home")).content.decode()
    assert body.count(f'href="{reverse("worklist:home")}"') == 2  # navigation and the card above the actions
    assert 'data-testid="nav-worklist"' in body and 'data-testid="home-worklist"' in body
    # Workers have their own pages: no link to a staff work list.
    worker = w.tree.user("wk", w.tree.grassroots, Role.WORKER, kind="worker")
    body = signed_in(worker).get(reverse("core:home")).content.decode()
    assert reverse("worklist:home") not in body


# --- the JSON endpoint ------------------------------------------------------------------------------------


def api(user):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_api_counts_match_the_page(w):
    data = api(w.helper).get("/api/v1/my-work/").json()
    assert data["my_households"] == 3 and data["overdue_visits"] == 1
    assert data["measures_due"] == 2 and data["measures_overdue"] == 1
    assert data["unread_notifications"] == 2
    assert data["open_crisis_cases"] is None and data["households_without_helper"] is None
    assert data["overdue_visits_in_subtree"] is None and data["approvals_waiting"] is None
    assert data["on"] == TODAY.isoformat()


def test_api_for_case_worker_and_counsellor(w):
    data = api(w.cadre).get("/api/v1/my-work/").json()
    assert data["overdue_visits_in_subtree"] == 2 and data["households_without_helper"] == 1
    assert data["applications_waiting"]["applied"] == 1
    data = api(w.counsellor).get("/api/v1/my-work/").json()
    assert data["open_crisis_cases"] == 2 and data["crisis_cases_overdue"] == 0
    assert data["my_households"] == 0  # counsellors may be helpers too: the section applies, empty


def test_api_refuses_workers(worker_user):
    response = api(worker_user).get("/api/v1/my-work/")
    assert response.status_code == 403


def test_api_needs_sign_in(db):
    assert APIClient().get("/api/v1/my-work/").status_code == 401
