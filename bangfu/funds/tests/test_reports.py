"""Fund reports against figures computed by hand from a scenario built through the real write functions.

The scenario (amounts in yuan; every payment to a household of the county's subtree):

  city   budgets: central living 100,000 (received 10 January), union-own festive 5,000, central medical 7,000
         (reversed: a wrong entry); allocates to the county central living 20,000 and union-own festive 2,000
  county allocates to the grassroots union central living 3,000 and 1,000 (the 1,000 reversed); pays
         h1 living 3,000 (paid), h2 living 500 (failed at the bank), h3 living 800 (approved, then cancelled),
         h4 living 1,200 (approved, not yet paid), h1 festive 300 (paid), h6 of the sibling union living 600 (paid)
  grassroots pays h5 living 400 (paid)
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from bangfu.accounts.roles import Role
from bangfu.audit.models import AccessLogEntry
from bangfu.funds import ledger
from bangfu.funds.models import AidCategory, Bucket, DisbursementState, MonthlyTotal
from bangfu.funds.reports import Period, assemble, baseline_cells, usage_report
from bangfu.funds.reports_account import account_summary, household_rows, household_summary, reconcile
from bangfu.funds.services.budgets import record_budget, reverse_transaction
from bangfu.funds.services.payments import cancel_payment, settle_payment
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

Y = 100  # fen per yuan: the expectations below are written in yuan


def _settle(payment, actor, *, paid: bool, reason: str = ""):
    payment.state = DisbursementState.IN_BATCH  # what the bank batch export does
    payment.save(update_fields=["state"])
    with transaction.atomic():  # as inside the reconciliation of a result file (also in live-server tests)
        return settle_payment(payment, paid=paid, actor=actor, reference="B-1", reason=reason)


@pytest.fixture
def scenario(tree, city_fund_manager, grassroots_cadre):
    set_line()
    county = approvers(tree)
    grass = approvers(tree, tree.grassroots)
    fm_county, fm_grass = county[Role.FUND_MANAGER], grass[Role.FUND_MANAGER]
    record_budget(org=tree.city, source=source("central"), year=YEAR, category="living", amount_fen=100_000 * Y,
                  actor=city_fund_manager, document_ref="粤工帮〔2026〕1号", received_on=dt.date(YEAR, 1, 10))
    fund(tree.city, 5_000, city_fund_manager, code="union_own", category="festive")
    wrong = fund(tree.city, 7_000, city_fund_manager, category="medical")
    reverse_transaction(wrong.transaction, actor=city_fund_manager, reason="重复录入")
    give(tree.city, tree.county, 20_000, city_fund_manager)
    give(tree.city, tree.county, 2_000, city_fund_manager, code="union_own", category="festive")
    give(tree.county, tree.grassroots, 3_000, fm_county)
    extra = give(tree.county, tree.grassroots, 1_000, fm_county)
    reverse_transaction(extra.transaction, actor=fm_county, reason="下拨有误")

    h = {n: payable_household(tree.grassroots, name=name, account=f"62220202001122{n:05d}")
         for n, name in ((1, "张一"), (2, "李二"), (3, "王三"), (4, "赵四"), (5, "孙五"))}
    h[6] = payable_household(tree.sibling, name="周六", account="6222020200112200006")

    def county_pays(household, yuan, **kw):
        return approve_all(pay(tree.county, household, yuan, grassroots_cadre, **kw), county)

    _settle(county_pays(h[1], 3000, item="一月生活"), fm_county, paid=True)
    _settle(county_pays(h[2], 500, item="一月生活"), fm_county, paid=False, reason="户名不符")
    cancel_payment(county_pays(h[3], 800, item="一月生活"), fm_county, reason="重复申请")
    county_pays(h[4], 1200, item="一月生活")
    _settle(county_pays(h[1], 300, item="春节慰问", category="festive", code="union_own"), fm_county, paid=True)
    _settle(county_pays(h[6], 600, item="一月生活"), fm_county, paid=True)
    _settle(approve_all(pay(tree.grassroots, h[5], 400, grassroots_cadre, item="一月生活"), grass), fm_grass,
            paid=True)
    assert ledger.verify() == []
    tree.h = h
    tree.people = {"county": county, "grass": grass}
    return tree


def figures(row) -> dict:
    """A row's figures in yuan (None stays None: a column that does not apply)."""
    return {k: (v if v is None else v / Y) for k, v in row.figures().items()}


def expect(opening=0, budget=0, alloc_in=0, alloc_out=None, approved=0, paid=0, returned=0, reserved_end=0,
           available_end=0) -> dict:
    return {"opening": opening, "budget": budget, "alloc_in": alloc_in, "alloc_out": alloc_out,
            "approved": approved, "paid": paid, "returned": returned, "reserved_end": reserved_end,
            "available_end": available_end}


WHOLE_YEAR = Period(YEAR)


# --- usage -------------------------------------------------------------------------------------------------------


def test_usage_of_the_city_by_union(scenario, city_fund_manager):
    report = usage_report(city_fund_manager, scenario.city, WHOLE_YEAR)
    # The city itself: 100,000 + 5,000 + 7,000 − 7,000 (reversed) received; 20,000 + 2,000 passed to the county.
    assert figures(report.own) == expect(budget=105_000, alloc_in=0, alloc_out=22_000, available_end=83_000)
    # The county's row is its whole subtree (the grassroots union's 400 included); the 1,000 allocated and
    # reversed inside it cancels out.
    approved = 3000 + 500 + 800 + 1200 + 300 + 600 + 400
    paid = 3000 + 300 + 600 + 400
    assert [r.org for r in report.children] == [scenario.county]
    assert figures(report.children[0]) == expect(
        alloc_in=22_000, approved=approved, paid=paid, returned=500 + 800, reserved_end=1200,
        available_end=22_000 - paid - 1200)
    assert figures(report.total) == expect(
        budget=105_000, alloc_in=0, approved=approved, paid=paid, returned=1300, reserved_end=1200,
        available_end=83_000 + 22_000 - paid - 1200)
    assert all(r.balances for r in [report.own, *report.children, report.total])
    assert report.quiet_children == 0


def test_usage_pivots_by_source_and_category(scenario, city_fund_manager):
    report = usage_report(city_fund_manager, scenario.city, WHOLE_YEAR)
    by_source = {r.label: figures(r) for r in report.by_source}
    assert list(by_source) == ["中央财政专项帮扶资金", "工会自有资金"]
    assert by_source["中央财政专项帮扶资金"] == expect(
        budget=100_000, approved=3000 + 500 + 800 + 1200 + 600 + 400, paid=4000, returned=1300, reserved_end=1200,
        available_end=100_000 - 4000 - 1200)
    assert by_source["工会自有资金"] == expect(budget=5000, approved=300, paid=300, available_end=4700)
    # Medical: 7,000 received and reversed, nothing left: no line.
    assert [r.label for r in report.by_category] == [str(AidCategory.LIVING.label), str(AidCategory.FESTIVE.label)]
    living, festive = report.by_category
    assert figures(living)["paid"] == 4000 and figures(festive)["paid"] == 300


def test_usage_of_the_county_splits_its_own_money_from_its_children(scenario, county_reviewer):
    report = usage_report(county_reviewer, scenario.county, WHOLE_YEAR)
    county_paid = 3000 + 300 + 600
    # Received 22,000; passed down 3,000 (+1,000 − 1,000 reversed).
    assert figures(report.own) == expect(
        alloc_in=22_000, alloc_out=3000, approved=3000 + 500 + 800 + 1200 + 300 + 600, paid=county_paid,
        returned=1300, reserved_end=1200, available_end=22_000 - 3000 - county_paid - 1200)
    assert [r.org for r in report.children] == [scenario.grassroots]
    assert figures(report.children[0]) == expect(alloc_in=3000, approved=400, paid=400, available_end=2600)
    assert report.quiet_children == 1  # the sibling union: its household was paid by the county
    assert figures(report.total)["available_end"] == 22_000 - 4300 - 1200


def test_usage_filters_by_source_and_category(scenario, city_fund_manager):
    report = usage_report(city_fund_manager, scenario.city, WHOLE_YEAR, source=source("union_own"))
    assert figures(report.total) == expect(budget=5000, approved=300, paid=300, available_end=4700)
    report = usage_report(city_fund_manager, scenario.city, WHOLE_YEAR, category="medical")
    assert figures(report.total) == expect()  # received and reversed
    assert report.empty


@pytest.mark.skipif(dt.date.today().month == 1, reason="needs postings in a month after January")
def test_usage_period_months_and_opening_balance(scenario, city_fund_manager):
    january = usage_report(city_fund_manager, scenario.city, Period(YEAR, 1, 1))
    assert figures(january.total) == expect(budget=100_000, available_end=100_000)
    rest = usage_report(city_fund_manager, scenario.city, Period(YEAR, 2, 12))
    assert figures(rest.own) == expect(opening=100_000, budget=5000, alloc_out=22_000, available_end=83_000)
    assert figures(rest.total)["opening"] == 100_000 and figures(rest.total)["paid"] == 4300
    assert rest.total.balances


def test_usage_equals_the_plain_aggregation_of_the_entries(scenario):
    national = scenario.user("nat-fm", scenario.national, Role.FUND_MANAGER)
    for org in (scenario.national, scenario.city, scenario.county):
        for period in (WHOLE_YEAR, Period(YEAR, 2, 12), Period(YEAR, 1, 1)):
            fast = usage_report(national, org, period)
            slow = assemble(org, period, baseline_cells(org, period))
            assert [(r.label, r.figures()) for r in [fast.own, *fast.children, fast.total]] == \
                   [(r.label, r.figures()) for r in [slow.own, *slow.children, slow.total]]
            assert [r.figures() for r in fast.by_source] == [r.figures() for r in slow.by_source]


# --- per household ---------------------------------------------------------------------------------------------


def test_households_paid_per_category_sorted_by_total(scenario, county_reviewer):
    rows = list(household_rows(county_reviewer, scenario.county, YEAR))
    h = scenario.h
    assert [(r["household_id"], r["total"] / Y, r["payments"]) for r in rows] == [
        (h[1].pk, 3300, 2), (h[6].pk, 600, 1), (h[5].pk, 400, 1)]  # failed, cancelled, reserved: not paid
    assert rows[0]["cat_living"] == 3000 * Y and rows[0]["cat_festive"] == 300 * Y
    assert rows[0]["household__head_name_masked"] == "张*"
    ascending = list(household_rows(county_reviewer, scenario.county, YEAR, "total"))
    assert [r["household_id"] for r in ascending] == [h[5].pk, h[6].pk, h[1].pk]
    summary = household_summary(county_reviewer, scenario.county, YEAR)
    assert (summary["households"], summary["payments"], summary["total"]) == (3, 4, 4300 * Y)


def test_households_of_a_grassroots_union_include_what_the_county_paid(scenario, grassroots_cadre, outsider):
    mine = list(household_rows(grassroots_cadre, scenario.grassroots, YEAR))
    assert [r["household_id"] for r in mine] == [scenario.h[1].pk, scenario.h[5].pk]
    theirs = list(household_rows(outsider, scenario.sibling, YEAR))
    assert [r["household_id"] for r in theirs] == [scenario.h[6].pk]
    # The outsider's scope never reaches the grassroots union's households, whatever org is asked for.
    assert list(household_rows(outsider, scenario.grassroots, YEAR)) == []


# --- the fund account -------------------------------------------------------------------------------------------


def test_account_of_the_county(scenario, county_reviewer):
    lines, totals = account_summary(county_reviewer, scenario.county, YEAR)
    by_key = {(line.source.code, line.category): {k: v / Y for k, v in line.figures.items()} for line in lines}
    assert by_key[("central", "living")] == {
        "budget": 0, "alloc_in": 20_000, "alloc_out": 3000 + 1000, "reserved": 3000 + 500 + 800 + 1200 + 600,
        "released": 800, "paid": 3000 + 600, "failed": 500, "corrections": 1000,
        "closing_available": 20_000 - 4000 + 1000 - 6100 + 800 + 500, "closing_reserved": 1200}
    assert by_key[("union_own", "festive")] == {
        "budget": 0, "alloc_in": 2000, "alloc_out": 0, "reserved": 300, "released": 0, "paid": 300, "failed": 0,
        "corrections": 0, "closing_available": 1700, "closing_reserved": 0}
    assert all(line.balances for line in lines)
    assert totals["closing_available"] == (12_200 + 1700) * Y
    assert totals["closing_available"] == sum(
        ledger.balance_of(scenario.county.pk, source(code).pk, YEAR, cat)
        for code, cat in (("central", "living"), ("union_own", "festive")))
    assert reconcile(county_reviewer, scenario.county, YEAR) == []


def test_account_of_the_city_shows_the_reversed_budget(scenario, city_fund_manager):
    lines, _totals = account_summary(city_fund_manager, scenario.city, YEAR)
    medical = next(line for line in lines if line.category == "medical")
    assert medical.figures["budget"] == 7000 * Y and medical.figures["corrections"] == -7000 * Y
    assert medical.figures["closing_available"] == 0


def test_reconciliation_reports_a_cache_that_disagrees(scenario, county_reviewer):
    MonthlyTotal.objects.filter(org=scenario.county, bucket=Bucket.PAID).update(amount_fen=1)
    problems = reconcile(county_reviewer, scenario.county, YEAR)
    assert problems and all(p.startswith("monthly total") for p in problems)


# --- the pages ----------------------------------------------------------------------------------------------------


def test_usage_page_shows_the_figures(scenario, signed_in, city_fund_manager, django_assert_max_num_queries):
    client = signed_in(city_fund_manager)
    client.get("/funds/reports/")  # the session's first request writes it; count a normal one
    with django_assert_max_num_queries(12):  # 5 for the report (4 with months up to the end of the year)
        response = client.get("/funds/reports/", {"year": YEAR})
    assert response.status_code == 200
    html = response.content.decode()
    assert "天河区总工会" in html and "105,000.00" in html and "4,300.00" in html and "1,300.00" in html
    drill = client.get("/funds/reports/", {"org": scenario.county.pk, "year": YEAR})
    assert drill.status_code == 200 and "天河甲公司工会" in drill.content.decode()


def test_household_and_account_pages(scenario, signed_in, county_reviewer, django_assert_max_num_queries):
    client = signed_in(county_reviewer)
    client.get("/funds/reports/")
    before = AccessLogEntry.objects.filter(action="view").count()
    with django_assert_max_num_queries(12):
        response = client.get("/funds/reports/households/", {"year": YEAR})
    html = response.content.decode()
    assert response.status_code == 200 and "张*" in html and "张一" not in html and "3,300.00" in html
    with django_assert_max_num_queries(17):
        response = client.get("/funds/reports/account/", {"year": YEAR})
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="reconcile-ok"' in html and "13,900.00" in html
    assert AccessLogEntry.objects.filter(action="view").count() == before + 2


def test_account_pages_carry_the_running_balance(scenario, signed_in, county_reviewer, settings):
    from bangfu.funds import views_reports

    views_reports.PAGE_SIZE, saved = 3, views_reports.PAGE_SIZE
    try:
        client = signed_in(county_reviewer)
        last = client.get("/funds/reports/account/", {"year": YEAR, "page": 99}).context["rows"][-1]
    finally:
        views_reports.PAGE_SIZE = saved
    assert last["available_balance"] == 13_900 * Y and last["reserved_balance"] == 1200 * Y


def test_another_unions_org_answers_404(scenario, signed_in, outsider, county_reviewer):
    client = signed_in(outsider)
    for url in ("/funds/reports/", "/funds/reports/households/", "/funds/reports/account/"):
        assert client.get(url, {"org": scenario.grassroots.pk}).status_code == 404
        assert client.get(url, {"org": scenario.county.pk}).status_code == 404  # a higher union
        assert client.get(url, {"org": "x"}).status_code == 404
        assert client.get(url).status_code == 200  # their own union
    # A higher union is not in a county reviewer's scope either.
    assert signed_in(county_reviewer).get("/funds/reports/", {"org": scenario.city.pk}).status_code == 404


def test_bad_filters_show_errors_and_no_figures(scenario, signed_in, city_fund_manager):
    client = signed_in(city_fund_manager)
    response = client.get("/funds/reports/", {"year": "20x6", "month_from": 5, "month_to": 2})
    assert response.status_code == 200
    assert response.context["report"] is None and response.context["form"].errors.keys() >= {"year", "month_to"}
    assert 'data-testid="report-errors"' in response.content.decode()
    response = client.get("/funds/reports/account/", {"category": "caviar"})
    assert "category" in response.context["form"].errors and "lines" not in response.context


def test_users_without_fund_permissions_get_nothing(scenario, signed_in, tree, worker_user):
    helper = tree.user("helper", tree.grassroots, Role.HELPER)
    for user in (helper, worker_user):
        assert signed_in(user).get("/funds/reports/").status_code in (403, 404)
