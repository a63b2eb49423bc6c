"""Campaigns end to end through the pages: a 金秋助学 drive from criteria to one bank batch, and festive aid."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from bangfu.accounts.roles import Role
from bangfu.funds import ledger
from bangfu.funds.models import Bucket, Campaign, Disbursement, DisbursementState, PaymentBatch
from bangfu.funds.services.campaigns import select_households
from bangfu.funds.tests.factories import YEAR, approvers, fund, pay, payable_household, set_line, source
from bangfu.registry.models import HouseholdCause, Member, State


def _students(household, *stages):
    """Give the household's non-head members (made as students by the factory) these school stages."""
    members = list(household.members.filter(is_head=False).order_by("id"))
    assert len(members) == len(stages)
    for member, stage in zip(members, stages, strict=True):
        Member.objects.filter(pk=member.pk).update(school_stage=stage, is_student=bool(stage))
    return list(household.members.filter(is_head=False).order_by("id"))


@pytest.fixture
def county(tree):
    """The county holds 50,000 yuan of central school aid and 20,000 of festive aid; its people act."""
    set_line()  # 1,000 yuan a month: the school-aid cap is 10,000 yuan per student a year
    people = approvers(tree)
    fund(tree.county, 50_000, people[Role.FUND_MANAGER], category="school")
    fund(tree.county, 20_000, people[Role.FUND_MANAGER], category="festive")
    people[Role.CASE_WORKER] = tree.user("county-cw", tree.county, Role.CASE_WORKER)
    return people


def _balance(tree, category="school", bucket=Bucket.AVAILABLE):
    return ledger.balance_of(tree.county.pk, source().pk, YEAR, category, bucket)


SCHOOL_FORM = {
    "kind": "school", "name": "2026年金秋助学", "year": YEAR, "period": f"{YEAR}秋季",
    "school_stages": ["primary", "junior", "senior", "undergraduate"],
    "amount_primary": "1000", "amount_junior": "1,500", "amount_senior": "2000.00", "amount_undergraduate": "5000",
    "cause_scope": "main", "exclude_paid": "on",
}


def test_school_aid_campaign_from_criteria_to_one_bank_batch(tree, county, signed_in, city_fund_manager):
    two = payable_household(tree.grassroots, name="王大明", size=3, account="6222000000000001111")
    little, big = _students(two, "primary", "senior")
    uni = payable_household(tree.sibling, name="李四海", size=2, account="6222000000000002222")
    (student_u,) = _students(uni, "undergraduate")
    payable_household(tree.grassroots, name="赵无学", account="6222000000000003333")  # no student
    exited = payable_household(tree.grassroots, name="钱已退", size=2, state=State.EXITED,
                               account="6222000000000004444")
    _students(exited, "junior")
    other = payable_household(tree.grassroots, name="孙借卡", size=2, account="6222000000000005555")
    (student_o,) = _students(other, "junior")
    other.bank_account_holder = "周别人"
    other.save()
    far = payable_household(tree.other_grassroots, name="吴远方", size=2, account="6222000000000006666")
    _students(far, "junior")

    worker = signed_in(county[Role.CASE_WORKER])
    assert worker.get(reverse("funds:campaign_new") + "?kind=school").status_code == 200
    response = worker.post(reverse("funds:campaign_new"), {**SCHOOL_FORM, "org": tree.county.pk,
                                                           "source": source().pk})
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/campaigns/{campaign.pk}/")
    assert campaign.amount_rule == {"per_stage": {"primary": 1000_00, "junior": 1500_00, "senior": 2000_00,
                                                  "undergraduate": 5000_00}}
    assert campaign.criteria["school_stages"] == ["primary", "junior", "senior", "undergraduate"]
    assert campaign.category == "school"

    worker.post(reverse("funds:campaign_propose", kwargs={"pk": campaign.pk}))
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PROPOSED
    proposed = {(r["household_id"], r["student_id"]): (r["amount_fen"], [b["code"] for b in r["breaches"]])
                for r in campaign.proposal}
    # No student, exited, and outside the county's subtree: not selected; the borrowed card is flagged.
    assert proposed == {
        (two.pk, little.pk): (1000_00, []), (two.pk, big.pk): (2000_00, []),
        (uni.pk, student_u.pk): (5000_00, []), (other.pk, student_o.pk): (1500_00, ["account_not_head"]),
    }
    page = worker.get(reverse("funds:campaign_detail", kwargs={"pk": campaign.pk})).content.decode()
    assert "王**" in page and "王大明" not in page and "周**" in page and "周别人" not in page  # masked
    flagged = page.split(f'data-row="{other.pk}-{student_o.pk}"')[1].split("</tr>")[0]
    assert 'data-breach="1"' in flagged and 'data-code="account_not_head"' in flagged and 'value="1500.00"' in flagged
    assert 'value="5000.00"' in page and 'value="1000.00"' in page and 'value="2000.00"' in page

    # Tick all four; lower the university student's amount to 4,000 yuan.
    keys = [f"{h}-{s}" for h, s in proposed]
    post = {"row": keys, **{f"amount-{k}": "1000" for k in keys}}
    post.update({f"amount-{two.pk}-{big.pk}": "2000", f"amount-{uni.pk}-{student_u.pk}": "4000",
                 f"amount-{other.pk}-{student_o.pk}": "1500"})
    response = worker.post(reverse("funds:campaign_create_payments", kwargs={"pk": campaign.pk}), post, follow=True)
    text = response.content.decode()
    assert other.archive_number in text and "周**" in text  # the refused row, named with its rule
    payments = Disbursement.objects.filter(campaign=campaign)
    assert sorted(payments.values_list("student_id", "amount_fen")) == sorted(
        [(little.pk, 1000_00), (big.pk, 2000_00), (student_u.pk, 4000_00)])
    assert set(payments.values_list("state", flat=True)) == {DisbursementState.SUBMITTED}
    assert set(payments.values_list("period", flat=True)) == {f"{YEAR}秋季"}
    # Two students of one household share the masked name 王**: their items differ (the duplicate rule).
    assert len(set(payments.filter(household=two).values_list("item", flat=True))) == 2
    assert not Disbursement.objects.filter(household=other).exists()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SUBMITTED
    refused = next(r for r in campaign.proposal if r["household_id"] == other.pk)
    assert refused["payment_id"] is None and refused["breaches"][0]["code"] == "account_not_head"

    # Two people approve all: the reviewer, then the fund manager; money is reserved only at the last step.
    reviewer, manager = signed_in(county[Role.REVIEWER]), signed_in(county[Role.FUND_MANAGER])
    reviewer.post(reverse("funds:campaign_approve", kwargs={"pk": campaign.pk}))
    assert set(payments.values_list("current_step", flat=True)) == {1}
    assert _balance(tree) == 50_000_00
    # The reviewer has nothing more to decide: nothing changes.
    reviewer.post(reverse("funds:campaign_approve", kwargs={"pk": campaign.pk}))
    assert set(payments.values_list("current_step", flat=True)) == {1}
    manager.post(reverse("funds:campaign_approve", kwargs={"pk": campaign.pk}))
    assert set(payments.values_list("state", flat=True)) == {DisbursementState.APPROVED}
    assert _balance(tree) == 43_000_00 and _balance(tree, bucket=Bucket.RESERVED) == 7_000_00

    # The public notice runs: nothing goes to the bank yet, and the page says until when.
    response = manager.post(reverse("funds:campaign_batch", kwargs={"pk": campaign.pk}), follow=True)
    assert not PaymentBatch.objects.exists()
    assert str(payments.first().notice_until) in response.content.decode()
    payments.update(notice_until=dt.date.today() - dt.timedelta(days=1))  # time passes: the notice is over
    response = manager.post(reverse("funds:campaign_batch", kwargs={"pk": campaign.pk}))
    assert response.status_code == 302
    batch = PaymentBatch.objects.get()
    assert batch.org == tree.county
    assert set(batch.disbursements.values_list("pk", flat=True)) == set(payments.values_list("pk", flat=True))
    assert ledger.verify() == []
    page = manager.get(reverse("funds:campaign_detail", kwargs={"pk": campaign.pk})).content.decode()
    assert batch.number in page


def test_festive_campaign_pays_by_common_level(tree, county, signed_in):
    deep = payable_household(tree.grassroots, name="冯深度", common_level="deep", account="6222000000000010001")
    relative = payable_household(tree.grassroots, name="陈相对", common_level="relative",
                                 account="6222000000000010002")
    accident = payable_household(tree.grassroots, name="褚意外", common_level="accident",
                                 account="6222000000000010003")
    payable_household(tree.grassroots, name="卫不符", common_level="none", account="6222000000000010004")
    paid = payable_household(tree.grassroots, name="蒋已发", common_level="deep", account="6222000000000010005")
    pay(tree.county, paid, 500, county[Role.CASE_WORKER], category="festive", item="中秋慰问", period=f"{YEAR}中秋")

    worker = signed_in(county[Role.CASE_WORKER])
    response = worker.post(reverse("funds:campaign_new"), {
        "kind": "festive", "name": "两节送温暖", "year": YEAR, "period": f"{YEAR + 1}春节", "org": tree.county.pk,
        "source": source().pk, "levels": ["deep", "relative"], "amount_deep": "1000", "amount_relative": "800",
        "amount_accident": "600", "cause_scope": "main", "exclude_paid": "on",
    })
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.amount_rule == {"per_level": {"deep": 1000_00, "relative": 800_00}}  # accident not ticked
    worker.post(reverse("funds:campaign_propose", kwargs={"pk": campaign.pk}))
    campaign.refresh_from_db()
    # The household already paid festive aid this year is left out; accident and "none" are not ticked.
    assert {(r["household_id"], r["amount_fen"], r["student_id"]) for r in campaign.proposal} == {
        (deep.pk, 1000_00, None), (relative.pk, 800_00, None)}
    assert accident.pk not in {r["household_id"] for r in campaign.proposal}
    keys = [f"{deep.pk}-0", f"{relative.pk}-0"]
    worker.post(reverse("funds:campaign_create_payments", kwargs={"pk": campaign.pk}),
                {"row": keys, f"amount-{keys[0]}": "1000", f"amount-{keys[1]}": "800"})
    assert sorted(Disbursement.objects.filter(campaign=campaign).values_list("household_id", "amount_fen",
                                                                            "item", "category")) == sorted(
        [(deep.pk, 1000_00, "两节送温暖", "festive"), (relative.pk, 800_00, "两节送温暖", "festive")])
    # Proposing again is refused once payments exist: the proposal keeps which rows have their payments.
    before = campaign.proposal if campaign.refresh_from_db() is None else None
    worker.post(reverse("funds:campaign_propose", kwargs={"pk": campaign.pk}))
    campaign.refresh_from_db()
    assert campaign.proposal == before and len(before) == 2


def test_selection_by_category_and_causes_is_one_query(tree, county, django_assert_num_queries):
    main_six = payable_household(tree.grassroots, name="甲一", common_level="deep", category="B_deep",
                                 main_cause="6", account="6222000000000020001")
    second_six = payable_household(tree.grassroots, name="甲二", common_level="deep", category="B_deep",
                                   main_cause="3", secondary=("6",), account="6222000000000020002")
    payable_household(tree.grassroots, name="甲三", common_level="deep", category="A_dibao", main_cause="6",
                      account="6222000000000020003")
    campaign = Campaign.objects.create(
        org=tree.county, kind="festive", name="t", year=YEAR, period="p", source=source(),
        created_by=county[Role.CASE_WORKER], amount_rule={"per_level": {"deep": 100_00}},
        criteria={"levels": ["deep"], "categories": ["B_deep"], "causes": ["6"], "cause_scope": "main"})
    with django_assert_num_queries(1):
        assert list(select_households(campaign)) == [main_six]
    campaign.criteria["cause_scope"] = "any"
    assert set(select_households(campaign)) == {main_six, second_six}
    assert HouseholdCause.objects.filter(code="6").count() == 3
