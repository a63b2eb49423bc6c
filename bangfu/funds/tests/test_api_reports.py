"""The funds API end to end: a bank batch exported as the encrypted file and reconciled with one failure, then
the three reports, each figure computed by hand from the scenario's amounts; scoping and permissions."""

from __future__ import annotations

import base64
import io

import pytest
import pyzipper
from django.core.files.uploadedfile import SimpleUploadedFile

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry
from bangfu.funds import ledger
from bangfu.funds.models import Bucket, Disbursement, DisbursementState, LedgerEntry, PaymentBatch
from bangfu.funds.tests.factories import YEAR, approve_all, approvers, fund, give, pay, payable_household, set_line
from bangfu.funds.tests.factories import source as fund_source
from bangfu.funds.tests.test_api_money import token_client

pytestmark = pytest.mark.django_db
ACCOUNT_A, ACCOUNT_B = "6222020200112233445", "6222020200198761234"
HEADER = ("付款编号", "账号后四位", "金额", "结果", "失败原因", "银行流水号", "交易日期")


def result_file(rows) -> bytes:
    lines = [",".join(HEADER)] + [",".join(str(cell) for cell in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def available(org, bucket=Bucket.AVAILABLE) -> int:
    return ledger.balance_of(org.pk, fund_source().pk, YEAR, "living", bucket)


@pytest.fixture
def scenario(tree, city_fund_manager, grassroots_cadre):
    """City budget 100,000; 20,000 to the county; the county approves 3,000.00 to A and 1,000.50 to B,
    both in one batch (public notice over)."""
    set_line()
    fund(tree.city, 100_000, city_fund_manager)
    give(tree.city, tree.county, 20_000, city_fund_manager)
    people = approvers(tree)
    a = payable_household(tree.grassroots, name="王大", account=ACCOUNT_A)
    b = payable_household(tree.grassroots, name="李二", account=ACCOUNT_B)
    payments = [approve_all(pay(tree.county, a, 3000, grassroots_cadre), people),
                approve_all(pay(tree.county, b, "1000.50", grassroots_cadre), people)]
    Disbursement.objects.filter(pk__in=[p.pk for p in payments]).update(notice_until=None)
    from bangfu.funds.services.batches import create_batch

    batch = create_batch(org=tree.county, payments=payments, actor=people[Role.FUND_MANAGER])
    return {"people": people, "a": a, "b": b, "payments": payments, "batch": batch}


def test_export_then_reconcile_with_one_failure(tree, scenario, outsider):
    batch, (first, second) = scenario["batch"], scenario["payments"]
    people = scenario["people"]
    url = f"/api/v1/payment-batches/{batch.pk}/export/"
    # The full-account file is for fund managers of the paying union only.
    for user in (people[Role.REVIEWER], tree.user("cw-county", tree.county, Role.CASE_WORKER),
                 tree.user("fm-sibling", tree.sibling, Role.FUND_MANAGER), outsider):
        assert token_client(user).post(url).status_code == 404
    assert PaymentBatch.objects.get(pk=batch.pk).state == PaymentBatch.State.OPEN

    manager = token_client(people[Role.FUND_MANAGER])
    response = manager.post(url)
    assert response.status_code == 200, response.json()
    assert response["Cache-Control"] == "private, no-store"
    body = response.json()
    assert body["first"] is True and body["count"] == 2 and body["total"] == "4000.50"
    content = base64.b64decode(body["content_base64"])
    with pyzipper.AESZipFile(io.BytesIO(content)) as zipped:
        name = zipped.namelist()[0]
        with pytest.raises(RuntimeError):
            zipped.read(name)  # encrypted: no password, no content
        zipped.setpassword(body["password"].encode())
        clear = zipped.read(name).decode("utf-8-sig")
    assert ACCOUNT_A in clear and ACCOUNT_B in clear and "1000.50" in clear
    assert AccessLogEntry.objects.filter(action="export", object_id=str(batch.pk)).count() == 2  # service + API
    assert set(Disbursement.objects.values_list("state", flat=True)) == {DisbursementState.IN_BATCH}

    upload = token_client(tree.user("cw2-county", tree.county, Role.CASE_WORKER))
    bad = result_file([(first.pk, "3445", "3000.00", "成功", "", "BK1", ""), (second.pk, "9999", "1000.50", "失败",
                                                                            "户名不符", "", "")])
    response = upload.post(f"/api/v1/payment-batches/{batch.pk}/reconcile/",
                           {"file": SimpleUploadedFile("r.csv", bad)}, format="multipart")
    assert response.status_code == 404  # a case worker does not reconcile
    entries = LedgerEntry.objects.count()
    response = manager.post(f"/api/v1/payment-batches/{batch.pk}/reconcile/",
                            {"file": SimpleUploadedFile("r.csv", bad)}, format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "result_file"  # last four digits differ
    assert LedgerEntry.objects.count() == entries and available(tree.county, Bucket.RESERVED) == 4000_50

    good = result_file([(first.pk, "3445", "3000.00", "成功", "", "BK1", ""), (second.pk, "1234", "1000.50", "失败",
                                                                             "户名不符", "", "")])
    response = manager.post(f"/api/v1/payment-batches/{batch.pk}/reconcile/",
                            {"file": SimpleUploadedFile("r.csv", good)}, format="multipart")
    assert response.status_code == 201, response.json()
    assert (response.json()["paid"], response.json()["failed"], response.json()["batch_state"]) == (
        "3000.00", "1000.50", "reconciled")
    assert available(tree.county) == 20_000_00 - 3000_00
    assert available(tree.county, Bucket.PAID) == 3000_00 and available(tree.county, Bucket.RESERVED) == 0
    again = manager.post(url)
    assert again.status_code == 400 and again.json()["code"] == "batch_state"
    assert ledger.verify() == []


def _settle(scenario):
    """Export and reconcile through the services: A paid, B failed."""
    from bangfu.funds.services.batches import export_batch, reconcile_batch

    manager = scenario["people"][Role.FUND_MANAGER]
    export_batch(scenario["batch"], actor=manager)
    first, second = scenario["payments"]
    rows = [(first.pk, "3445", "3000.00", "成功", "", "BK1", ""),
            (second.pk, "1234", "1000.50", "失败", "户名不符", "", "")]
    reconcile_batch(scenario["batch"], actor=manager, name="r.csv", data=result_file(rows))


def test_usage_report(tree, scenario, city_fund_manager):
    _settle(scenario)
    client = token_client(city_fund_manager)
    response = client.get("/api/v1/fund-reports/usage/", {"year": YEAR})
    assert response.status_code == 200, response.json()
    report = response.json()
    assert report["org"] == tree.city.pk and (report["month_from"], report["month_to"]) == (1, 12)
    own = report["own"]["figures"]
    assert (own["budget"], own["alloc_out"], own["available_end"]) == ("100000.00", "20000.00", "80000.00")
    (county,) = report["children"]
    assert county["org"] == tree.county.pk and county["label"] == tree.county.name
    figures = county["figures"]
    assert (figures["alloc_in"], figures["approved"], figures["paid"], figures["returned"]) == (
        "20000.00", "4000.50", "3000.00", "1000.50")
    assert (figures["reserved_end"], figures["available_end"]) == ("0.00", "17000.00")
    total = report["total"]["figures"]
    assert (total["budget"], total["paid"], total["available_end"]) == ("100000.00", "3000.00", "97000.00")
    assert all(row["balances"] for row in [report["own"], county, report["total"]])
    assert [r["label"] for r in report["by_category"]] and report["by_source"][0]["figures"]["paid"] == "3000.00"
    # Filters: another category has nothing; a bad month range or source is a 400.
    empty = client.get("/api/v1/fund-reports/usage/", {"year": YEAR, "category": "medical"}).json()
    assert empty["total"]["figures"]["paid"] == "0.00" and empty["children"] == []
    assert client.get("/api/v1/fund-reports/usage/", {"month_from": 5, "month_to": 3}).status_code == 400
    assert client.get("/api/v1/fund-reports/usage/", {"source": "nowhere"}).status_code == 400


def test_households_report_masked_and_audited(tree, scenario, city_fund_manager):
    _settle(scenario)
    client = token_client(tree.user("cw-county", tree.county, Role.CASE_WORKER))
    response = client.get("/api/v1/fund-reports/households/", {"year": YEAR})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == 1 and body["summary"]["total"] == "3000.00" and body["summary"]["households"] == 1
    (row,) = body["results"]
    assert row["household"] == scenario["a"].pk and row["head_name_masked"] == "王*"
    assert row["total"] == "3000.00" and row["categories"]["living"] == "3000.00" and row["payments"] == 1
    assert "王大" not in response.content.decode()
    assert AccessLogEntry.objects.filter(action="view", object_type="funds.report_households").exists()


def test_account_report_with_running_balances(tree, scenario):
    _settle(scenario)
    client = token_client(scenario["people"][Role.FUND_MANAGER])
    response = client.get("/api/v1/fund-reports/account/", {"org": tree.county.pk, "year": YEAR})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["reconciled"] is True and body["problems"] == []
    (line,) = body["lines"]
    assert line["source"] == "central" and line["category"] == "living" and line["balances"]
    f = line["figures"]
    assert (f["alloc_in"], f["reserved"], f["paid"], f["failed"]) == ("20000.00", "4000.50", "3000.00", "1000.50")
    assert (f["closing_available"], f["closing_reserved"]) == ("17000.00", "0.00")
    rows = body["results"]
    # allocation in, two approvals, paid, failed back: five transactions
    assert body["count"] == 5 and [r["kind"] for r in rows][0] == "allocation"
    assert rows[0]["counterpart"] == tree.city.name and rows[0]["available_balance"] == "20000.00"
    assert rows[-1]["available_balance"] == "17000.00" and rows[-1]["reserved_balance"] == "0.00"
    # A later page starts from the balance carried into it.
    page = client.get("/api/v1/fund-reports/account/", {"org": tree.county.pk, "limit": 2, "offset": 1}).json()
    assert [r["transaction"] for r in page["results"]] == [r["transaction"] for r in rows[1:3]]
    assert [r["available_balance"] for r in page["results"]] == [r["available_balance"] for r in rows[1:3]]
    assert page["next"] and page["previous"] is not None


def test_reports_are_scoped(tree, scenario, outsider, worker_user, grassroots_cadre):
    client = token_client(outsider)
    for report in ("usage", "households", "account"):
        url = f"/api/v1/fund-reports/{report}/"
        assert client.get(url, {"org": tree.county.pk}).status_code == 404  # above the outsider's union
        assert client.get(url, {"org": tree.grassroots.pk}).status_code == 404  # the sibling union
        own = client.get(url)
        assert own.status_code == 200 and own.json()["org"] == tree.sibling.pk
        assert token_client(worker_user).get(url).status_code == 403
    # The grassroots case worker reads their own union's figures: the county's payments to its households.
    _settle(scenario)
    cadre = token_client(grassroots_cadre)
    assert cadre.get("/api/v1/fund-reports/households/").json()["count"] == 1
    assert cadre.get("/api/v1/fund-reports/usage/", {"org": tree.county.pk}).status_code == 404


def test_report_queries_are_bounded(tree, scenario, city_fund_manager, django_assert_max_num_queries):
    _settle(scenario)
    client = token_client(city_fund_manager)
    with django_assert_max_num_queries(10):
        assert client.get("/api/v1/fund-reports/usage/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/api/v1/fund-reports/households/", {"org": tree.county.pk}).status_code == 200
    with django_assert_max_num_queries(16):  # summary, reconciliation (4), count, page, sources, audit
        assert client.get("/api/v1/fund-reports/account/", {"org": tree.county.pk}).status_code == 200
