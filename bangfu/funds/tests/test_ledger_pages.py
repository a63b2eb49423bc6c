"""The ledger pages (list, one transaction, correction), the Funds menu and `manage.py check_ledger`."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry
from bangfu.funds import ledger
from bangfu.funds.models import Balance, Bucket, LedgerEntry, LedgerTransaction, TransactionKind
from bangfu.funds.tests.factories import YEAR, approve_all, approvers, fund, give, pay, payable_household, set_line
from bangfu.funds.tests.factories import source as fund_source

LEDGER = "/funds/ledger/"
ROW = re.compile(r'data-testid="txn-(\d+)"')


def listed(response) -> list[int]:
    assert response.status_code == 200
    return [int(pk) for pk in ROW.findall(response.content.decode())]


@pytest.fixture
def money(tree, city_fund_manager):
    """The city receives 10,000 yuan (living) and 5,000 (school); it passes 4,000 of living aid to the county."""
    budget = fund(tree.city, 10_000, city_fund_manager)
    school = fund(tree.city, 5_000, city_fund_manager, category="school")
    allocation = give(tree.city, tree.county, 4_000, city_fund_manager)
    return budget, school, allocation



@pytest.fixture
def signed_in(signed_in, settings):
    """The conftest `signed_in`, reading pages in English (messages are asserted by their English text)."""

    def _english(user):
        client = signed_in(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return _english

# --- list --------------------------------------------------------------------------------------------------------


def test_ledger_lists_transactions_in_scope_with_their_entries(tree, signed_in, money, city_fund_manager,
                                                             county_reviewer, outsider):
    budget, school, allocation = money
    html_response = signed_in(city_fund_manager).get(LEDGER)
    assert listed(html_response) == [allocation.transaction_id, school.transaction_id, budget.transaction_id]
    html = html_response.content.decode()
    assert "10,000.00" in html and "5,000.00" in html and "4,000.00" in html
    # The allocation's movement names the union the money reached.
    row = re.search(rf'data-testid="txn-{allocation.transaction_id}".*?</tr>', html, re.S).group(0)
    assert tree.county.name in row and "Available" in row
    # The county sees the allocation it received (one of its entries), not the city's budgets.
    assert listed(signed_in(county_reviewer).get(LEDGER)) == [allocation.transaction_id]
    # A union that had no part in any of it sees nothing.
    assert listed(signed_in(outsider).get(LEDGER)) == []


def test_ledger_filters(tree, signed_in, money, city_fund_manager):
    budget, school, allocation = money
    client = signed_in(city_fund_manager)
    assert listed(client.get(LEDGER, {"kind": "allocation"})) == [allocation.transaction_id]
    assert listed(client.get(LEDGER, {"category": "school"})) == [school.transaction_id]
    assert listed(client.get(LEDGER, {"org": tree.county.pk})) == [allocation.transaction_id]
    assert listed(client.get(LEDGER, {"source": fund_source("union_own").pk})) == []
    assert listed(client.get(LEDGER, {"year": YEAR - 1})) == []
    assert listed(client.get(LEDGER, {"posted_from": f"{YEAR + 1}-01-01"})) == []
    assert len(listed(client.get(LEDGER, {"posted_to": f"{YEAR + 1}-01-01"}))) == 3
    # Bad filter values drop that filter only (no error page); a union outside the scope is not accepted.
    assert len(listed(client.get(LEDGER, {"year": "abc", "kind": "nope", "posted_from": "2026-13-45"}))) == 3
    assert len(listed(client.get(LEDGER, {"org": tree.other_grassroots.pk}))) == 3


def test_ledger_pages_by_keyset_with_bounded_queries(tree, signed_in, city_fund_manager,
                                                     django_assert_max_num_queries):
    ids = [fund(tree.city, 100 + i, city_fund_manager).transaction_id for i in range(30)]
    client = signed_in(city_fund_manager)
    client.get(LEDGER)
    with django_assert_max_num_queries(11):
        first = client.get(LEDGER)
    assert listed(first) == ids[::-1][:25]
    older = re.search(r'href="([^"]+)" data-testid="older"', first.content.decode()).group(1).replace("&amp;", "&")
    second = client.get(older)
    assert listed(second) == ids[::-1][25:]
    newer = re.search(r'href="([^"]+)" data-testid="newer"', second.content.decode()).group(1).replace("&amp;", "&")
    assert listed(client.get(newer)) == ids[::-1][:25]
    assert listed(client.get(LEDGER, {"before": "junk"})) == ids[::-1][:25]


# --- one transaction -----------------------------------------------------------------------------------------


def test_transaction_detail_shows_entries_links_and_is_audited(tree, signed_in, money, city_fund_manager, outsider):
    budget, _school, allocation = money
    client = signed_in(city_fund_manager)
    response = client.get(f"{LEDGER}{budget.transaction_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="linked-budget"' in html and "测试文号" in html and "壹万元整" in html
    assert AccessLogEntry.objects.filter(action="view", object_type="funds.ledgertransaction",
                                         object_id=str(budget.transaction_id), user=city_fund_manager).exists()
    html = client.get(f"{LEDGER}{allocation.transaction_id}/").content.decode()
    assert 'data-testid="linked-allocation"' in html and tree.county.name in html


def test_payment_transactions_link_the_payment(tree, signed_in, city_fund_manager, grassroots_cadre):
    set_line()
    fund(tree.county, 10_000, city_fund_manager)
    payment = approve_all(pay(tree.county, payable_household(tree.grassroots), 1000, grassroots_cadre),
                          approvers(tree))
    reserve = LedgerTransaction.objects.get(disbursement=payment)
    html = signed_in(city_fund_manager).get(f"{LEDGER}{reserve.pk}/").content.decode()
    assert f"#{payment.pk}" in html and 'data-testid="linked-payment"' in html
    assert payment.household.archive_number in html
    assert 'data-testid="reverse"' not in html  # payments are corrected by their own actions
    assert "张三" not in html  # no payee name on ledger pages


def test_other_unions_get_404(tree, signed_in, money, outsider, worker_user):
    budget, _school, allocation = money
    other_fm = tree.user("fm_sibling", tree.sibling, Role.FUND_MANAGER)
    for user in (outsider, other_fm, worker_user):
        client = signed_in(user)
        for pk in (budget.transaction_id, allocation.transaction_id, 999_999):
            assert client.get(f"{LEDGER}{pk}/").status_code == 404
            assert client.get(f"{LEDGER}{pk}/reverse/").status_code == 404
            assert client.post(f"{LEDGER}{pk}/reverse/", {"reason": "x"}).status_code == 404
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.REVERSAL).exists()


# --- correction --------------------------------------------------------------------------------------------------


def test_reversal_needs_a_reason_then_undoes_the_transaction(tree, signed_in, money, city_fund_manager):
    budget, _school, _allocation = money
    client = signed_in(city_fund_manager)
    url = f"{LEDGER}{budget.transaction_id}/reverse/"
    assert client.get(url).status_code == 200
    entries = LedgerEntry.objects.count()
    response = client.post(url, {"reason": "   "})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert LedgerEntry.objects.count() == entries

    # The city passed 4,000 of its 10,000 on: reversing the budget would take back 10,000 from the 6,000
    # it holds — refused, with the figures.
    response = client.post(url, {"reason": "文号录错"})
    assert response.status_code == 200
    assert "6,000.00" in str(response.context["form"].errors)
    assert LedgerEntry.objects.count() == entries

    second = fund(tree.city, 500, city_fund_manager)
    response = client.post(f"{LEDGER}{second.transaction_id}/reverse/", {"reason": "重复录入"})
    correction = LedgerTransaction.objects.get(reverses_id=second.transaction_id)
    assert response.status_code == 302 and response["Location"] == f"{LEDGER}{correction.pk}/"
    assert correction.kind == TransactionKind.REVERSAL and correction.reason == "重复录入"
    assert ledger.balance_of(tree.city.pk, fund_source().pk, YEAR, "living") == 6_000_00
    html = client.get(f"{LEDGER}{second.transaction_id}/").content.decode()
    assert 'data-testid="reversed-by"' in html and 'data-testid="reverse"' not in html
    # Once only.
    response = client.post(f"{LEDGER}{second.transaction_id}/reverse/", {"reason": "again"})
    assert response.status_code == 200 and LedgerTransaction.objects.filter(kind="reversal").count() == 1
    assert ledger.verify() == []


def test_reversal_needs_the_permission(tree, signed_in, money, county_reviewer, city_fund_manager):
    _budget, _school, allocation = money
    # The county reviewer sees the allocation but may not correct the ledger.
    client = signed_in(county_reviewer)
    assert client.get(f"{LEDGER}{allocation.transaction_id}/").status_code == 200
    assert client.get(f"{LEDGER}{allocation.transaction_id}/reverse/").status_code == 404
    # A county fund manager sees the city's allocation but did not make it: no correction either.
    county_fm = tree.user("fm_county", tree.county, Role.FUND_MANAGER)
    client = signed_in(county_fm)
    assert 'data-testid="reverse"' not in client.get(f"{LEDGER}{allocation.transaction_id}/").content.decode()
    assert client.post(f"{LEDGER}{allocation.transaction_id}/reverse/", {"reason": "x"}).status_code == 404
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.REVERSAL).exists()


# --- the menu --------------------------------------------------------------------------------------------------


def test_funds_menu_for_staff_who_work_with_money(tree, signed_in, city_fund_manager, grassroots_cadre, worker_user):
    helper = tree.user("helper", tree.grassroots, Role.HELPER)
    for user, shown in ((city_fund_manager, True), (grassroots_cadre, True), (helper, False), (worker_user, False)):
        html = signed_in(user).get("/").content.decode()
        assert ('data-testid="nav-funds"' in html) is shown, user.username
    html = signed_in(city_fund_manager).get("/").content.decode()
    menu = re.search(r'data-testid="nav-funds".*?</ul>', html, re.S).group(0)
    assert 'href="/funds/"' in menu and 'href="/funds/budgets/"' in menu and 'href="/funds/ledger/"' in menu


# --- check_ledger --------------------------------------------------------------------------------------------------


def test_check_ledger_passes_on_a_clean_ledger_and_fails_on_a_difference(money, capsys):
    call_command("check_ledger")
    assert "Ledger OK" in capsys.readouterr().out
    # Balance is a cache of the entries: changing it directly (never done by the code) is what the check finds.
    Balance.objects.filter(bucket=Bucket.AVAILABLE).update(amount_fen=F("amount_fen") + 1)
    with pytest.raises(CommandError, match="problem") as failed:
        call_command("check_ledger")
    assert failed.value.returncode == 1  # what manage.py exits with
    assert "ledger" in capsys.readouterr().err
