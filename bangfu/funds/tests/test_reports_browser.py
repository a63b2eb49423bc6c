"""The report pages in Chromium: usage with drill-down to a lower union, per-household totals, the fund account."""

from __future__ import annotations

import os
import shutil

import pytest

from bangfu.funds.tests.factories import YEAR
from bangfu.funds.tests.test_reports import scenario  # noqa: F401 - the fixture
from tests.browser import PHONE, assert_fits_width, assert_page_ok, screenshot, sign_in

pytestmark = pytest.mark.browser
EXTRA_SHOTS = os.environ.get("BANGFU_REPORT_SHOTS", "")  # also copy the screenshots there (a person looking)


def shot(page, name: str) -> None:
    path = screenshot(page, name)
    if EXTRA_SHOTS:
        os.makedirs(EXTRA_SHOTS, exist_ok=True)
        shutil.copy(path, EXTRA_SHOTS)


def test_reports_in_the_browser(scenario, open_page, city_fund_manager, settings):  # noqa: F811
    settings.DEMO_MODE = True  # the fund manager's second factor is relaxed for the browser
    page = open_page()
    sign_in(page, city_fund_manager)
    page.goto(f"/funds/reports/?year={YEAR}")
    assert_page_ok(page)
    assert page.locator("[data-testid=row-child]").count() == 1
    assert "4,300.00" in page.locator("[data-testid=row-total]").inner_text()
    shot(page, "funds-report-usage-city")
    page.click("[data-testid=row-child] a")  # drill down to the county
    page.wait_for_selector("[data-testid=row-own]")
    assert "天河区总工会" in page.locator("[data-testid=page-title]").inner_text()
    assert page.locator("[data-testid=row-child]").count() == 1
    shot(page, "funds-report-usage-county")
    page.click("[data-testid=tab-households]")  # the tabs keep the union and the year
    page.wait_for_selector("[data-testid=households-table]")
    assert page.locator("[data-testid=household-row]").count() == 3
    assert_page_ok(page)
    shot(page, "funds-report-households")
    page.click("[data-testid=tab-account]")
    page.wait_for_selector("[data-testid=reconcile-ok]")
    assert_page_ok(page)
    shot(page, "funds-report-account")
    with page.expect_download() as download:
        page.click("[data-testid=export-xlsx]")
    assert download.value.suggested_filename.startswith("fund-account-")

    phone = open_page(PHONE)
    sign_in(phone, city_fund_manager)
    phone.goto(f"/funds/reports/?year={YEAR}")
    assert_page_ok(phone)
    assert_fits_width(phone)
    shot(phone, "funds-report-usage-phone")
