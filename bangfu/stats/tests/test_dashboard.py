"""The dashboard and comparison pages and their API, as users of several roles see them: figures equal plain
counts of the records, links lead to lists with the same number, other unions are a 404, mental-health
figures only for counsellors and leadership."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangfu.accounts.roles import Role
from bangfu.funds.tests.factories import fund, give
from bangfu.registry.models import Household, State
from bangfu.registry.tests.factories import make_household
from bangfu.stats import rollup

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree):
    """Households in two grassroots unions of the county and one in the other province."""
    g, s = tree.grassroots, tree.sibling
    for _ in range(3):
        make_household(g, category="A_dibao", main_cause="6")
    make_household(g, category="A_marginal", main_cause="3", review_due_on=dt.date(2025, 1, 1))
    make_household(s, category="A_dibao", main_cause="3")
    make_household(s, state=State.APPLIED)
    make_household(g, state=State.EXITED, exit_reason="death", main_cause="")
    make_household(tree.other_grassroots, category="A_dibao")
    return tree


def _figures(html: str, testid: str) -> int:
    match = re.search(rf'data-testid="{testid}">(?:<a [^>]*>)?([\d,]+)', html)
    assert match, testid
    return int(match.group(1).replace(",", ""))


def test_county_dashboard_counts_its_subtree_and_links_to_the_same_list(world, signed_in_en):
    reviewer = world.user("rev", world.county, Role.REVIEWER)
    client = signed_in_en(reviewer)
    html = client.get(reverse("stats:dashboard")).content.decode()
    active = Household.objects.filter(org__path__startswith=world.county.path, state=State.ACTIVE).count()
    assert active == 5
    match = re.search(r'href="([^"]+)" data-testid="link-state-active">([\d,]+)<', html)
    assert match and int(match.group(2)) == active
    listed = client.get(match.group(1).replace("&amp;", "&")).content.decode()
    total = re.search(r'data-testid="list-total">\s*([\d,]+)', listed)
    assert total and int(total.group(1)) == active
    assert _figures(html, "figure-overdue_reviews") == 1
    assert "link-category-A_dibao\">4<" in html  # the other province's household is not counted
    assert "figure-open_crises" not in html  # reviewers get no mental-health figures


def test_overdue_visits_figure_equals_the_overdue_list_it_links_to(world, signed_in_en):
    """Households helped since long ago (never visited), helped recently, and visited lately: the dashboard's
    count of overdue visits is the count the helpers' overdue list shows behind its link."""
    from bangfu.helpers.models import HelperAssignment, Visit

    today = timezone.localdate()
    for i, household in enumerate(Household.objects.filter(org__path__startswith=world.county.path,
                                                            state=State.ACTIVE).order_by("pk")):
        since = today - dt.timedelta(days=[200, 5][i % 2])
        HelperAssignment.objects.create(household=household, mode="union", helper_org=household.org,
                                        helper_kind="branch_cadre", starts_on=since)
        if i == 2:
            Visit.objects.create(household=household, visited_on=today - dt.timedelta(days=3), visitors="王",
                                 findings="好")
    client = signed_in_en(world.user("worker", world.county, Role.CASE_WORKER))
    html = client.get(reverse("stats:dashboard")).content.decode()
    shown = _figures(html, "figure-overdue_visits")
    assert shown == 2  # the first and the fifth: the third was visited three days ago
    link = re.search(r'href="([^"]+)" data-testid="link-overdue_visits"', html)
    assert link, "the figure links to the overdue list"
    listed = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    count = re.search(r'data-testid="overdue-count">(\d+)<', listed)
    assert count and int(count.group(1)) == shown


def test_drilling_down_and_other_unions(world, signed_in_en):
    reviewer = world.user("rev", world.county, Role.REVIEWER)
    client = signed_in_en(reviewer)
    below = client.get(reverse("stats:dashboard"), {"org": world.sibling.code})
    assert below.status_code == 200 and "link-state-active\">1<" in below.content.decode()
    for code in (world.other_grassroots.code, world.province.code, "NO-SUCH"):
        assert client.get(reverse("stats:dashboard"), {"org": code}).status_code == 404
        assert client.get(reverse("stats:compare"), {"org": code}).status_code == 404
    assert client.post(reverse("stats:dashboard")).status_code == 405


def test_roles_without_statistics_get_404(world, signed_in):
    helper = world.user("helper1", world.grassroots, Role.HELPER)
    worker = world.user("worker1", world.grassroots, Role.WORKER, kind="worker")
    for user in (helper, worker):
        assert signed_in(user).get(reverse("stats:dashboard")).status_code == 404


def test_mental_health_figures_are_counts_for_counsellors_and_leaders_only(world, signed_in_en):
    from bangfu.care.services import record_screening

    counsellor = world.user("couns", world.county, Role.COUNSELLOR)
    household = Household.objects.filter(org=world.grassroots, state=State.ACTIVE).first()
    member = household.members.first()
    record_screening(household, member, "phq9", [3, 3, 3, 3, 3, 3, 3, 3, 2], timezone.localdate(), counsellor, "")
    leader = world.user("lead", world.province, Role.LEADERSHIP)
    cadre = world.user("cadre1", world.grassroots, Role.CASE_WORKER)
    assert _figures(signed_in_en(counsellor).get(reverse("stats:dashboard")).content.decode(),
                    "figure-open_crises") == 1
    leader_html = signed_in_en(leader).get(reverse("stats:dashboard")).content.decode()
    assert _figures(leader_html, "figure-open_crises") == 1
    assert 'data-testid="figure-open_crises">1<' in leader_html  # a count, with no link to the cases
    assert "figure-open_crises" not in signed_in_en(cadre).get(reverse("stats:dashboard")).content.decode()


def test_comparison_sorts_children_and_gives_rates(world, signed_in_en):
    world.grassroots.member_count = 2000
    world.grassroots.save(update_fields=["member_count"])
    leader = world.user("lead", world.city, Role.LEADERSHIP)
    query = {"org": world.county.code, "sort": "active"}
    html = signed_in_en(leader).get(reverse("stats:compare"), query).content.decode()
    rows = re.findall(r'data-testid="compare-row-([A-Z0-9-]+)"', html)
    assert rows == [world.sibling.code, world.grassroots.code]  # 1 active, then 4
    assert ">2.0<" in html  # 4 active archives per 2,000 members = 2.0 per 1,000


def test_api_gives_the_page_figures_and_the_same_404s(world):
    fm = world.user("fm", world.county, Role.FUND_MANAGER)
    fund(world.county, 1000, fm)
    give(world.county, world.grassroots, 400, fm)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=fm).key}")
    body = client.get("/api/v1/stats/dashboard/").json()
    states = {row["key"]: row["value"] for row in body["breakdowns"]["state"]}
    assert states[State.ACTIVE] == 5 and states[State.EXITED] == 1
    money = {row["key"]: row["value"] for row in body["funds"]["figures_fen"]}
    assert money["budget"] == 100000 and money["passed_down"] == 40000
    compare = client.get("/api/v1/stats/compare/").json()
    assert {r["org"]["code"]: r["active"] for r in compare["rows"]} == {world.grassroots.code: 4,
                                                                        world.sibling.code: 1}
    assert len(compare["trend"]["months"]) == 24
    assert client.get("/api/v1/stats/dashboard/", {"org": world.other_province.code}).status_code == 404
    rollup.compact()
    assert client.get("/api/v1/stats/dashboard/").json()["breakdowns"] == body["breakdowns"]
