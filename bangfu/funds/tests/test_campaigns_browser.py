"""A 金秋助学 campaign in a real browser, paid as one bank batch: the county's case worker sets it up and
proposes, the reviewer and the fund manager approve all, the fund manager sends it to the bank.
Screenshots (simplified Chinese) go to test-artifacts/screenshots/campaigns-*.png."""

from __future__ import annotations

import datetime as dt

import pytest

from bangfu.accounts.roles import Role
from bangfu.funds import ledger
from bangfu.funds.models import Campaign, Disbursement, DisbursementState, PaymentBatch
from bangfu.funds.tests.factories import YEAR, approvers, fund, payable_household, set_line, source
from bangfu.registry.models import Member
from tests.browser import PHONE, assert_fits_width, assert_page_ok, screenshot, sign_in

pytestmark = pytest.mark.browser


def _click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_school_aid_campaign_paid_as_one_batch(open_page, tree, settings):
    settings.DEMO_MODE = True  # approvers sign in without a TOTP device here (2FA is tested in accounts)
    set_line()
    people = approvers(tree)
    fund(tree.county, 30_000, people[Role.FUND_MANAGER], category="school")
    worker = tree.user("county-cw", tree.county, Role.CASE_WORKER)
    first = payable_household(tree.grassroots, name="陈建国", size=3, account="6222000000000081111",
                             common_level="deep")
    Member.objects.filter(household=first, is_head=False).update(school_stage="primary")
    second = payable_household(tree.sibling, name="林秀英", size=2, account="6222000000000082222",
                              common_level="relative")
    Member.objects.filter(household=second, is_head=False).update(school_stage="undergraduate")
    borrowed = payable_household(tree.grassroots, name="黄立新", size=2, account="6222000000000083333",
                                common_level="deep")
    borrowed.bank_account_holder = "黄小红"
    borrowed.save()

    page = open_page()
    sign_in(page, worker)
    page.goto("/funds/campaigns/")
    assert_page_ok(page)
    _click(page, "[data-testid=new-festive]")
    assert page.locator("[data-testid=stage-amounts]").is_hidden()
    page.check("input[name=kind][value=school]")  # the form switches to the school-aid part
    assert page.locator("[data-testid=stage-amounts]").is_visible()
    page.fill("#id_name", "2026年金秋助学")
    page.fill("#id_period", f"{YEAR}秋季")
    page.select_option("#id_org", str(tree.county.pk))
    page.select_option("#id_source", str(source().pk))
    page.fill("input[name=amount_primary]", "-800")
    _click(page, "[data-testid=campaign-save]")
    assert page.locator("[data-testid=form-errors]").count() == 1
    assert not Campaign.objects.exists()
    screenshot(page, "campaigns-form-refused")
    page.fill("input[name=amount_primary]", "800")
    _click(page, "[data-testid=campaign-save]")
    campaign = Campaign.objects.get()
    assert campaign.amount_rule["per_stage"]["primary"] == 800_00

    _click(page, "[data-testid=campaign-propose]")
    assert_page_ok(page)
    # Two primary pupils, one undergraduate; the borrowed card is shown in red and not ticked.
    assert page.locator("[data-testid=proposal] tbody tr").count() == 4
    assert page.locator("tr[data-breach]").count() == 1
    assert not page.locator("tr[data-breach] input[name=row]").is_checked()
    screenshot(page, "campaigns-proposal")
    page.fill(f"input[name='amount-{second.pk}-{second.members.get(is_head=False).pk}']", "4500")
    _click(page, "[data-testid=create-payments]")
    payments = Disbursement.objects.filter(campaign=campaign)
    assert payments.count() == 3 and sorted(payments.values_list("amount_fen", flat=True)) == [800_00, 800_00,
                                                                                                4500_00]

    for role in (Role.REVIEWER, Role.FUND_MANAGER):
        approver = open_page()
        sign_in(approver, people[role])
        approver.goto(f"/funds/campaigns/{campaign.pk}/")
        if role == Role.REVIEWER:
            screenshot(approver, "campaigns-approve")
        _click(approver, "[data-testid=approve-all]")
        assert approver.locator(".alert-success").count() == 1
    assert set(payments.values_list("state", flat=True)) == {DisbursementState.APPROVED}
    assert ledger.balance_of(tree.county.pk, source().pk, YEAR, "school") == 30_000_00 - 6100_00
    assert "in-notice" in approver.content()
    screenshot(approver, "campaigns-approved")

    payments.update(notice_until=dt.date.today() - dt.timedelta(days=1))  # the public notice is over
    approver.goto(f"/funds/campaigns/{campaign.pk}/")
    _click(approver, "[data-testid=send-to-bank]")
    batch = PaymentBatch.objects.get()
    assert set(batch.disbursements.values_list("pk", flat=True)) == set(payments.values_list("pk", flat=True))
    assert_page_ok(approver)
    approver.goto(f"/funds/campaigns/{campaign.pk}/")
    assert batch.number in approver.locator("[data-testid=batch-link]").inner_text()
    screenshot(approver, "campaigns-detail-batched")
    approver.goto("/funds/campaigns/")
    assert "2026年金秋助学" in approver.locator("[data-testid=campaign-list]").inner_text()
    screenshot(approver, "campaigns-list")

    phone = open_page(PHONE)
    sign_in(phone, worker)
    phone.goto(f"/funds/campaigns/{campaign.pk}/")
    assert_page_ok(phone)
    assert_fits_width(phone)
    screenshot(phone, "campaigns-detail-phone")
    phone.goto("/funds/campaigns/")
    assert_fits_width(phone)
    screenshot(phone, "campaigns-list-phone")
