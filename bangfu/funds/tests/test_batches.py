"""Bank batches through HTTP, as a county fund manager acts: make a batch of approved payments, export the
encrypted bank file, read the bank's result file back (paid / failed), print the roster. Balances are checked
at each step; other people get 404 and no button."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass

import pytest
import pyzipper
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry
from bangfu.funds import ledger
from bangfu.funds.models import (
    BankResultImport,
    Bucket,
    Disbursement,
    DisbursementState,
    FundPolicy,
    PaymentBatch,
)
from bangfu.funds.services import FundsRefused
from bangfu.funds.services.batches import create_batch, export_batch, payable, remove_from_batch
from bangfu.funds.services.payments import cancel_payment
from bangfu.funds.tests.factories import (
    YEAR,
    approve_all,
    approvers,
    fund,
    give,
    pay,
    payable_household,
    set_line,
    source,
)

pytestmark = pytest.mark.django_db
S = DisbursementState

# (head's name, card, amount in yuan): three households of the grassroots union paid by the county.
PAYEES = [("张三", "6222020200112233445", "1000.00"), ("李四", "6222020200112230123", "2500.50"),
          ("欧阳明月", "6217000010001234567", "300.00")]


@dataclass
class World:
    tree: object
    people: dict
    fm: object  # the county's fund manager (decided the second approval step of each payment)
    payments: list

    def batch_of(self, *payments, note="") -> PaymentBatch:
        return create_batch(org=self.tree.county, payments=payments or self.payments, actor=self.fm, note=note)


def balance(tree, bucket=Bucket.AVAILABLE) -> int:
    return ledger.balance_of(tree.county.pk, source().pk, YEAR, "living", bucket)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids); the default language is Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def client_of(signed_in):
    """`client_of(user)`: a client signed in as `user` (2FA verified where needed) that reads English pages."""

    def _client(user):
        client = signed_in(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return _client


@pytest.fixture
def world(tree, city_fund_manager, grassroots_cadre) -> World:
    """20,000 yuan at the county (no public notice there), three approved payments (3,800.50 yuan reserved)."""
    set_line()
    fund(tree.city, 100_000, city_fund_manager)
    give(tree.city, tree.county, 20_000, city_fund_manager)
    FundPolicy.objects.create(org=tree.county, effective_from=dt.date(2020, 1, 1), notice_required=False)
    people = approvers(tree)
    payments = []
    for name, account, amount in PAYEES:
        household = payable_household(tree.grassroots, name=name, account=account)
        payments.append(approve_all(pay(tree.county, household, amount, grassroots_cadre), people))
    assert balance(tree) == 20_000_00 - 3800_50 and balance(tree, Bucket.RESERVED) == 3800_50
    return World(tree=tree, people=people, fm=people[Role.FUND_MANAGER], payments=payments)


def states(batch) -> list[str]:
    return list(batch.disbursements.order_by("pk").values_list("state", flat=True))


def export(client, batch) -> tuple[str, bytes]:
    """POST the export as a user would, then follow the one-time link: (password, zip bytes)."""
    response = client.post(reverse("funds:batch_export", args=[batch.pk]))
    assert response.status_code == 200, response.content[:300]
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    password = re.search(r'data-testid="bank-file-password">([^<]+)<', html)[1]
    link = re.search(r'href="([^"]+)" data-testid="bank-file-download"', html)[1].replace("&amp;", "&")
    download = client.get(link)
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    return password, b"".join(download.streaming_content)


def read_zip(content: bytes, password: str) -> list[list[str]]:
    with pyzipper.AESZipFile(io.BytesIO(content)) as zipped:
        zipped.setpassword(password.encode())
        (name,) = zipped.namelist()
        data = zipped.read(name)
    assert data.startswith("\ufeff".encode())  # UTF-8 with BOM
    return [line.split(",") for line in data.decode("utf-8-sig").strip().split("\r\n")]


def result_file(rows, header=("付款编号", "账号后四位", "金额", "结果", "失败原因", "银行流水号", "交易日期"),
                encoding="utf-8-sig") -> bytes:
    lines = [",".join(header)] + [",".join(str(cell) for cell in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(client, batch, data: bytes, name="result.csv"):
    return client.post(reverse("funds:batch_reconcile", args=[batch.pk]), {"file": SimpleUploadedFile(name, data)})


# --- the whole flow -------------------------------------------------------------------------------------


def test_batch_export_and_reconcile_with_one_failure(world, client_of):
    tree, fm = world.tree, world.fm
    client = client_of(fm)
    first, second, third = world.payments

    # 1. New batch: the county is the only paying union with payable payments; all three are ticked.
    page = client.get(reverse("funds:batch_new"))
    assert page.status_code == 200
    html = page.content.decode()
    assert all(f'name="payments" value="{p.pk}"' in html for p in world.payments)
    assert "张*" in html and "张三" not in html
    response = client.post(reverse("funds:batch_new"), {"org": tree.county.pk, "note": "三月代发",
                                                          "payments": [p.pk for p in world.payments]})
    batch = PaymentBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("funds:batch_detail", args=[batch.pk])
    assert batch.state == PaymentBatch.State.OPEN and batch.note == "三月代发"
    assert states(batch) == [S.APPROVED] * 3  # still approved until the file goes to the bank
    detail = client.get(response["Location"]).content.decode()
    assert 'data-testid="batch-export"' in detail and "3,800.50" in detail and "6222020200112233445" not in detail

    # 2. Export: an AES-encrypted ZIP, the password shown once, the link good for one download.
    password, content = export(client, batch)
    with pytest.raises(RuntimeError):
        zipfile.ZipFile(io.BytesIO(content)).read(zipfile.ZipFile(io.BytesIO(content)).namelist()[0])
    with pytest.raises(RuntimeError), pyzipper.AESZipFile(io.BytesIO(content)) as zipped:
        zipped.setpassword(b"wrong-password")
        zipped.read(zipped.namelist()[0])
    rows = read_zip(content, password)
    assert rows[0] == ["序号", "付款编号", "户名", "账号", "开户行", "金额", "用途", "批次号"]
    assert [r[2:4] for r in rows[1:]] == [[name, account] for name, account, _amount in PAYEES]
    assert [r[1] for r in rows[1:]] == [str(p.pk) for p in world.payments]
    assert [r[5] for r in rows[1:]] == ["1000.00", "2500.50", "300.00"]
    assert sum(int(r[5].replace(".", "")) for r in rows[1:]) == 3800_50
    assert rows[1][6].startswith("生活救助") and rows[1][7] == batch.number
    assert password not in str(AccessLogEntry.objects.values_list("detail", flat=True)[::1])
    batch.refresh_from_db()
    assert batch.state == PaymentBatch.State.EXPORTED and batch.export_count == 1 and batch.exported_by == fm
    assert batch.file_sha256 == hashlib.sha256(content).hexdigest()
    assert states(batch) == [S.IN_BATCH] * 3
    entry = AccessLogEntry.objects.get(action="export", object_id=str(batch.pk), user=fm,
                                       detail__what="bank_payment_file")
    assert entry.detail["count"] == 3 and entry.detail["sha256"] == batch.file_sha256
    assert entry.detail["total_fen"] == 3800_50
    again = client.get(reverse("funds:batch_export", args=[batch.pk]) + "?file=whatever-" + "x" * 24)
    assert again.status_code == 302  # no such file in this session
    with pytest.raises(FundsRefused):  # in the bank now: cannot be cancelled
        cancel_payment(first, fm, reason="太晚了")
    assert balance(tree) == 20_000_00 - 3800_50

    # 3. A partial result file: the first paid, the second failed with a reason.
    response = upload(client, batch, result_file([
        (first.pk, "3445", "1000.00", "成功", "", "BK0001", dt.date.today().isoformat()),
        (second.pk, "0123", "2500.50", "失败", "账户已销户", "", ""),
    ]))
    assert response.status_code == 302, response.content.decode()[-2000:]
    batch.refresh_from_db()
    assert batch.state == PaymentBatch.State.EXPORTED  # the third is still waiting
    assert states(batch) == [S.PAID, S.FAILED, S.IN_BATCH]
    assert balance(tree, Bucket.PAID) == 1000_00
    assert balance(tree) == 20_000_00 - 1000_00 - 300_00  # the failed 2,500.50 is back
    assert balance(tree, Bucket.RESERVED) == 300_00
    second.refresh_from_db()
    assert second.failure_reason == "账户已销户"
    assert Disbursement.objects.get(pk=first.pk).bank_reference == "BK0001"

    # 4. The rest; the batch is reconciled, reserved is 0, the ledger agrees with its caches.
    response = upload(client, batch, result_file([(third.pk, "4567", "300", "success", "", "BK0003", "")]),
                      name="result2.csv")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.state == PaymentBatch.State.RECONCILED and batch.reconciled_at is not None
    assert balance(tree, Bucket.PAID) == 1300_00 and balance(tree, Bucket.RESERVED) == 0
    assert balance(tree) == 20_000_00 - 1300_00
    assert ledger.verify() == []
    imports = list(BankResultImport.objects.filter(batch=batch).order_by("pk"))
    assert [(i.paid_count, i.failed_count, i.paid_fen, i.failed_fen) for i in imports] == [
        (1, 1, 1000_00, 2500_50), (1, 0, 300_00, 0)]
    detail = client.get(reverse("funds:batch_detail", args=[batch.pk])).content.decode()
    assert "账户已销户" in detail and 'data-testid="batch-export"' not in detail
    # A reconciled batch is never exported again.
    with pytest.raises(FundsRefused) as refused:
        export_batch(batch, actor=fm)
    assert refused.value.codes == ["batch_state"]


def test_download_link_works_once_and_only_in_the_exporting_session(world, client_of, tree):
    batch = world.batch_of()
    client = client_of(world.fm)
    response = client.post(reverse("funds:batch_export", args=[batch.pk]))
    link = re.search(r'href="([^"]+)" data-testid="bank-file-download"', response.content.decode())[1]
    other = client_of(tree.user("fm2", tree.county, Role.FUND_MANAGER))
    assert other.get(link).status_code == 302  # another person's session does not hold the token
    assert client.get(link).status_code == 200
    second = client.get(link)
    assert second.status_code == 302 and second["Location"] == reverse("funds:batch_detail", args=[batch.pk])


def test_reexport_sends_only_what_still_waits_for_the_bank(world, client_of):
    batch = world.batch_of()
    client = client_of(world.fm)
    password1, _content = export(client, batch)
    upload(client, batch, result_file([(world.payments[0].pk, "3445", "1000", "成功", "", "", "")]))
    password2, content = export(client, batch)
    assert password1 != password2
    rows = read_zip(content, password2)
    assert [r[1] for r in rows[1:]] == [str(p.pk) for p in world.payments[1:]]
    batch.refresh_from_db()
    assert batch.export_count == 2
    assert AccessLogEntry.objects.filter(action="export", object_id=str(batch.pk),
                                         detail__what="bank_payment_file").count() == 2


def test_a_payment_cancelled_in_an_open_batch_is_not_sent(world):
    batch = world.batch_of()
    cancel_payment(world.payments[1], world.fm, reason="重复申请")
    result = export_batch(batch, actor=world.fm)
    assert result.file.count == 2 and result.file.total_fen == 1300_00
    assert states(batch) == [S.IN_BATCH, S.CANCELLED, S.IN_BATCH]


def test_payments_in_public_notice_or_of_another_union_cannot_join(world, tree, grassroots_cadre, client_of):
    # A payment of the county approved under a notice rule waits until its notice is over.
    FundPolicy.objects.filter(org=tree.county).update(notice_required=True, notice_days=5)
    household = payable_household(tree.grassroots, name="王五", account="6222020200199990001")
    noticed = approve_all(pay(tree.county, household, 100, grassroots_cadre), world.people)
    assert noticed.notice_until > dt.date.today()
    assert noticed not in payable(tree.county)
    client = client_of(world.fm)
    page = client.get(reverse("funds:batch_new"), {"org": tree.county.pk}).content.decode()
    assert 'data-testid="in-notice"' in page and f'name="payments" value="{noticed.pk}"' not in page
    before = PaymentBatch.objects.count()
    response = client.post(reverse("funds:batch_new"), {"org": tree.county.pk, "payments": [noticed.pk]})
    assert response.status_code == 200 and f"#{noticed.pk}" in response.content.decode()
    assert PaymentBatch.objects.count() == before
    # An org outside the manager's subtree: 404, nothing made.
    assert client.post(reverse("funds:batch_new"), {"org": tree.sibling.pk + 1000}).status_code == 404
    assert client.get(reverse("funds:batch_new"), {"org": tree.other_grassroots.pk}).status_code == 404
    # Once the notice is over it can join.
    Disbursement.objects.filter(pk=noticed.pk).update(notice_until=dt.date.today() - dt.timedelta(days=1))
    response = client.post(reverse("funds:batch_new"), {"org": tree.county.pk, "payments": [noticed.pk]})
    assert response.status_code == 302


def test_take_a_payment_out_of_an_open_batch_only(world, client_of):
    batch = world.batch_of()
    client = client_of(world.fm)
    url = reverse("funds:batch_remove", args=[batch.pk])
    assert client.get(url).status_code == 405
    client.post(url, {"payment": world.payments[2].pk})
    assert list(batch.disbursements.values_list("pk", flat=True).order_by("pk")) == [p.pk for p in world.payments[:2]]
    assert Disbursement.objects.get(pk=world.payments[2].pk).state == S.APPROVED
    export_batch(batch, actor=world.fm)
    response = client.post(url, {"payment": world.payments[1].pk})
    assert response.status_code == 302
    assert Disbursement.objects.get(pk=world.payments[1].pk).batch_id == batch.pk
    with pytest.raises(FundsRefused) as refused:
        remove_from_batch(batch, world.payments[1].pk, actor=world.fm)
    assert refused.value.codes == ["batch_state"]
