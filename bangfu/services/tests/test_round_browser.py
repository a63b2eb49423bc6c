"""A county cadre solves a round in the browser and reads why each household got (or did not get) a seat."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.services.tests.factories import make_item, make_offer, make_provider, make_request, make_scored_household
from tests.browser import assert_page_ok, screenshot, sign_in


@pytest.mark.browser
def test_cadre_solves_a_round_and_reads_the_reasons(open_page, tree, settings):
    settings.DEMO_MODE = True
    cadre = tree.user("countycadre", tree.county, Role.CASE_WORKER)
    item = make_item(code="电工培训")
    make_offer(make_provider(tree.county, name="天河职业技能学校"), item, tree.county, capacity=3,
               title="低压电工上岗证培训（3 个名额）")
    base = timezone.now() - dt.timedelta(hours=3)
    for i, need in enumerate(["12", "55", "31", "72", "18"]):
        make_request(make_scored_household(tree.grassroots, need), item, submitted_at=base + dt.timedelta(minutes=i))
    page = open_page()
    sign_in(page, cadre)
    page.goto("/services/rounds/")
    assert_page_ok(page)
    page.get_by_test_id("round-new").click()
    page.get_by_test_id("round-solve").click()
    page.wait_for_selector('[data-testid="round-stats"]')
    assert page.get_by_test_id("round-state").inner_text() == "已求解"
    assert page.locator('[data-testid="matches"] tbody tr').count() == 3
    assert page.locator('[data-testid="left-out"] tbody tr').count() == 2
    assert "更困难或更紧急" in page.get_by_test_id("left-out").inner_text()
    assert_page_ok(page)
    screenshot(page, "services-round-solved")
