"""The funds overview, the budgets page and the budget / allocation forms, through HTTP as people use them."""

from __future__ import annotations

import re

import pytest

from bangfu.accounts.roles import Role
from bangfu.funds import ledger
from bangfu.funds.models import Allocation, Budget, DisbursementState, LedgerEntry, LedgerTransaction
from bangfu.funds.services.budgets import reverse_transaction
from bangfu.funds.tests.factories import YEAR, approve_all, approvers, fund, give, pay, payable_household, set_line
from bangfu.funds.tests.factories import source as fund_source

HOME, BUDGETS = "/funds/", "/funds/budgets/"
BUDGET_NEW, ALLOCATION_NEW = "/funds/budgets/new/", "/funds/allocations/new/"


def available(org, category="living", code="central", year=YEAR):
    return ledger.balance_of(org.pk, fund_source(code).pk, year, category)


def ledger_rows() -> tuple[int, int, int]:
    records = Budget.objects.count() + Allocation.objects.count()
    return LedgerTransaction.objects.count(), LedgerEntry.objects.count(), records


def budget_post(org, amount="100000", **extra):
    return {"org": org.pk, "source": fund_source(extra.pop("code", "central")).pk, "category": "living", "year": YEAR,
            "amount": amount, "document_ref": "粤工财〔2026〕8号", "received_on": f"{YEAR}-01-15", "note": "", **extra}


def allocation_post(from_org, to_org, amount="20000", **extra):
    return {"from": from_org.pk, "to_org": to_org.pk, "source": fund_source(extra.pop("code", "central")).pk,
            "category": "living", "year": YEAR, "amount": amount, "document_ref": "", "note": "", **extra}


def errors(response) -> str:
    """The text of the error messages on a form page."""
    html = response.content.decode()
    return " ".join(re.findall(r'<div class="invalid-feedback d-block"[^>]*>(.*?)</div>', html)
                    + re.findall(r'data-testid="form-errors">(.*?)</div>\s*</div>', html, re.S))



@pytest.fixture
def signed_in(signed_in, settings):
    """The conftest `signed_in`, reading pages in English (messages are asserted by their English text)."""

    def _english(user):
        client = signed_in(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return _english

# --- the fund manager's path: record, allocate, see -----------------------------------------------------------


def test_city_fund_manager_records_a_budget_and_allocates_to_the_county(tree, signed_in, city_fund_manager):
    client = signed_in(city_fund_manager)
    form = client.get(BUDGET_NEW)
    assert form.status_code == 200
    # The union select offers the manager's own subtree, not another city's or province's unions.
    html = form.content.decode()
    assert tree.county.name in html and tree.other_grassroots.name not in html and tree.province.name not in html

    response = client.post(BUDGET_NEW, budget_post(tree.city, "100,000.00"))
    assert response.status_code == 302, errors(response)
    assert response["Location"] == f"{BUDGETS}?org={tree.city.pk}&year={YEAR}"
    budget = Budget.objects.get()
    assert (budget.org, budget.amount_fen, budget.document_ref, budget.created_by) == (
        tree.city, 100_000_00, "粤工财〔2026〕8号", city_fund_manager)
    assert str(budget.received_on) == f"{YEAR}-01-15"
    assert available(tree.city) == 100_000_00

    page = client.get(ALLOCATION_NEW)
    assert page.status_code == 200
    html = page.content.decode()
    assert tree.county.name in html and "100,000.00" in html  # the child to choose and what the city holds
    response = client.post(ALLOCATION_NEW, allocation_post(tree.city, tree.county, "20000"))
    assert response.status_code == 302, errors(response)
    allocation = Allocation.objects.get()
    assert (allocation.from_org, allocation.to_org, allocation.amount_fen) == (tree.city, tree.county, 20_000_00)
    assert available(tree.city) == 80_000_00 and available(tree.county) == 20_000_00

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    # Balances of the city: received 100,000, allocated down 20,000, available 80,000; the county holds 20,000.
    assert re.search(r'data-testid="total-available">80,000.00<', html)
    assert "100,000.00" in html and "20,000.00" in html and tree.county.name in html
    assert ledger.verify() == []


def test_balances_table_adds_up_with_payments(tree, signed_in, city_fund_manager, grassroots_cadre):
    set_line()
    fund(tree.city, 50_000, city_fund_manager)
    give(tree.city, tree.county, 10_000, city_fund_manager)
    payment = approve_all(pay(tree.county, payable_household(tree.grassroots), 3000, grassroots_cadre), approvers(tree))
    assert payment.state == DisbursementState.APPROVED
    client = signed_in(city_fund_manager)
    html = client.get(BUDGETS, {"org": tree.county.pk, "year": YEAR}).content.decode()
    # County: allocated to it 10,000 = available 7,000 + reserved 3,000.
    row = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    cells = re.findall(r'class="money[^"]*">([^<]*)<', row)
    assert cells == ["0.00", "10,000.00", "0.00", "7,000.00", "3,000.00", "0.00"]
    # The city's page lists the county among its lower unions with its branch's money.
    html = client.get(BUDGETS, {"year": YEAR}).content.decode()
    children = re.search(r'data-testid="children".*?</section>', html, re.S).group(0)
    assert tree.county.name in children and "7,000.00" in children and "3,000.00" in children


def test_home_shows_money_by_source_and_what_waits(tree, signed_in, city_fund_manager, grassroots_cadre,
                                                   county_reviewer):
    set_line()
    fund(tree.city, 50_000, city_fund_manager)
    give(tree.city, tree.county, 10_000, city_fund_manager)
    household = payable_household(tree.grassroots)
    pay(tree.county, household, 1000, grassroots_cadre)  # waits for a reviewer (step 1)
    html = signed_in(county_reviewer).get(HOME).content.decode()
    assert re.search(r'data-testid="count-awaiting">1<', html)
    assert "中央财政专项帮扶资金" in html  # the county's source row (own 10,000 available)
    assert "10,000.00" in html
    # The fund manager decides step 2 only: nothing waits for them yet.
    html = signed_in(city_fund_manager).get(HOME).content.decode()
    assert re.search(r'data-testid="count-awaiting">0<', html)
    assert "40,000.00" in html and "50,000.00" in html  # own available; with lower unions
    # The creator never waits on their own payment, even holding the role.
    html = signed_in(grassroots_cadre).get(HOME).content.decode()
    assert 'data-testid="count-awaiting"' not in html  # a case worker decides no step
    assert 'data-testid="count-failed">0<' in html


def test_awaiting_decision_follows_the_step_of_the_route(tree, signed_in, city_fund_manager, grassroots_cadre,
                                                         county_reviewer):
    from bangfu.funds.services.payments import approve_payment

    set_line()
    fund(tree.county, 50_000, city_fund_manager)
    payment = pay(tree.county, payable_household(tree.grassroots), 1000, grassroots_cadre)
    reviewer, manager = signed_in(county_reviewer), signed_in(city_fund_manager)

    def awaiting(client) -> str:
        return re.search(r'data-testid="count-awaiting">(\d+)<', client.get(HOME).content.decode()).group(1)

    assert (awaiting(reviewer), awaiting(manager)) == ("1", "0")
    approve_payment(payment, county_reviewer)
    assert (awaiting(reviewer), awaiting(manager)) == ("0", "1")


# --- refusals: nothing written ---------------------------------------------------------------------------------


@pytest.mark.parametrize("amount,message", [
    ("1.001", "at most two decimals"), ("abc", "at most two decimals"), ("0", "more than zero"),
    ("-1", "more than zero"), ("", "This field is required"), ("9" * 20, "too large"),
])
def test_bad_amounts_are_refused_and_change_nothing(tree, signed_in, city_fund_manager, amount, message):
    fund(tree.city, 1000, city_fund_manager)
    client = signed_in(city_fund_manager)
    before = ledger_rows()
    for url, data in ((BUDGET_NEW, budget_post(tree.city, amount)),
                      (ALLOCATION_NEW, allocation_post(tree.city, tree.county, amount))):
        response = client.post(url, data)
        assert response.status_code == 200
        assert message in errors(response), (url, errors(response))
    assert ledger_rows() == before
    assert available(tree.city) == 1000_00


def test_allocation_above_what_the_parent_holds_is_refused_with_the_figures(tree, signed_in, city_fund_manager):
    fund(tree.city, 1000, city_fund_manager)
    client = signed_in(city_fund_manager)
    before = ledger_rows()
    response = client.post(ALLOCATION_NEW, allocation_post(tree.city, tree.county, "1000.01"))
    assert response.status_code == 200
    message = errors(response)
    assert "广州市总工会" in message and "1,000.00" in message and "1,000.01" in message
    assert ledger_rows() == before and available(tree.county) == 0


def test_allocation_to_a_grandchild_is_refused(tree, signed_in, city_fund_manager):
    fund(tree.city, 1000, city_fund_manager)
    client = signed_in(city_fund_manager)
    page = client.get(ALLOCATION_NEW).content.decode()
    assert tree.grassroots.name not in page  # only the children are offered
    before = ledger_rows()
    response = client.post(ALLOCATION_NEW, allocation_post(tree.city, tree.grassroots, "10"))
    assert response.status_code == 200
    assert "is not a direct child of 广州市总工会" in errors(response)
    assert ledger_rows() == before


def test_source_not_allowed_for_the_category_is_refused(tree, signed_in, city_fund_manager):
    fund(tree.city, 1000, city_fund_manager, code="interest")
    client = signed_in(city_fund_manager)
    before = ledger_rows()
    # The interest of the special account may pay living, medical and school aid only.
    response = client.post(BUDGET_NEW, budget_post(tree.city, "10", code="interest", category="festive"))
    assert response.status_code == 200 and "专户利息" in errors(response)
    response = client.post(ALLOCATION_NEW, allocation_post(tree.city, tree.county, "10", code="interest",
                                                           category="festive"))
    assert response.status_code == 200 and "专户利息" in errors(response)
    assert ledger_rows() == before


def test_unions_outside_the_scope_are_refused(tree, signed_in, city_fund_manager):
    fund(tree.city, 1000, city_fund_manager)
    client = signed_in(city_fund_manager)
    before = ledger_rows()
    response = client.post(BUDGET_NEW, budget_post(tree.other_grassroots, "10"))
    assert response.status_code == 200 and "org" in response.context["form"].errors
    # Allocating from a union outside the scope (the province above, another province) is a 404.
    for outside in (tree.province, tree.other_province):
        assert client.get(ALLOCATION_NEW, {"from": outside.pk}).status_code == 404
        assert client.post(ALLOCATION_NEW, allocation_post(outside, tree.city)).status_code == 404
    assert client.get(ALLOCATION_NEW, {"from": "x"}).status_code == 404
    assert ledger_rows() == before


def test_outsider_sees_nothing_of_another_union(tree, signed_in, city_fund_manager, outsider):
    fund(tree.grassroots, 777, city_fund_manager, category="festive")
    html = signed_in(outsider).get(BUDGETS).content.decode()
    assert "777.00" not in html and tree.grassroots.name not in html
    # Naming the other union in the filter falls back to the user's own.
    html = signed_in(outsider).get(BUDGETS, {"org": tree.grassroots.pk}).content.decode()
    assert "777.00" not in html and tree.sibling.name in html


def test_permissions_of_the_forms(tree, signed_in, grassroots_cadre, county_reviewer, worker_user):
    helper = tree.user("helper", tree.grassroots, Role.HELPER)
    for user in (grassroots_cadre, county_reviewer):
        client = signed_in(user)
        assert client.get(BUDGETS).status_code == 200
        assert client.get(BUDGET_NEW).status_code == 403
        assert client.get(ALLOCATION_NEW).status_code == 403
        assert client.post(BUDGET_NEW, budget_post(tree.grassroots)).status_code == 403
    for user in (helper, worker_user):
        client = signed_in(user)
        assert client.get(HOME).status_code == 403
        assert client.get(BUDGETS).status_code == 403
    assert Budget.objects.count() == 0


def test_a_reversed_budget_no_longer_counts(tree, signed_in, city_fund_manager):
    budget = fund(tree.city, 1000, city_fund_manager)
    fund(tree.city, 300, city_fund_manager)
    reverse_transaction(budget.transaction, actor=city_fund_manager, reason="文号错误")
    html = signed_in(city_fund_manager).get(BUDGETS).content.decode()
    assert re.search(r'data-testid="total-available">300.00<', html)
    assert html.count("text-decoration-line-through") == 1  # the reversed budget, struck through


def test_pages_use_a_bounded_number_of_queries(tree, signed_in, city_fund_manager, django_assert_max_num_queries):
    for i in range(12):
        fund(tree.city, 1000 + i, city_fund_manager, category=["living", "school", "festive"][i % 3])
        give(tree.city, tree.county, 10 + i, city_fund_manager, category=["living", "school", "festive"][i % 3])
    client = signed_in(city_fund_manager)
    for url in (HOME, BUDGETS, ALLOCATION_NEW, BUDGET_NEW):
        client.get(url)  # warm the session
        with django_assert_max_num_queries(17):
            assert client.get(url).status_code == 200
