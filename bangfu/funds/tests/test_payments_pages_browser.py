"""A payment in a real browser: the case worker applies on the form (a refusal first, then a valid amount), the
county's reviewer and fund manager decide from their inbox and the payment's page, the notice is printed.
Screenshots (simplified Chinese) go to test-artifacts/screenshots/payments-*.png."""

from __future__ import annotations

import pytest

from bangfu.accounts.roles import Role
from bangfu.funds import ledger
from bangfu.funds.models import ApprovalRule, Disbursement, DisbursementState
from bangfu.funds.tests.factories import YEAR, approvers, fund, give, payable_household, set_line, source
from tests.browser import PHONE, assert_fits_width, assert_page_ok, screenshot, sign_in

pytestmark = pytest.mark.browser


def _click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_apply_approve_and_print_the_notice(open_page, tree, grassroots_cadre, city_fund_manager, settings):
    settings.DEMO_MODE = True  # approvers sign in without a TOTP device here (2FA is tested in accounts)
    set_line()
    fund(tree.city, 100_000, city_fund_manager)
    give(tree.city, tree.county, 20_000, city_fund_manager)
    people = approvers(tree)
    household = payable_household(tree.grassroots, name="陈建国", size=2)

    page = open_page()
    sign_in(page, grassroots_cadre)
    page.goto(f"/funds/payments/new/?household={household.pk}")
    assert_page_ok(page)
    page.select_option("#id_org", str(tree.county.pk))
    page.select_option("#id_source", str(source().pk))
    page.select_option("#id_category", "living")
    assert page.locator("[data-for-category=school]").is_hidden()
    page.fill("#id_amount", "12000.50")  # above 12 × the line of 1,000 yuan
    page.fill("#id_item", "2026年生活救助")
    _click(page, "[data-testid=submit]")
    assert page.locator("[data-testid=form-errors]").count() == 1
    assert page.locator("[data-testid=balance]").inner_text().count("20,000.00") == 1
    screenshot(page, "payments-new-refused")
    assert not Disbursement.objects.exists()

    page.fill("#id_amount", "3000")
    _click(page, "[data-testid=submit]")
    payment = Disbursement.objects.get()
    assert payment.state == DisbursementState.SUBMITTED
    screenshot(page, "payments-detail-submitted")

    for role in (Role.REVIEWER, Role.FUND_MANAGER):
        approver = open_page()
        sign_in(approver, people[role])
        approver.goto("/funds/payments/waiting/")
        assert_page_ok(approver)
        assert approver.locator(f"input[name=payment][value='{payment.pk}']").count() == 1
        if role == Role.REVIEWER:
            screenshot(approver, "payments-inbox")
        approver.goto(f"/funds/payments/{payment.pk}/")
        if role == Role.FUND_MANAGER:
            screenshot(approver, "payments-decide")
        approver.fill("#id_comment", "核实无误")
        _click(approver, "[data-testid=decide]")
        assert approver.locator(".alert-success").count() == 1
    payment.refresh_from_db()
    assert payment.state == DisbursementState.APPROVED
    assert ledger.balance_of(tree.county.pk, source().pk, YEAR, "living") == 17_000_00
    screenshot(approver, "payments-detail-approved")

    approver.goto("/funds/payments/notices/")
    assert approver.locator("[data-testid=notice-table] tbody tr").count() == 1
    assert "陈**" in approver.locator("[data-testid=notice-table]").inner_text()
    screenshot(approver, "payments-notice")

    approver.goto("/funds/payments/")
    assert_page_ok(approver)
    screenshot(approver, "payments-list")
    approver.goto("/funds/payments/rules/")
    assert_page_ok(approver)
    approver.click("[data-testid=chain] summary")
    screenshot(approver, "payments-rules")
    # The fund manager makes the default chain the county's own, leadership from 3,000 yuan (blank row left out).
    approver.fill("#id_step-2-min_amount", "3000")
    _click(approver, "[data-testid=chain-save]")
    assert approver.locator(".alert-success").count() == 1
    assert list(ApprovalRule.objects.filter(org=tree.county).values_list("order", "min_amount_fen")) == [
        (1, 0), (2, 0), (3, 3000_00)]

    phone = open_page(PHONE)
    sign_in(phone, grassroots_cadre)
    phone.goto(f"/funds/payments/{payment.pk}/")
    assert_page_ok(phone)
    assert_fits_width(phone)
    screenshot(phone, "payments-detail-phone")
