"""The audit pages in a real browser: an auditor filters the change log and opens an entry, on a desktop
and on a phone. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import pytest

from tests.browser import PHONE, assert_fits_width, assert_page_ok, screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_mode(settings):
    settings.DEMO_MODE = True  # the audit admin needs two-factor; demo mode relaxes the gate


@pytest.mark.parametrize("viewport, name", [(None, "desktop"), (PHONE, "phone")])
def test_auditor_filters_the_change_log_and_opens_an_entry(open_page, demo_mode, tree, audit_admin, grassroots_cadre,
                                                           viewport, name):
    page = open_page(viewport) if viewport else open_page()
    sign_in(page, audit_admin)
    page.goto("/audit/changes/")
    assert_page_ok(page)
    page.fill("#id_actor", "nobody")
    with page.expect_navigation():
        page.click("[data-testid=audit-filter] button[type=submit]")
    assert page.locator("table tbody tr").count() == 1  # "No entries."
    page.goto("/audit/changes/?object_type=accounts.user")
    rows = page.locator("table tbody tr")
    assert rows.count() >= 2  # the auditor and the cadre were created
    if viewport is not None:
        assert_fits_width(page)
    screenshot(page, f"audit-changes-{name}")
    with page.expect_navigation():
        rows.first.locator("a").first.click()
    assert "/audit/changes/" in page.url and page.locator("h1").is_visible()
    assert_page_ok(page)
    screenshot(page, f"audit-change-detail-{name}")
    page.goto("/audit/access/")
    assert page.locator("table tbody tr").count() >= 1  # at least the auditor's own sign-in
    screenshot(page, f"audit-access-{name}")
