"""Issue 8's "done means": each role opens its dashboard in Chromium, the charts draw, a figure is checked
against the list it links to, and a screenshot of each is saved (test-artifacts/screenshots/stats-*.png)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.funds.tests.factories import fund, give
from bangfu.registry.models import Household, State
from bangfu.registry.tests.factories import make_household
from bangfu.stats.demo import backdate_history
from tests.browser import assert_fits_width, assert_page_ok, screenshot, sign_in


def _number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def _charts_drawn(page) -> None:
    page.wait_for_function(
        "[...document.querySelectorAll('[data-chart]')]"
        ".every(el => el.dataset.ready === '1' && el.querySelector('svg'))")


@pytest.mark.browser
def test_each_role_opens_its_dashboard_and_a_figure_matches_its_list(open_page, tree, settings):
    settings.DEMO_MODE = True
    g, s = tree.grassroots, tree.sibling
    for i, (org, category, cause) in enumerate([(g, "A_dibao", "6"), (g, "A_dibao", "3"), (g, "A_marginal", "6"),
                                                (s, "A_accident", "8"), (s, "A_dibao", "1")]):
        make_household(org, category=category, main_cause=cause, activated_on=dt.date(2025, 3 + i, 1),
                       review_due_on=dt.date(2025, 12, 1) if i == 0 else None)
    make_household(g, state=State.EXITED, exit_reason="out_of_hardship", activated_on=dt.date(2025, 2, 1),
                   exited_on=dt.date(2026, 5, 10))
    make_household(s, state=State.FIRST_CHECK)
    make_household(tree.other_grassroots, category="A_dibao")
    backdate_history()  # the archives' own dates, so the 24-month lines have a shape
    manager = tree.user("cityfm", tree.city, Role.FUND_MANAGER)
    fund(tree.city, 20000, manager)
    give(tree.city, tree.county, 8000, manager)
    household = Household.objects.filter(org=g, state=State.ACTIVE).first()
    from bangfu.care.services import record_screening

    counsellor = tree.user("countycounsellor", tree.county, Role.COUNSELLOR)
    record_screening(household, household.members.first(), "phq9", [3, 3, 3, 3, 3, 3, 3, 3, 2],
                     timezone.localdate(), counsellor, "")
    people = {
        "caseworker": tree.user("gcadre", g, Role.CASE_WORKER),
        "reviewer": tree.user("countyrev", tree.county, Role.REVIEWER),
        "fundmanager": manager,
        "counsellor": counsellor,
        "leader": tree.user("gdleader", tree.province, Role.LEADERSHIP),
    }
    expected_active = {"caseworker": 3, "reviewer": 5, "fundmanager": 5, "counsellor": 5, "leader": 5}

    for role, user in people.items():
        page = open_page()
        sign_in(page, user)
        page.goto("/stats/")
        _charts_drawn(page)
        assert_page_ok(page)
        assert_fits_width(page)
        link = page.get_by_test_id("link-state-active")
        shown = _number(link.inner_text())
        assert shown == expected_active[role], role
        has_crises = page.get_by_test_id("figure-open_crises").count() == 1
        assert has_crises == (role in ("counsellor", "leader")), role
        assert (page.get_by_test_id("stats-funds").count() == 1) == (role != "counsellor")
        screenshot(page, f"stats-dashboard-{role}")
        with page.expect_navigation():
            link.click()
        assert "/households/" in page.url and "state=active" in page.url
        assert _number(page.get_by_test_id("list-total").first.inner_text()) == shown, role
        page.close()

    page = open_page()
    sign_in(page, people["leader"])
    page.goto(f"/stats/compare/?org={tree.county.code}")
    _charts_drawn(page)
    assert_page_ok(page)
    rows = page.locator('[data-testid="compare-table"] tbody tr')
    assert rows.count() == 2
    assert page.get_by_test_id(f"compare-row-{g.code}").locator("td").nth(1).inner_text() == "3"
    screenshot(page, "stats-compare-leader")
    page.goto(f"/stats/?org={tree.other_grassroots.code}")
    assert page.get_by_test_id("not-found").count() == 1
