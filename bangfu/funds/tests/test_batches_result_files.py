"""The bank's result file: malformed files are refused as a whole with row-numbered problems and change nothing;
real-world variants (XLSX with number cells, GB18030 CSV, a title row, full account numbers) are read."""
# ruff: noqa: F811 - the fixtures imported from test_batches are taken as test arguments

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from bangfu.audit.models import AccessLogEntry, Job
from bangfu.funds import ledger
from bangfu.funds.models import (
    Balance,
    BankResultImport,
    Bucket,
    Disbursement,
    DisbursementState,
    LedgerEntry,
    PaymentBatch,
)
from bangfu.funds.services import FundsRefused
from bangfu.funds.services.batches import export_batch, reconcile_batch
from bangfu.funds.tests.test_batches import (  # noqa: F401 - fixtures
    _english,
    balance,
    client_of,
    result_file,
    upload,
    world,
)

pytestmark = pytest.mark.django_db
S = DisbursementState
TODAY = dt.date.today().isoformat()


@pytest.fixture
def sent(world):
    """The three payments of `world` in one batch, exported (in the bank)."""
    batch = world.batch_of()
    export_batch(batch, actor=world.fm)
    batch.refresh_from_db()
    return world, batch


def snapshot(batch) -> tuple:
    """Everything a refused result file must leave as it was."""
    return (
        PaymentBatch.objects.filter(pk=batch.pk).values_list("state", "reconciled_at").get(),
        list(Disbursement.objects.order_by("pk").values_list("pk", "state", "paid_on", "bank_reference",
                                                            "failure_reason")),
        sorted(Balance.objects.values_list("id", "amount_fen")),
        LedgerEntry.objects.count(),
        BankResultImport.objects.count(),
    )


def good_rows(w):
    first, second, third = w.payments
    return [(first.pk, "3445", "1000.00", "成功", "", "BK1", TODAY),
            (second.pk, "0123", "2500.50", "失败", "户名不符", "", ""),
            (third.pk, "4567", "300.00", "成功", "", "BK3", TODAY)]


def _bad(w, change):
    rows = [list(r) for r in good_rows(w)]
    change(rows)
    return result_file(rows)


EXE = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
       + b"This program cannot be run in DOS mode")

# name -> (file builder given the world, file name, a fragment every refusal must show)
MALFORMED = {
    "wrong header": (lambda w: result_file(good_rows(w), header=("编号", "户名", "钱", "状态")), "result.csv",
                     "Row 1"),
    "no header at all": (lambda w: result_file(good_rows(w), header=("a", "b", "c", "d", "e", "f", "g")),
                         "result.csv", "付款编号"),
    "unknown payment": (lambda w: _bad(w, lambda r: r[2].__setitem__(0, 999999)), "result.csv",
                        "Row 4: payment #999999 is not in batch"),
    "amount mismatch": (lambda w: _bad(w, lambda r: r[1].__setitem__(2, "2500.49")), "result.csv",
                        "Row 3: the amount 2,500.49 yuan differs"),
    "duplicate row": (lambda w: _bad(w, lambda r: r.append(list(r[0]))), "result.csv",
                      "Row 5: payment #{first} appears twice (also in row 2)"),
    "bad result value": (lambda w: _bad(w, lambda r: r[0].__setitem__(3, "待定")), "result.csv",
                         "Row 2: the result “待定” is unknown"),
    "failure without reason": (lambda w: _bad(w, lambda r: r[1].__setitem__(4, "")), "result.csv",
                               "Row 3: a failed payment needs its reason"),
    "other account": (lambda w: _bad(w, lambda r: r[0].__setitem__(1, "9999")), "result.csv",
                      "Row 2: the account ends in 9999"),
    "date in the future": (lambda w: _bad(w, lambda r: r[0].__setitem__(6, "2999-01-01")), "result.csv",
                           "Row 2: the date 2999-01-01 is in the future"),
    "date before the batch": (lambda w: _bad(w, lambda r: r[0].__setitem__(6, "2000-01-01")), "result.csv",
                              "Row 2: the date 2000-01-01 is before the batch was made"),
    "not a number": (lambda w: _bad(w, lambda r: r[2].__setitem__(0, "abc")), "result.csv",
                     "Row 4: the payment number “abc” is not a number"),
    "exe renamed .csv": (lambda w: EXE, "result.csv", "not a CSV or XLSX"),
    "empty": (lambda w: b"", "result.csv", "The file is empty"),
    "header only": (lambda w: result_file([]), "result.csv", "no result rows"),
    "pdf": (lambda w: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "result.csv", "not a CSV or XLSX"),
    "too large": (lambda w: result_file(good_rows(w)) + b" " * (5 * 1024 * 1024), "result.csv", "5 MB"),
    "text named .txt": (lambda w: result_file(good_rows(w)), "result.txt", "Only CSV and XLSX"),
    "zip, not a workbook": (lambda w: _zip_of(result_file(good_rows(w))), "result.xlsx", "ZIP archive"),
}


def _zip_of(data: bytes) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("result.csv", data)
    return buffer.getvalue()


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_result_file_is_refused_whole_and_changes_nothing(sent, client_of, case):
    w, batch = sent
    build, name, expected = MALFORMED[case]
    expected = expected.format(first=w.payments[0].pk)
    client = client_of(w.fm)
    before = snapshot(batch)
    response = upload(client, batch, build(w), name=name)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="result-problems"' in html, case
    assert expected in html, (case, html[html.find("result-problems"):][:1500])
    assert snapshot(batch) == before
    assert ledger.verify() == []
    refusal = AccessLogEntry.objects.get(action="fund_batch_reconcile", object_id=str(batch.pk))
    assert refusal.result == "denied" and refusal.detail["problems"] >= 1


def test_every_problem_is_listed_with_its_row(sent):
    w, batch = sent
    rows = [list(r) for r in good_rows(w)]
    rows[0][2] = "999"
    rows[1][3] = "maybe"
    rows[2][0] = 424242
    with pytest.raises(FundsRefused) as refused:
        reconcile_batch(batch, data=result_file(rows), name="r.csv", actor=w.fm)
    messages = [b.message for b in refused.value.breaches]
    assert [m.split(":")[0] for m in messages] == ["Row 2", "Row 3", "Row 4"]
    assert Disbursement.objects.filter(batch=batch, state=S.IN_BATCH).count() == 3


def test_one_good_row_is_not_settled_when_another_is_bad(sent):
    w, batch = sent
    rows = [list(r) for r in good_rows(w)]
    rows[2][2] = "300.01"
    before = snapshot(batch)
    with pytest.raises(FundsRefused):
        reconcile_batch(batch, data=result_file(rows), name="r.csv", actor=w.fm)
    assert snapshot(batch) == before
    assert not Job.objects.filter(kind="fund_batch_reconcile").exists()


def test_the_same_file_twice_is_refused(sent):
    w, batch = sent
    data = result_file(good_rows(w)[:1])
    reconcile_batch(batch, data=data, name="r.csv", actor=w.fm)
    with pytest.raises(FundsRefused) as refused:
        reconcile_batch(batch, data=data, name="r.csv", actor=w.fm)
    assert refused.value.codes == ["same_file"]
    # The same rows in another file: the row says the payment was settled already.
    with pytest.raises(FundsRefused) as refused:
        reconcile_batch(batch, data=data + b"\r\n", name="r2.csv", actor=w.fm)
    assert "already has its bank result" in refused.value.breaches[0].message


def test_an_open_batch_takes_no_result_file(world):
    batch = world.batch_of()
    with pytest.raises(FundsRefused) as refused:
        reconcile_batch(batch, data=result_file(good_rows(world)), name="r.csv", actor=world.fm)
    assert refused.value.codes == ["batch_state"]
    assert Disbursement.objects.filter(state=S.APPROVED).count() == 3


def test_xlsx_with_a_title_row_number_cells_and_full_accounts(sent, client_of):
    w, batch = sent
    first, second, third = w.payments
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["某某银行代发工资结果"])
    sheet.append(["付款编号", "账号", "金额(元)", "交易结果", "失败原因", "银行流水号", "交易日期"])
    sheet.append([first.pk, "6222020200112233445", 1000, "交易成功", None, "X1", dt.date.today()])
    sheet.append([second.pk, "6222 0202 0011 2230 123", 2500.5, "失败", "卡已冻结", None, None])
    sheet.append([float(third.pk), "6217000010001234567", 300.0, "success", None, None, dt.datetime.now()])
    sheet.append([None, None, None, None])  # a trailing empty row
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client_of(w.fm), batch, buffer.getvalue(), name="结果.xlsx")
    assert response.status_code == 302, response.content.decode()[-1500:]
    batch.refresh_from_db()
    assert batch.state == PaymentBatch.State.RECONCILED
    assert balance(w.tree, Bucket.PAID) == 1300_00 and balance(w.tree, Bucket.RESERVED) == 0
    assert Disbursement.objects.get(pk=second.pk).failure_reason == "卡已冻结"
    assert ledger.verify() == []


def test_gb18030_csv_and_a_last4_cell_that_lost_its_leading_zero(sent):
    w, batch = sent
    first, second = w.payments[:2]
    today = dt.date.today()
    day = f"{today.year}/{today.month}/{today.day}"
    data = result_file([(second.pk, "0123", "2500.50元", "失败", "账户异常", "", day)], encoding="gb18030")
    imported = reconcile_batch(batch, data=data, name="结果.CSV", actor=w.fm)
    assert (imported.failed_count, imported.failed_fen) == (1, 2500_50)
    assert Disbursement.objects.get(pk=second.pk).failure_reason == "账户异常"
    # A workbook whose last-4 cell is a number (Excel turns "0123" into 123) still matches the card.
    Disbursement.objects.filter(pk=first.pk).update(payee_account_last4="0445")
    workbook = Workbook()
    workbook.active.append(["付款编号", "账号后四位", "金额", "结果"])
    workbook.active.append([first.pk, 445, 1000, "成功"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    reconcile_batch(batch, data=buffer.getvalue(), name="r.xlsx", actor=w.fm)
    assert Disbursement.objects.get(pk=first.pk).state == S.PAID


def test_reconcile_page_is_for_fund_managers_of_the_batch(sent, client_of, tree):
    w, batch = sent
    page = client_of(w.fm).get(reverse("funds:batch_reconcile", args=[batch.pk]))
    assert page.status_code == 200 and 'data-testid="result-form"' in page.content.decode()
    from bangfu.accounts.roles import Role

    reviewer = tree.user("rev2", tree.county, Role.REVIEWER)
    assert client_of(reviewer).get(reverse("funds:batch_reconcile", args=[batch.pk])).status_code == 404
