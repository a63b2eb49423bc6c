"""Campaigns: bad input changes nothing, other unions get 404, refusals are reported, pages stay cheap."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from bangfu.accounts.roles import Role
from bangfu.funds import ledger
from bangfu.funds.models import Bucket, Campaign, Disbursement, DisbursementState
from bangfu.funds.services import FundsRefused
from bangfu.funds.services.campaigns import clean_campaign, create_payments, propose
from bangfu.funds.tests.factories import YEAR, approvers, fund, payable_household, set_line, source

FESTIVE = {"kind": "festive", "name": "两节送温暖", "year": YEAR, "period": f"{YEAR + 1}春节",
           "levels": ["deep", "relative"], "amount_deep": "1000", "amount_relative": "800",
           "cause_scope": "main"}


@pytest.fixture
def county(tree):
    set_line()
    people = approvers(tree)
    fund(tree.county, 20_000, people[Role.FUND_MANAGER], category="festive")
    people[Role.CASE_WORKER] = tree.user("county-cw", tree.county, Role.CASE_WORKER)
    return people


@pytest.fixture
def english(signed_in):
    def _client(user):
        client = signed_in(user)
        client.cookies["django_language"] = "en"
        return client
    return _client


def _campaign(tree, people, **fields) -> Campaign:
    values = {"org": tree.county, "kind": "festive", "name": "天河区慰问活动", "year": YEAR,
              "period": f"{YEAR + 1}春节",
              "source": source(), "created_by": people[Role.CASE_WORKER],
              "criteria": {"levels": ["deep"]}, "amount_rule": {"per_level": {"deep": 1000_00}}}
    return Campaign.objects.create(**{**values, **fields})


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"amount_deep": "-100"}, "amount_deep", "must be more than zero"),
    ({"amount_deep": "0"}, "amount_deep", "must be more than zero"),
    ({"amount_deep": "一千"}, "amount_deep", "Enter an amount in yuan"),
    ({"amount_deep": "1000.005"}, "amount_deep", "Enter an amount in yuan"),
    ({"amount_relative": ""}, "amount_relative", "Give the amount"),
    ({"amount_deep": "99999999"}, "amount_deep", "check it"),
    ({"levels": ["deep", "bogus"]}, "levels", "bogus"),
    ({"levels": []}, "levels", "Tick at least one common level"),
    ({"causes": ["99"]}, "causes", "99"),
    ({"year": "26"}, "year", "2000"),
    ({"name": " "}, "name", "This field is required"),
])
def test_bad_criteria_or_amounts_are_refused_and_nothing_is_saved(tree, county, english, change, field, message):
    client = english(county[Role.CASE_WORKER])
    data = {**FESTIVE, "org": tree.county.pk, "source": source().pk, **change}
    response = client.post(reverse("funds:campaign_new"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in " ".join(response.context["form"].errors[field])
    assert 'data-testid="form-errors"' in response.content.decode()
    assert not Campaign.objects.exists()


def test_source_that_may_not_pay_the_category_is_refused(tree, county, english):
    client = english(county[Role.CASE_WORKER])
    response = client.post(reverse("funds:campaign_new"), {**FESTIVE, "org": tree.county.pk,
                                                           "source": source("interest").pk})
    assert "may not pay" in " ".join(response.context["form"].errors["source"])
    assert not Campaign.objects.exists()


def test_the_service_refuses_malformed_json_the_same_way(tree, county):
    with pytest.raises(FundsRefused) as refused:
        clean_campaign(kind="school", source=source(), name="x", year=YEAR, period="p",
                       criteria={"school_stages": ["primary", "space"], "levels": "deep"},
                       amount_rule={"per_stage": {"primary": "1000"}})
    assert {(b.code, b.field) for b in refused.value.breaches} == {
        ("school_stages", "school_stages"), ("amount", "amount_primary")}
    criteria, rule = clean_campaign(kind="school", source=source(), name="x", year=YEAR, period="p",
                                    criteria={"school_stages": ["primary"], "levels": "deep"},
                                    amount_rule={"per_stage": {"primary": 1000_00, "junior": -5}})
    assert criteria["levels"] == ["deep"] and rule == {"per_stage": {"primary": 1000_00}}


def test_paying_union_must_be_in_the_users_subtree(tree, county, signed_in):
    client = signed_in(county[Role.CASE_WORKER])
    response = client.post(reverse("funds:campaign_new"), {**FESTIVE, "org": tree.other_grassroots.pk,
                                                           "source": source().pk})
    assert response.status_code == 200 and "org" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_bad_amounts_when_creating_payments_create_nothing(tree, county, english):
    first = payable_household(tree.grassroots, name="冯一", common_level="deep", account="6222000000000030001")
    second = payable_household(tree.grassroots, name="冯二", common_level="deep", account="6222000000000030002")
    campaign = propose(_campaign(tree, county), county[Role.CASE_WORKER])
    client = english(county[Role.CASE_WORKER])
    url = reverse("funds:campaign_create_payments", kwargs={"pk": campaign.pk})
    a, b = f"{first.pk}-0", f"{second.pk}-0"
    for amounts in ({a: "1000", b: "abc"}, {a: "1000", b: "-5"}, {a: "1000", b: "0"}):
        response = client.post(url, {"row": [a, b], **{f"amount-{k}": v for k, v in amounts.items()}})
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-testid="proposal-errors"' in html and "is-invalid" in html
        assert f'name="amount-{b}" value="{amounts[b]}"' in html  # what was typed is kept
    # A row that is not in the proposal (a household the user picked by hand) is refused as well.
    outsider_household = payable_household(tree.grassroots, name="冯三", common_level="relative",
                                           account="6222000000000030003")
    response = client.post(url, {"row": [a, f"{outsider_household.pk}-0"], f"amount-{a}": "1000",
                                 f"amount-{outsider_household.pk}-0": "1000"})
    assert "not in this campaign" in response.content.decode()
    response = client.post(url, {})
    assert "Tick at least one" in response.content.decode()
    assert not Disbursement.objects.exists()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PROPOSED


def test_other_unions_get_404_for_every_campaign_page(tree, county, outsider, signed_in):
    campaign = _campaign(tree, county)
    client = signed_in(outsider)
    for name in ("funds:campaign_detail", "funds:campaign_edit"):
        assert client.get(reverse(name, kwargs={"pk": campaign.pk})).status_code == 404
    for name in ("funds:campaign_propose", "funds:campaign_create_payments", "funds:campaign_approve",
                 "funds:campaign_batch", "funds:campaign_edit"):
        assert client.post(reverse(name, kwargs={"pk": campaign.pk}), {**FESTIVE}).status_code == 404
    assert campaign.name not in client.get(reverse("funds:campaigns")).content.decode()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT and campaign.proposal == []
    # A reviewer of the county sees it but may not change it: the change pages do not exist for them.
    reviewer = signed_in(county[Role.REVIEWER])
    assert reviewer.get(reverse("funds:campaign_detail", kwargs={"pk": campaign.pk})).status_code == 200
    assert reviewer.post(reverse("funds:campaign_propose", kwargs={"pk": campaign.pk})).status_code == 404


def test_approving_all_reports_the_refused_and_decides_the_rest(tree, county, signed_in, english):
    households = [payable_household(tree.grassroots, name=f"褚{i}", common_level="deep",
                                    account=f"62220000000000400{i:02d}") for i in range(3)]
    both = tree.user("county-both", tree.county, Role.CASE_WORKER, Role.REVIEWER)
    campaign = propose(_campaign(tree, county, created_by=both), both)
    rows = [{"household_id": h.pk, "student_id": None, "amount_fen": 1000_00} for h in households[:2]]
    assert len(create_payments(campaign, both, rows).done) == 2
    campaign.refresh_from_db()
    rows = [{"household_id": households[2].pk, "student_id": None, "amount_fen": 1000_00}]
    assert len(create_payments(campaign, county[Role.CASE_WORKER], rows).done) == 1
    # `both` reviews: the two payments they created are refused (own payment), the third is decided.
    response = english(both).post(reverse("funds:campaign_approve", kwargs={"pk": campaign.pk}), follow=True)
    assert "its creator can never approve it" in response.content.decode()
    steps = dict(Disbursement.objects.filter(campaign=campaign).values_list("household_id", "current_step"))
    assert steps == {households[0].pk: 0, households[1].pk: 0, households[2].pk: 1}


def test_a_leadership_step_needs_its_minutes(tree, county, signed_in):
    household = payable_household(tree.grassroots, name="卫大额", common_level="deep", account="6222000000000050001")
    campaign = propose(_campaign(tree, county, amount_rule={"per_level": {"deep": 6000_00}}),
                       county[Role.CASE_WORKER])
    rows = [{"household_id": household.pk, "student_id": None, "amount_fen": 6000_00}]
    (payment,) = create_payments(campaign, county[Role.CASE_WORKER], rows).done
    url = reverse("funds:campaign_approve", kwargs={"pk": campaign.pk})
    signed_in(county[Role.REVIEWER]).post(url)
    signed_in(county[Role.FUND_MANAGER]).post(url)
    leader = signed_in(county[Role.LEADERSHIP])
    page = leader.get(reverse("funds:campaign_detail", kwargs={"pk": campaign.pk})).content.decode()
    assert 'name="minutes_ref"' in page
    leader.post(url)
    payment.refresh_from_db()
    assert payment.state == DisbursementState.SUBMITTED and payment.current_step == 2
    leader.post(url, {"meeting_date": dt.date.today().isoformat(), "minutes_ref": "纪要〔2026〕1号"})
    payment.refresh_from_db()
    assert payment.state == DisbursementState.APPROVED
    assert ledger.balance_of(tree.county.pk, source().pk, YEAR, "festive", Bucket.RESERVED) == 6000_00


def test_settings_are_locked_once_payments_exist(tree, county, signed_in):
    household = payable_household(tree.grassroots, name="蒋锁", common_level="deep", account="6222000000000060001")
    campaign = propose(_campaign(tree, county), county[Role.CASE_WORKER])
    client = signed_in(county[Role.CASE_WORKER])
    edit = reverse("funds:campaign_edit", kwargs={"pk": campaign.pk})
    assert client.get(edit).status_code == 200
    create_payments(campaign, county[Role.CASE_WORKER],
                    [{"household_id": household.pk, "student_id": None, "amount_fen": 1000_00}])
    response = client.post(edit, {**FESTIVE, "org": tree.county.pk, "source": source().pk, "amount_deep": "5"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.amount_rule == {"per_level": {"deep": 1000_00}}


@pytest.mark.parametrize("households", [2, 30])
def test_campaign_page_query_count_does_not_grow_with_rows(tree, county, signed_in, households,
                                                           django_assert_max_num_queries):
    for i in range(households):
        payable_household(tree.grassroots, name=f"沈{i}", common_level="deep", account=f"62220000000007{i:05d}")
    campaign = propose(_campaign(tree, county), county[Role.CASE_WORKER])
    rows = [{"household_id": r["household_id"], "student_id": None, "amount_fen": 100_00}
            for r in campaign.proposal[: households // 2]]
    create_payments(campaign, county[Role.CASE_WORKER], rows)
    client = signed_in(county[Role.FUND_MANAGER])
    url = reverse("funds:campaign_detail", kwargs={"pk": campaign.pk})
    client.get(url)  # warm the session and the code-list labels
    with django_assert_max_num_queries(15):
        response = client.get(url)
    assert response.content.decode().count("data-row=") == households
    with django_assert_max_num_queries(8):
        assert client.get(reverse("funds:campaigns")).status_code == 200
