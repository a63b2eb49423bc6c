"""The funds API, money side: sources, budgets, allocations, balances, ledger transactions and reversals.

Every client signs in through POST /api/v1/auth/token/ (with a TOTP code for the roles that need two-factor),
as a real API user would. Refusals are 400 with the rule codes; nothing changes (counted before and after).
"""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from bangfu.accounts.roles import Role
from bangfu.funds import ledger
from bangfu.funds.models import LedgerEntry, LedgerTransaction
from bangfu.funds.tests.factories import YEAR, fund, source
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def token_client(user) -> APIClient:
    """An API client holding the token `user` obtains with their password (and TOTP code if their role needs it).
    Workers get no token from the endpoint (no SMS step in the API): their token is made directly, to test what
    the worker-scoped API answers."""
    if user.kind == "worker":
        from rest_framework.authtoken.models import Token

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}",
                           HTTP_ACCEPT_LANGUAGE="en")
        return client
    body = {"username": user.username, "password": PASSWORD}
    if user.requires_two_factor:
        device = TOTPDevice.objects.create(user=user, name="api-test", confirmed=True)
        body["otp_token"] = str(totp(device.bin_key, device.step, device.t0, device.digits, device.drift)).zfill(
            device.digits)
    client = APIClient()
    response = client.post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def available(org, category="living", code="central") -> int:
    return ledger.balance_of(org.pk, source(code).pk, YEAR, category)


def ledger_rows() -> tuple[int, int]:
    return LedgerTransaction.objects.count(), LedgerEntry.objects.count()


@pytest.fixture
def manager(city_fund_manager):
    return token_client(city_fund_manager)


def budget_body(org, amount="100000.00", **extra):
    return {"org": org.pk, "source": "central", "year": YEAR, "category": "living", "amount": amount,
            "document_ref": "穗工〔2026〕1号", **extra}


def test_budget_then_allocation_moves_money_and_balances_follow(tree, manager):
    response = manager.post("/api/v1/fund-budgets/", budget_body(tree.city), format="json")
    assert response.status_code == 201, response.json()
    budget = response.json()
    assert budget["amount"] == "100000.00" and budget["source"] == "central" and budget["org_name"] == tree.city.name
    response = manager.post("/api/v1/fund-allocations/", {
        "from_org": tree.city.pk, "to_org": tree.county.pk, "source": "central", "year": YEAR, "category": "living",
        "amount": "20000.50"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["to_org_name"] == tree.county.name and response.json()["amount"] == "20000.50"
    assert available(tree.city) == 79_999_50 and available(tree.county) == 20_000_50

    rows = manager.get("/api/v1/fund-balances/", {"bucket": "available", "year": YEAR}).json()["results"]
    assert {(r["org"], r["amount"]) for r in rows} == {(tree.city.pk, "79999.50"), (tree.county.pk, "20000.50")}
    received = manager.get("/api/v1/fund-balances/", {"org": tree.city.pk, "bucket": "source"}).json()["results"]
    assert [r["amount"] for r in received] == ["-100000.00"]

    transactions = manager.get("/api/v1/fund-transactions/", {"org": tree.city.pk}).json()["results"]
    assert [t["kind"] for t in transactions] == ["allocation", "budget"]
    allocation = transactions[0]
    assert sorted((e["org"], e["bucket"], e["amount"]) for e in allocation["entries"]) == sorted([
        (tree.city.pk, "available", "-20000.50"), (tree.county.pk, "available", "20000.50")])
    detail = manager.get(f"/api/v1/fund-transactions/{transactions[1]['id']}/").json()
    assert detail["memo"] == "穗工〔2026〕1号" and detail["reversed_by"] is None
    assert manager.get("/api/v1/fund-budgets/", {"org": tree.city.pk}).json()["count"] == 1
    assert manager.get("/api/v1/fund-allocations/", {"to_org": tree.county.pk}).json()["count"] == 1
    assert ledger.verify() == []


@pytest.mark.parametrize(("change", "field"), [
    ({"amount": "1.001"}, "amount"),
    ({"amount": "0"}, "amount"),
    ({"amount": "-1"}, "amount"),
    ({"amount": "abc"}, "amount"),
    ({"amount": "1e9999999"}, "amount"),
    ({"amount": "10000000000.00"}, "amount"),
    ({"category": "lottery"}, "category"),
    ({"source": "nowhere"}, "source"),
    ({"year": 1999}, "year"),
])
def test_bad_budget_input_is_a_field_error_and_writes_nothing(tree, manager, change, field):
    before = ledger_rows()
    response = manager.post("/api/v1/fund-budgets/", {**budget_body(tree.city), **change}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert ledger_rows() == before


def test_budget_for_a_union_outside_the_subtree_is_refused(tree, manager):
    before = ledger_rows()
    for org in (tree.province, tree.national):
        response = manager.post("/api/v1/fund-budgets/", budget_body(org), format="json")
        assert response.status_code == 400
        assert response.json()["fields"]["org"] == ["Choose a union of your own subtree."]
    assert ledger_rows() == before


def test_source_that_may_not_pay_the_category_is_refused_with_its_rule(tree, manager):
    before = ledger_rows()
    response = manager.post("/api/v1/fund-budgets/", budget_body(tree.city, category="legal") | {"source": "interest"},
                            format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "source_category" and [r["code"] for r in body["rules"]] == ["source_category"]
    assert body["rules"][0]["field"] == "source" and body["detail"] == body["rules"][0]["message"]
    assert "may not pay" in body["detail"]
    assert ledger_rows() == before


def test_allocation_above_what_the_parent_holds_or_to_a_grandchild_is_refused(tree, manager, city_fund_manager):
    fund(tree.city, 1000, city_fund_manager)
    before = ledger_rows()
    body = {"from_org": tree.city.pk, "to_org": tree.county.pk, "source": "central", "year": YEAR,
            "category": "living", "amount": "1000.01"}
    response = manager.post("/api/v1/fund-allocations/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "insufficient_funds"
    assert "1,000.00" in response.json()["detail"] and "1,000.01" in response.json()["detail"]
    response = manager.post("/api/v1/fund-allocations/", body | {"to_org": tree.grassroots.pk, "amount": "10.00"},
                            format="json")
    assert response.status_code == 400 and response.json()["code"] == "not_child"
    assert ledger_rows() == before and available(tree.city) == 1000_00


def test_roles_without_the_permission_cannot_record_money(tree, grassroots_cadre, county_reviewer):
    before = ledger_rows()
    for user in (grassroots_cadre, county_reviewer):
        client = token_client(user)
        assert client.post("/api/v1/fund-budgets/", budget_body(tree.grassroots), format="json").status_code == 403
        response = client.post("/api/v1/fund-allocations/", {
            "from_org": tree.county.pk, "to_org": tree.grassroots.pk, "source": "central", "year": YEAR,
            "category": "living", "amount": "1.00"}, format="json")
        assert response.status_code == 403
    assert ledger_rows() == before


def test_reversal_through_the_api(tree, manager, city_fund_manager, grassroots_cadre, outsider):
    budget = fund(tree.city, 5000, city_fund_manager)
    pk = budget.transaction_id
    # A case worker may read the ledger of their subtree, not correct it; the outsider sees nothing.
    assert token_client(grassroots_cadre).post(f"/api/v1/fund-transactions/{pk}/reverse/", {"reason": "x"},
                                               format="json").status_code == 404
    outside = token_client(outsider)
    assert outside.get(f"/api/v1/fund-transactions/{pk}/").status_code == 404
    assert outside.post(f"/api/v1/fund-transactions/{pk}/reverse/", {"reason": "x"}, format="json").status_code == 404
    assert manager.post(f"/api/v1/fund-transactions/{pk}/reverse/", {"reason": ""}, format="json").status_code == 400
    assert available(tree.city) == 5000_00

    response = manager.post(f"/api/v1/fund-transactions/{pk}/reverse/", {"reason": "文号错误"}, format="json")
    assert response.status_code == 201, response.json()
    correction = response.json()
    assert correction["kind"] == "reversal" and correction["reverses"] == pk and correction["reason"] == "文号错误"
    assert sorted(e["amount"] for e in correction["entries"]) == ["-5000.00", "5000.00"]
    assert available(tree.city) == 0
    assert manager.get(f"/api/v1/fund-transactions/{pk}/").json()["reversed_by"] == correction["id"]
    again = manager.post(f"/api/v1/fund-transactions/{pk}/reverse/", {"reason": "再次"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "already_reversed"
    assert ledger.verify() == []


def test_reversal_that_would_overdraw_is_refused(tree, manager, city_fund_manager):
    budget = fund(tree.city, 5000, city_fund_manager)
    manager.post("/api/v1/fund-allocations/", {"from_org": tree.city.pk, "to_org": tree.county.pk, "source": "central",
                                               "year": YEAR, "category": "living", "amount": "4000.00"}, format="json")
    before = ledger_rows()
    response = manager.post(f"/api/v1/fund-transactions/{budget.transaction_id}/reverse/", {"reason": "错"},
                            format="json")
    assert response.status_code == 400 and response.json()["code"] == "insufficient_funds"
    assert ledger_rows() == before and available(tree.city) == 1000_00


def test_other_unions_money_is_invisible(tree, city_fund_manager, outsider):
    county_manager = tree.user("fm-county", tree.county, Role.FUND_MANAGER)
    fund(tree.county, 3000, county_manager)
    grassroots_budget = fund(tree.grassroots, 700, tree.user("fm-grass", tree.grassroots, Role.FUND_MANAGER))
    client = token_client(outsider)
    assert client.get(f"/api/v1/fund-budgets/{grassroots_budget.pk}/").status_code == 404
    for url in ("/api/v1/fund-budgets/", "/api/v1/fund-balances/", "/api/v1/fund-transactions/",
                "/api/v1/fund-allocations/"):
        response = client.get(url)
        assert response.status_code == 200 and response.json()["count"] == 0, url
    # The grassroots union's own case worker sees its budget, not the county's.
    cadre = tree.user("cadre2", tree.grassroots, Role.CASE_WORKER)
    assert [b["id"] for b in token_client(cadre).get("/api/v1/fund-budgets/").json()["results"]] == [
        grassroots_budget.pk]


def test_allocations_are_seen_from_both_ends(tree, city_fund_manager):
    fund(tree.county, 3000, county := tree.user("fm-county", tree.county, Role.FUND_MANAGER))
    from bangfu.funds.tests.factories import give

    allocation = give(tree.county, tree.grassroots, 1000, county)
    cadre = tree.user("cadre2", tree.grassroots, Role.CASE_WORKER)
    client = token_client(cadre)
    assert [a["id"] for a in client.get("/api/v1/fund-allocations/").json()["results"]] == [allocation.pk]
    assert client.get(f"/api/v1/fund-allocations/{allocation.pk}/").status_code == 200
    # The ledger transaction of the allocation too (it moved the grassroots union's money), as on the pages;
    # but correcting it stays with the county that made it.
    fm = token_client(tree.user("fm-grass", tree.grassroots, Role.FUND_MANAGER))
    assert fm.get(f"/api/v1/fund-transactions/{allocation.transaction_id}/").status_code == 200
    assert fm.post(f"/api/v1/fund-transactions/{allocation.transaction_id}/reverse/",
                   {"reason": "x"}, format="json").status_code == 404


def test_fund_sources(tree, grassroots_cadre, worker_user):
    rows = token_client(grassroots_cadre).get("/api/v1/fund-sources/").json()["results"]
    interest = next(r for r in rows if r["code"] == "interest")
    assert interest["allowed_categories"] == ["living", "medical", "school"] and interest["kind"] == "interest"
    assert len(rows) == 5
    assert token_client(worker_user).get("/api/v1/fund-sources/").status_code == 200  # reference data


def test_list_queries_do_not_grow_with_rows(tree, manager, city_fund_manager, django_assert_max_num_queries):
    fund(tree.city, 100_000, city_fund_manager)
    for i in range(8):
        fund(tree.city, 10 + i, city_fund_manager, category="medical" if i % 2 else "living")
        manager.post("/api/v1/fund-allocations/", {"from_org": tree.city.pk, "to_org": tree.county.pk,
                                                   "source": "central", "year": YEAR, "category": "living",
                                                   "amount": "1.00"}, format="json")
    # url -> rows at least: 9 budgets, 8 allocations, 4 balances (city: source and available of two
    # categories; the county's available), 17 transactions.
    minimum = {"/api/v1/fund-budgets/": 9, "/api/v1/fund-allocations/": 8, "/api/v1/fund-balances/": 4,
               "/api/v1/fund-transactions/": 17}
    for url, rows in minimum.items():
        # session, token with user, roles, user's org, count, page (+ the entries for transactions)
        with django_assert_max_num_queries(7 if "transactions" in url else 6):
            response = manager.get(url)
        assert response.status_code == 200 and response.json()["count"] >= rows, url
