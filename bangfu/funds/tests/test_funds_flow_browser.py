"""The issue's "Done means", end to end in a real browser, in simplified Chinese (the default language).

Test 1: the city's fund manager records a budget and allocates part of it to the county; a grassroots case
worker applies for two living-aid payments paid by the county (one wrong turn above the cap on the way); the
county's reviewer and fund manager, each signing in with two-factor, approve them; after the public notice
the fund manager makes a bank batch, downloads and opens the encrypted bank file, and uploads the bank's
result file with one failure. Balances are read from the pages and from the ledger at each step.

Test 2: a 金秋助学 (autumn school-aid) campaign of the county through the campaign pages, paid as one batch
that holds exactly the campaign's payments.

Only what has no page is made beforehand: the union tree, the users (with their TOTP devices), the living
line and the archived households with real-name cards (and, in test 2, the county's school-aid budget). The
public notice (5 days by default) is not waited for: its end is moved into the past in the database, as
the days passing would. Screenshots go to test-artifacts/screenshots/funds-flow-*.png.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import pyzipper
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.accounts.roles import Role
from bangfu.funds import ledger
from bangfu.funds.models import Bucket, Campaign, Disbursement, DisbursementState, PaymentBatch
from bangfu.funds.tests.factories import YEAR, approve_all, fund, pay, payable_household, set_line, source
from bangfu.registry.models import Member
from tests.browser import assert_page_ok, screenshot, sign_in

pytestmark = pytest.mark.browser

SOURCE_NAME = "中央财政专项帮扶资金"
LIVING, SCHOOL = "生活救助", "子女助学"
BALANCE_COLUMNS = ("source", "category", "received", "allocated_in", "allocated_out", "available", "reserved",
                   "paid")
RESULT_HEADER = ("付款编号", "账号后四位", "金额", "结果", "失败原因", "银行流水号", "交易日期")


# --- helpers ------------------------------------------------------------------------------------------------


def _click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _person(tree, username: str, org, role: str):
    """A staff member; those whose role needs two-factor get a confirmed TOTP device (an authenticator app)."""
    user = tree.user(username, org, role)
    if user.requires_two_factor:
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def _sign_in(open_page, user):
    """A fresh browser signed in through the login form, with the authenticator's code where needed."""
    page = open_page()
    sign_in(page, user)
    device = TOTPDevice.objects.filter(user=user).first()
    if device is not None:
        assert "/accounts/two-factor/" in page.url, page.url
        code = str(totp(device.bin_key, device.step, device.t0, device.digits, device.drift)).zfill(device.digits)
        page.fill("#id_token", code)
        _click(page, "#content button[type=submit]")
        assert "/accounts/two-factor/" not in page.url, "the two-factor code was refused"
    return page


def _balance(org, category: str = "living", bucket: str = Bucket.AVAILABLE) -> int:
    return ledger.balance_of(org.pk, source().pk, YEAR, category, bucket)


def _balances_on_page(page, category_label: str = LIVING) -> dict:
    """The row of the budgets page's balance table for the central funds and `category_label`."""
    row = page.locator("[data-testid=balances] tbody tr", has_text=category_label).filter(has_text=SOURCE_NAME)
    assert row.count() == 1, page.locator("[data-testid=balances]").inner_text()
    return dict(zip(BALANCE_COLUMNS, (cell.strip() for cell in row.locator("td").all_inner_texts()), strict=True))


def _child_on_page(page, union: str) -> list[str]:
    """The cells of a lower union's row on the budgets page: name, available at it, in its branch, ..."""
    return [c.strip() for c in page.locator("[data-testid=children] tbody tr", has_text=union)
            .locator("td").all_inner_texts()]


def _result_file(rows) -> bytes:
    lines = [",".join(RESULT_HEADER)] + [",".join(str(cell) for cell in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def _notice_over(payments) -> None:
    # The county's rules ask for a 5-day public notice after approval; instead of waiting five days, its end
    # is moved to yesterday (the only write to payments outside the pages in these tests).
    Disbursement.objects.filter(pk__in=[p.pk for p in payments]).update(
        notice_until=dt.date.today() - dt.timedelta(days=1))


def _export_and_open(page, tmp_path) -> tuple[str, list[dict]]:
    """On a batch page: export, download the encrypted file through the link, open it with the password shown."""
    page.once("dialog", lambda dialog: dialog.accept())  # "send this batch to the bank?"
    _click(page, "[data-testid=batch-export]")
    assert_page_ok(page)
    password = page.locator("[data-testid=bank-file-password]").inner_text().strip()
    with page.expect_download() as download_info:
        page.click("[data-testid=bank-file-download]")
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    # Chromium reports a navigation that turned into a download as an aborted request: not a problem.
    page.problems[:] = [p for p in page.problems if "/export/?file=" not in p]
    with pyzipper.AESZipFile(io.BytesIO(saved.read_bytes())) as zipped:
        zipped.setpassword(password.encode())
        text = zipped.read(zipped.namelist()[0]).decode("utf-8-sig")
    return password, list(csv.DictReader(io.StringIO(text)))


# --- test 1: budget → allocation → payments → approvals → batch → reconciliation ---------------------------


def test_budget_to_reconciled_batch_in_the_browser(open_page, tree, grassroots_cadre, outsider, tmp_path):
    set_line()  # 1,000 yuan a month: the living-aid cap is 12 × 1,000 = 12,000 yuan per household a year
    city_fm = _person(tree, "city-fm", tree.city, Role.FUND_MANAGER)
    reviewer = _person(tree, "county-rev", tree.county, Role.REVIEWER)
    county_fm = _person(tree, "county-fm", tree.county, Role.FUND_MANAGER)
    first = payable_household(tree.grassroots, name="陈建国", account="6222020200110001111")
    second = payable_household(tree.grassroots, name="林秀英", account="6222020200110002222")
    county, city = tree.county, tree.city

    # 1. The city's fund manager records the budget it received: 50,000 yuan of central funds for living aid.
    page = _sign_in(open_page, city_fm)
    page.goto("/funds/budgets/new/")
    assert_page_ok(page)
    page.select_option("#id_org", str(city.pk))
    page.select_option("#id_source", str(source().pk))
    page.select_option("#id_category", "living")
    page.fill("#id_amount", "50000")
    page.fill("#id_document_ref", "财社〔2026〕18号")
    screenshot(page, "funds-flow-1-budget-form")
    _click(page, "[data-testid=save]")
    assert page.locator(".alert-success").count() == 1
    assert page.locator("[data-testid=total-available]").inner_text().strip() == "50,000.00"
    assert _balances_on_page(page)["received"] == "50,000.00"
    assert _balance(city) == 50_000_00
    screenshot(page, "funds-flow-1-budgets-city")

    # 2. ... and allocates 20,000 yuan of it to the county.
    _click(page, "[data-testid=allocation-new]")
    assert_page_ok(page)
    assert page.locator("[data-testid=from-org]").inner_text() == city.name
    page.select_option("#id_to_org", str(county.pk))
    page.select_option("#id_source", str(source().pk))
    page.select_option("#id_category", "living")
    page.fill("#id_amount", "20000")
    screenshot(page, "funds-flow-2-allocation-form")
    _click(page, "[data-testid=save]")
    assert page.locator(".alert-success").count() == 1
    city_row = _balances_on_page(page)
    assert (city_row["allocated_out"], city_row["available"]) == ("20,000.00", "30,000.00")
    assert _child_on_page(page, county.name)[1] == "20,000.00"  # available at the county itself
    assert _balance(city) == 30_000_00 and _balance(county) == 20_000_00
    screenshot(page, "funds-flow-2-budgets-after-allocation")

    # 3. A grassroots case worker applies from the archive page's payments panel: 3,000 and 2,000 yuan.
    worker = _sign_in(open_page, grassroots_cadre)
    payments = []
    for household, amount in ((first, "3000"), (second, "2000")):
        worker.goto(f"/households/{household.pk}/")
        _click(worker, "[data-testid=payment-new]")
        assert_page_ok(worker)
        worker.select_option("#id_org", str(county.pk))
        worker.select_option("#id_source", str(source().pk))
        worker.select_option("#id_category", "living")
        worker.fill("#id_amount", amount)
        worker.fill("#id_item", f"{YEAR}年生活救助")
        if household == first:
            screenshot(worker, "funds-flow-3-payment-form")
        _click(worker, "[data-testid=submit]")
        payment = Disbursement.objects.get(household=household)
        assert payment.state == DisbursementState.SUBMITTED and worker.url.endswith(f"/funds/payments/{payment.pk}/")
        payments.append(payment)
    assert "陈建国" not in worker.content()  # the payee is masked on the payment's page
    screenshot(worker, "funds-flow-3-payment-submitted")

    # The wrong turn: 9,500 yuan more to the first household goes over its 12,000-yuan cap (3,000 committed).
    worker.goto(f"/funds/payments/new/?household={first.pk}")
    worker.select_option("#id_org", str(county.pk))
    worker.select_option("#id_source", str(source().pk))
    worker.select_option("#id_category", "living")
    worker.fill("#id_amount", "9500")
    worker.fill("#id_item", f"{YEAR}年生活救助（追加）")
    _click(worker, "[data-testid=submit]")
    assert worker.locator("[data-testid=form-errors]").count() == 1
    message = worker.locator("[data-testid=error-amount]").inner_text()  # the cap rule, at the amount
    for figure in ("12,000.00", "3,000.00", "9,500.00", "500.00"):  # cap, already committed, asked, over by
        assert figure in message, message
    assert worker.locator("[data-testid=balance]").inner_text().count("20,000.00") == 1
    screenshot(worker, "funds-flow-3-over-the-cap")
    assert Disbursement.objects.count() == 2, message
    assert _balance(county) == 20_000_00 and _balance(county, bucket=Bucket.RESERVED) == 0

    # Another union's case worker (the sibling enterprise union) does not find the payment at all.
    stranger = _sign_in(open_page, outsider)
    assert stranger.goto(f"/funds/payments/{payments[0].pk}/").status == 404

    # 4. The county's reviewer decides step 1 of both from the inbox ...
    rev = _sign_in(open_page, reviewer)
    rev.goto("/funds/payments/waiting/")
    assert_page_ok(rev)
    assert rev.locator("[data-testid=inbox] tbody tr").count() == 2
    screenshot(rev, "funds-flow-4-inbox")
    rev.check("#select-all")
    rev.fill("#id_comment", "材料齐全，核实无误")
    _click(rev, "[data-testid=approve-selected]")
    assert rev.locator(".alert-success").count() == 1
    assert rev.locator("[data-testid=inbox-empty]").count() == 1
    assert [p.current_step for p in Disbursement.objects.order_by("pk")] == [1, 1]
    assert _balance(county) == 20_000_00  # nothing is reserved before the last step

    # ... and the county's fund manager step 2 on each payment's page.
    fm = _sign_in(open_page, county_fm)
    for payment in payments:
        fm.goto(f"/funds/payments/{payment.pk}/")
        assert_page_ok(fm)
        if payment == payments[0]:
            screenshot(fm, "funds-flow-4-decide")
        fm.fill("#id_comment", "同意发放")
        _click(fm, "[data-testid=decide]")
        assert fm.locator(".alert-success").count() == 1
        payment.refresh_from_db()
        assert payment.state == DisbursementState.APPROVED
        assert [a.decided_by_id for a in payment.approvals.order_by("step")] == [reviewer.pk, county_fm.pk]
    assert fm.locator("[data-testid=notice-until]").count() == 1
    screenshot(fm, "funds-flow-4-approved")
    fm.goto("/funds/budgets/")
    county_row = _balances_on_page(fm)
    assert (county_row["available"], county_row["reserved"], county_row["paid"]) == ("15,000.00", "5,000.00", "0.00")
    assert _balance(county) == 15_000_00 and _balance(county, bucket=Bucket.RESERVED) == 5_000_00
    screenshot(fm, "funds-flow-4-budgets-county")

    # The public notice lists both, names masked; the batch page waits for its end.
    fm.goto("/funds/payments/notices/")
    notice = fm.locator("[data-testid=notice-table]").inner_text()
    assert fm.locator("[data-testid=notice-table] tbody tr").count() == 2
    assert "陈**" in notice and "陈建国" not in notice
    screenshot(fm, "funds-flow-4-notice")
    fm.goto("/funds/batches/new/")
    assert fm.locator("[data-testid=payable-payments]").count() == 0
    screenshot(fm, "funds-flow-5-batch-in-notice")
    _notice_over(payments)

    # 5. The fund manager makes the batch, exports it and opens the encrypted file.
    fm.goto("/funds/batches/new/")
    assert_page_ok(fm)
    assert fm.locator("[data-testid=payable-payments] input[name=payments]:checked").count() == 2
    screenshot(fm, "funds-flow-5-batch-new")
    fm.fill("#id_note", f"{YEAR}年生活救助代发")
    _click(fm, "[data-testid=batch-create]")
    batch = PaymentBatch.objects.get()
    assert fm.locator("[data-testid=batch-total]").inner_text() == "5,000.00"
    screenshot(fm, "funds-flow-5-batch-open")
    password, lines = _export_and_open(fm, tmp_path)
    assert len(password) >= 12
    assert {line["账号"] for line in lines} == {"6222020200110001111", "6222020200110002222"}
    assert {line["付款编号"] for line in lines} == {str(p.pk) for p in payments}
    assert sum(float(line["金额"]) for line in lines) == 5000.00
    assert "5,000.00" in fm.locator("#content").inner_text()
    screenshot(fm, "funds-flow-5-bank-file")
    batch.refresh_from_db()
    assert batch.state == PaymentBatch.State.EXPORTED
    assert _balance(county, bucket=Bucket.RESERVED) == 5_000_00

    # 6. The bank's result: the first paid, the second failed (frozen account).
    fm.goto(f"/funds/batches/{batch.pk}/")
    _click(fm, "[data-testid=batch-reconcile]")
    assert_page_ok(fm)
    result = tmp_path / "银行回盘.csv"
    result.write_bytes(_result_file([(payments[0].pk, "1111", "3000.00", "成功", "", "BK2026001", ""),
                                     (payments[1].pk, "2222", "2000.00", "失败", "账户已冻结", "", "")]))
    fm.set_input_files("#id_file", str(result))
    screenshot(fm, "funds-flow-6-reconcile")
    _click(fm, "[data-testid=result-upload]")
    assert fm.locator(".alert-success").count() == 1
    batch.refresh_from_db()
    assert batch.state == PaymentBatch.State.RECONCILED
    assert [p.state for p in batch.disbursements.order_by("pk")] == [DisbursementState.PAID, DisbursementState.FAILED]
    assert "账户已冻结" in fm.locator("[data-testid=batch-payments]").inner_text()
    screenshot(fm, "funds-flow-6-batch-reconciled")
    fm.goto("/funds/budgets/")
    county_row = _balances_on_page(fm)
    assert (county_row["available"], county_row["reserved"], county_row["paid"]) == ("17,000.00", "0.00", "3,000.00")
    assert _balance(county) == 17_000_00 and _balance(county, bucket=Bucket.PAID) == 3_000_00
    assert _balance(county, bucket=Bucket.RESERVED) == 0 and _balance(city) == 30_000_00
    assert ledger.verify() == []
    screenshot(fm, "funds-flow-6-budgets-county")
    fm.goto("/funds/")
    assert_page_ok(fm)
    assert fm.locator("[data-testid=count-failed]").inner_text().strip() == "1"
    screenshot(fm, "funds-flow-6-home")
    fm.goto(f"/funds/batches/{batch.pk}/roster/")
    assert "叁仟元整" in fm.locator("[data-testid=roster-total-capital]").inner_text()  # the failed one is left out
    screenshot(fm, "funds-flow-6-roster")


# --- test 2: a 金秋助学 campaign paid as one batch -------------------------------------------------------------


def test_school_aid_campaign_paid_as_one_batch(open_page, tree, tmp_path):
    set_line()  # the school-aid cap: 10 months × 1,000 yuan per student a year
    reviewer = _person(tree, "county-rev", tree.county, Role.REVIEWER)
    county_fm = _person(tree, "county-fm", tree.county, Role.FUND_MANAGER)
    worker = _person(tree, "county-cw", tree.county, Role.CASE_WORKER)
    county = tree.county
    fund(county, 30_000, county_fm, category="school")
    fund(county, 10_000, county_fm, category="living")
    # Two households with pupils: a primary and a junior pupil at one union, a senior pupil at the other.
    chen = payable_household(tree.grassroots, name="陈建国", size=3, account="6222020200110003333",
                             common_level="deep")
    Member.objects.filter(pk=chen.members.filter(is_head=False).order_by("pk").first().pk).update(
        school_stage="primary")
    lin = payable_household(tree.sibling, name="林秀英", size=2, account="6222020200110004444",
                            common_level="relative")
    Member.objects.filter(household=lin, is_head=False).update(school_stage="senior")
    # No student here: not proposed. Its approved living-aid payment of the same county must stay out of the batch.
    huang = payable_household(tree.grassroots, name="黄立新", account="6222020200110005555")
    other = approve_all(pay(county, huang, 1000, worker), {Role.REVIEWER: reviewer, Role.FUND_MANAGER: county_fm})
    _notice_over([other])

    # The county's case worker sets the campaign up, proposes the households and creates the payments.
    page = _sign_in(open_page, worker)
    page.goto("/funds/campaigns/")
    assert_page_ok(page)
    _click(page, "[data-testid=new-school]")
    assert_page_ok(page)
    assert page.locator("input[name=kind][value=school]").is_checked()
    assert page.locator("#id_name").input_value() == f"{YEAR}年金秋助学"
    screenshot(page, "funds-flow-campaign-form")
    _click(page, "[data-testid=campaign-save]")
    campaign = Campaign.objects.get()
    assert campaign.org_id == county.pk and campaign.kind == Campaign.Kind.SCHOOL
    _click(page, "[data-testid=campaign-propose]")
    assert_page_ok(page)
    assert page.locator("[data-testid=proposal] tbody tr").count() == 3  # one row per pupil
    assert page.locator("tr[data-breach]").count() == 0
    screenshot(page, "funds-flow-campaign-proposal")
    _click(page, "[data-testid=create-payments]")
    assert page.locator(".alert-success").count() == 1
    campaign_payments = Disbursement.objects.filter(campaign=campaign)
    assert sorted(campaign_payments.values_list("amount_fen", flat=True)) == [1000_00, 1500_00, 2000_00]
    total = 4500_00

    # The reviewer, then the fund manager, approve their step for all (two-factor sign-in each).
    for person in (reviewer, county_fm):
        approver = _sign_in(open_page, person)
        approver.goto(f"/funds/campaigns/{campaign.pk}/")
        assert_page_ok(approver)
        if person == reviewer:
            screenshot(approver, "funds-flow-campaign-approve")
        _click(approver, "[data-testid=approve-all]")
        assert approver.locator(".alert-success").count() == 1
    assert set(campaign_payments.values_list("state", flat=True)) == {DisbursementState.APPROVED}
    assert _balance(county, "school") == 30_000_00 - total
    assert _balance(county, "school", Bucket.RESERVED) == total
    assert approver.locator("[data-testid=in-notice]").count() == 1
    screenshot(approver, "funds-flow-campaign-approved")

    # After the public notice the fund manager sends the campaign to the bank as one batch.
    _notice_over(campaign_payments)
    approver.goto(f"/funds/campaigns/{campaign.pk}/")
    _click(approver, "[data-testid=send-to-bank]")
    batch = PaymentBatch.objects.get()
    assert approver.url.endswith(f"/funds/batches/{batch.pk}/")
    assert set(batch.disbursements.values_list("pk", flat=True)) == set(campaign_payments.values_list("pk", flat=True))
    other.refresh_from_db()
    assert other.batch_id is None and other.state == DisbursementState.APPROVED
    assert approver.locator("[data-testid=batch-total]").inner_text() == "4,500.00"
    screenshot(approver, "funds-flow-campaign-batch")

    # The bank file holds exactly the three pupils' payments; the bank pays them all.
    _password, lines = _export_and_open(approver, tmp_path)
    assert sorted(line["付款编号"] for line in lines) == sorted(str(pk) for pk in campaign_payments.values_list(
        "pk", flat=True))
    assert sum(float(line["金额"]) for line in lines) == 4500.00
    approver.goto(f"/funds/batches/{batch.pk}/reconcile/")
    rows = [(p.pk, p.payee_account_last4, f"{p.amount_fen / 100:.2f}", "成功", "", f"BK{p.pk}", "")
            for p in campaign_payments.order_by("pk")]
    result = tmp_path / "金秋助学回盘.csv"
    result.write_bytes(_result_file(rows))
    approver.set_input_files("#id_file", str(result))
    _click(approver, "[data-testid=result-upload]")
    assert approver.locator(".alert-success").count() == 1
    batch.refresh_from_db()
    assert batch.state == PaymentBatch.State.RECONCILED
    assert set(campaign_payments.values_list("state", flat=True)) == {DisbursementState.PAID}
    assert _balance(county, "school", Bucket.PAID) == total and _balance(county, "school", Bucket.RESERVED) == 0
    assert _balance(county, "school") == 30_000_00 - total
    assert _balance(county, "living", Bucket.RESERVED) == 1000_00  # the other payment still waits for its batch
    assert ledger.verify() == []
    approver.goto(f"/funds/campaigns/{campaign.pk}/")
    assert batch.number in approver.locator("[data-testid=batch-link]").inner_text()
    screenshot(approver, "funds-flow-campaign-paid")
