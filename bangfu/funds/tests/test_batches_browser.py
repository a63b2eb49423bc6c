"""A bank batch in a real browser: the county's fund manager makes the batch, exports the encrypted bank file
(downloads it, opens it with the password shown), uploads a wrong result file (refused, nothing changes), then
the bank's real one with one failure, and prints the roster. Screenshots (simplified Chinese) go to
test-artifacts/screenshots/batches-*.png."""

# ruff: noqa: F811 - the `world` fixture imported from test_batches is taken as a test argument
from __future__ import annotations

import io
import re

import pytest
import pyzipper

from bangfu.funds import ledger
from bangfu.funds.models import Bucket, DisbursementState, PaymentBatch
from bangfu.funds.tests.test_batches import balance, result_file, world  # noqa: F401 - fixture
from tests.browser import PHONE, assert_fits_width, assert_page_ok, screenshot, sign_in

pytestmark = pytest.mark.browser


def _click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_batch_export_reconcile_and_roster_in_the_browser(open_page, world, settings, tmp_path):
    settings.DEMO_MODE = True  # the fund manager signs in without a TOTP device here (2FA is tested in accounts)
    tree = world.tree
    first, second, third = world.payments
    page = open_page()
    sign_in(page, world.fm)

    page.goto("/funds/batches/new/")
    assert_page_ok(page)
    assert page.locator("[data-testid=payable-payments] input[name=payments]:checked").count() == 3
    screenshot(page, "batches-new")
    page.fill("#id_note", "十一月生活救助代发")
    _click(page, "[data-testid=batch-create]")
    batch = PaymentBatch.objects.get()
    assert page.locator("[data-testid=batch-total]").inner_text() == "3,800.50"
    screenshot(page, "batches-detail-open")

    page.on("dialog", lambda dialog: dialog.accept())  # "send this batch to the bank?"
    _click(page, "[data-testid=batch-export]")
    assert_page_ok(page)
    password = page.locator("[data-testid=bank-file-password]").inner_text().strip()
    assert len(password) == 12
    screenshot(page, "batches-export")
    with page.expect_download() as download_info:
        page.click("[data-testid=bank-file-download]")
    saved = tmp_path / "bank.zip"
    download_info.value.save_as(saved)
    # Chromium reports a navigation that turned into a download as an aborted request: not a problem.
    page.problems[:] = [p for p in page.problems if "/export/?file=" not in p]
    with pyzipper.AESZipFile(io.BytesIO(saved.read_bytes())) as zipped:
        zipped.setpassword(password.encode())
        text = zipped.read(zipped.namelist()[0]).decode("utf-8-sig")
    assert "6222020200112233445" in text and "2500.50" in text
    batch.refresh_from_db()
    assert batch.state == PaymentBatch.State.EXPORTED
    assert balance(tree, Bucket.RESERVED) == 3800_50

    page.goto(f"/funds/batches/{batch.pk}/")
    _click(page, "[data-testid=batch-reconcile]")
    wrong = tmp_path / "结果-错误.csv"
    wrong.write_bytes(result_file([(first.pk, "3445", "1000.00", "成功", "", "", ""),
                                   (second.pk, "0123", "2500.00", "失败", "", "", ""),
                                   (first.pk, "3445", "1000.00", "成功", "", "", "")]))
    page.set_input_files("#id_file", str(wrong))
    _click(page, "[data-testid=result-upload]")
    assert page.locator("[data-testid=result-problems] li").count() == 3
    screenshot(page, "batches-reconcile-refused")
    assert balance(tree, Bucket.RESERVED) == 3800_50 and balance(tree, Bucket.PAID) == 0

    right = tmp_path / "结果.csv"
    right.write_bytes(result_file([(first.pk, "3445", "1000.00", "成功", "", "BK01", ""),
                                   (second.pk, "0123", "2500.50", "失败", "账户已冻结", "", ""),
                                   (third.pk, "4567", "300.00", "成功", "", "BK03", "")]))
    page.set_input_files("#id_file", str(right))
    _click(page, "[data-testid=result-upload]")
    assert page.locator(".alert-success").count() == 1
    batch.refresh_from_db()
    assert batch.state == PaymentBatch.State.RECONCILED
    assert [p.state for p in batch.disbursements.order_by("pk")] == [
        DisbursementState.PAID, DisbursementState.FAILED, DisbursementState.PAID]
    assert balance(tree, Bucket.PAID) == 1300_00 and balance(tree, Bucket.RESERVED) == 0
    assert balance(tree) == 20_000_00 - 1300_00 and ledger.verify() == []
    screenshot(page, "batches-detail-reconciled")

    page.goto(f"/funds/batches/{batch.pk}/roster/")
    assert "壹仟叁佰元整" in page.locator("[data-testid=roster-total-capital]").inner_text()
    screenshot(page, "batches-roster")
    page.emulate_media(media="print")
    screenshot(page, "batches-roster-print")
    page.emulate_media(media="screen")
    pdf = page.pdf(prefer_css_page_size=True)
    width, height = (float(n) for n in re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups())
    assert width > height and round(width / 72 * 25.4) == 297  # A4 landscape, as the print CSS asks

    page.goto("/funds/batches/")
    assert_page_ok(page)
    screenshot(page, "batches-list")
    phone = open_page(PHONE)
    sign_in(phone, world.fm)
    phone.goto("/funds/batches/")
    assert_fits_width(phone)
    screenshot(phone, "batches-list-phone")
