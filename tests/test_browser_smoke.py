"""Smoke test in a real browser: a county reviewer signs in, browses the union tree, opens an org and
switches language, on a desktop screen and on a 390 px phone. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bangfu.orgs.models import LocalStandard, Org
from tests.browser import PHONE, assert_fits_width, assert_page_ok, screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_mode(settings):
    # The reviewer role needs two-factor; demo mode relaxes the gate (a verified TOTP device would too).
    settings.DEMO_MODE = True


@pytest.fixture
def figures(tree):
    """Member counts and an illustrative living line, so the pages show real figures and badges."""
    Org.objects.filter(pk=tree.grassroots.pk).update(member_count=1280)
    Org.objects.filter(pk=tree.sibling.pk).update(member_count=356)
    LocalStandard.objects.create(
        division_id="440100",
        kind=LocalStandard.Kind.LIVING_LINE,
        amount=Decimal("1250"),
        effective_from=dt.date(2025, 7, 1),
        source="demo value, illustrative — not an official figure",
        illustrative=True,
    )


def test_reviewer_browses_the_tree_and_switches_language_on_desktop(
    open_page, demo_mode, figures, tree, county_reviewer
):
    page = open_page()
    sign_in(page, county_reviewer)
    assert page.locator("html").get_attribute("lang") == "zh-hans"  # simplified Chinese by default
    assert page.locator(".demo-banner").is_visible()
    assert_page_ok(page)
    screenshot(page, "home-desktop")

    page.click("[data-testid=nav-tree]")
    page.wait_for_url("**/orgs/")
    nodes = page.locator("[data-org]")
    assert sorted(nodes.evaluate_all("els => els.map(e => e.dataset.org)")) == [
        "GD-GZ-TH",
        "GD-GZ-TH-001",
        "GD-GZ-TH-002",
    ]
    assert "四川" not in page.content()
    assert_page_ok(page)
    screenshot(page, "tree-desktop")

    # Collapse and expand the tree.
    page.click("[data-tree-toggle=close]")
    assert not page.locator("[data-org=GD-GZ-TH-001]").is_visible()
    page.click("[data-tree-toggle=open]")
    assert page.locator("[data-org=GD-GZ-TH-001]").is_visible()

    with page.expect_navigation():
        page.click("[data-org=GD-GZ-TH-001] a.org-name")
    assert page.locator("h1").inner_text() == "天河甲公司工会"
    crumbs = page.locator(".breadcrumb").inner_text()
    assert "天河区总工会" in crumbs and "广州市总工会" not in crumbs  # only ancestors the reviewer may see
    assert "440106" in page.locator("[data-testid=division]").inner_text()
    standards = page.locator("[data-testid=standards]")
    assert "1,250" in standards.inner_text() or "1250" in standards.inner_text()
    assert standards.locator(".badge").first.is_visible()  # the illustrative badge
    assert_page_ok(page)
    screenshot(page, "org-detail-desktop")

    with page.expect_navigation():
        page.click("[data-testid=language-en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "天河甲公司工会"  # same page, other language
    assert page.locator("[data-testid=language-zh-hans]").inner_text().strip() == "简体中文"
    assert "Union tree" in page.locator(".breadcrumb").inner_text()
    screenshot(page, "org-detail-desktop-en")

    with page.expect_navigation():
        page.click("[data-testid=language-zh-hans]")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("[data-testid=language-en]").inner_text().strip() == "English"


def test_reviewer_uses_the_tree_on_a_phone(open_page, demo_mode, figures, tree, county_reviewer):
    page = open_page(PHONE)
    sign_in(page, county_reviewer)
    assert_fits_width(page)
    screenshot(page, "home-phone")

    # On a phone the menu is folded behind the toggler.
    assert not page.locator("[data-testid=nav-tree]").is_visible()
    page.click(".navbar-toggler")
    page.locator("#mainnav.collapse.show").wait_for()  # the menu has finished unfolding
    screenshot(page, "menu-phone")
    with page.expect_navigation():
        page.click("[data-testid=nav-tree]")
    assert page.locator("[data-org=GD-GZ-TH-002]").is_visible()
    assert_page_ok(page)
    assert_fits_width(page)
    screenshot(page, "tree-phone")

    with page.expect_navigation():
        page.click("[data-org=GD-GZ-TH] > details > summary a.org-name")
    assert page.locator("h1").inner_text() == "天河区总工会"
    assert_fits_width(page)
    screenshot(page, "org-detail-phone")
