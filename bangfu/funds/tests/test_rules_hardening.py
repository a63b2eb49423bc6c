"""Rules found missing by review: caps per receipt, national ceilings, no bank payment after exit, dates checked,
the creator's own draft through the API, one proposal per campaign."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.funds import ledger
from bangfu.funds.models import Disbursement, DisbursementState, FundPolicy
from bangfu.funds.services import FundsRefused
from bangfu.funds.services.batches import create_batch, payable
from bangfu.funds.services.budgets import record_budget
from bangfu.funds.services.payments import approve_payment, create_payment, submit_payment
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
from bangfu.registry.models import State
from bangfu.registry.tests.factories import make_attachment


@pytest.fixture
def money(tree, city_fund_manager):
    set_line()
    fund(tree.city, 100_000, city_fund_manager)
    give(tree.city, tree.county, 20_000, city_fund_manager)
    fund(tree.county, 10_000, city_fund_manager, category="medical")
    return tree


def test_medical_aid_is_capped_per_receipt_whatever_the_item_says(money, grassroots_cadre):
    household = payable_household(money.grassroots)
    receipt = make_attachment(household, kind="medical_receipts")
    pay(money.county, household, 600, grassroots_cadre, category="medical", item="住院一", out_of_pocket_fen=1000_00,
        receipt=receipt)
    with pytest.raises(FundsRefused) as refused:
        pay(money.county, household, 600, grassroots_cadre, category="medical", item="住院二",
            out_of_pocket_fen=1000_00, receipt=receipt)
    assert refused.value.codes == ["cap_medical"]
    assert "600.00" in refused.value.breaches[0].message  # what was already committed against the receipt
    pay(money.county, household, 400, grassroots_cadre, category="medical", item="住院二", out_of_pocket_fen=1000_00,
        receipt=receipt)


def test_the_receipt_must_be_a_medical_receipt_of_the_household(money, grassroots_cadre):
    household = payable_household(money.grassroots)
    other = payable_household(money.grassroots, name="李四", account="6222020200112239999")
    with pytest.raises(FundsRefused) as refused:
        pay(money.county, household, 100, grassroots_cadre, category="medical", out_of_pocket_fen=1000_00,
            receipt=make_attachment(household, kind="id_hukou"))
    assert refused.value.codes == ["medical_receipt"]
    with pytest.raises(FundsRefused):
        pay(money.county, household, 100, grassroots_cadre, category="medical", out_of_pocket_fen=1000_00,
            receipt=make_attachment(other, kind="medical_receipts"))


def test_local_rules_tighten_never_loosen(money, grassroots_cadre):
    today = timezone.localdate()
    # A county asking for 120 × the line is refused by the database; a stricter province binds the county.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        FundPolicy.objects.create(org=money.county, effective_from=today, living_aid_line_multiple=120)
    FundPolicy.objects.create(org=money.province, effective_from=dt.date(2020, 1, 1), living_aid_line_multiple=6,
                              household_yearly_max_fen=5000_00)
    FundPolicy.objects.create(org=money.county, effective_from=dt.date(2021, 1, 1), living_aid_line_multiple=12,
                              household_yearly_max_fen=9000_00, notice_required=False)
    rules = FundPolicy.in_force(money.county, today)
    assert rules.living_aid_line_multiple == 6 and rules.household_yearly_max_fen == 5000_00
    assert rules.notice_required is True  # the province asks for a notice: the county cannot switch it off
    with pytest.raises(FundsRefused) as refused:  # 6 × 1,000 = 6,000, but the province's 5,000 a year binds
        pay(money.county, payable_household(money.grassroots), 5500, grassroots_cadre)
    assert "cap_household_year" in refused.value.codes


def test_an_exited_household_is_never_sent_to_the_bank(money, grassroots_cadre):
    people = approvers(money)
    household = payable_household(money.grassroots)
    payment = approve_all(pay(money.county, household, 500, grassroots_cadre), people)
    Disbursement.objects.filter(pk=payment.pk).update(notice_until=timezone.localdate() - dt.timedelta(days=1))
    assert list(payable(money.county)) == [Disbursement.objects.get(pk=payment.pk)]
    household.state = State.EXITED
    household.save(update_fields=["state"])
    assert not payable(money.county).exists()
    with pytest.raises(FundsRefused) as refused:
        create_batch(org=money.county, payments=[payment], actor=people[Role.FUND_MANAGER])
    assert refused.value.codes == ["not_payable"]


def test_budget_receipt_date_and_meeting_date_are_checked(money, city_fund_manager, grassroots_cadre):
    for received_on in (timezone.localdate() + dt.timedelta(days=1), dt.date(YEAR - 3, 5, 1)):
        with pytest.raises(FundsRefused) as refused:
            record_budget(org=money.city, source=source(), year=YEAR, category="living", amount_fen=100,
                          actor=city_fund_manager, received_on=received_on)
        assert refused.value.codes == ["received_on"]
    people = approvers(money)
    payment = pay(money.county, payable_household(money.grassroots), 6000, grassroots_cadre)
    payment = approve_payment(approve_payment(payment, people[Role.REVIEWER]), people[Role.FUND_MANAGER])
    for held_on in (timezone.localdate() + dt.timedelta(days=3), dt.date(2000, 1, 1)):
        with pytest.raises(FundsRefused) as refused:
            approve_payment(payment, people[Role.LEADERSHIP], meeting_date=held_on, minutes_ref="纪要1")
        assert refused.value.codes == ["meeting_date"]
    assert approve_payment(payment, people[Role.LEADERSHIP], meeting_date=timezone.localdate(),
                           minutes_ref="纪要1").state == DisbursementState.APPROVED
    assert ledger.verify() == []


def test_the_creator_submits_their_own_draft_paid_by_a_higher_union(money, grassroots_cadre):
    draft = create_payment(org=money.county, household=payable_household(money.grassroots), source=source(),
                           category="living", amount_fen=100_00, item="生活", period=str(YEAR), actor=grassroots_cadre,
                           year=YEAR, submit=False)
    assert Disbursement.objects.restrict(grassroots_cadre, "change").filter(pk=draft.pk).exists()
    assert submit_payment(draft, grassroots_cadre).state == DisbursementState.SUBMITTED
    approve_all(Disbursement.objects.get(pk=draft.pk), approvers(money))
    # Approved: the money is reserved, and only the paying union may withdraw it now.
    assert not Disbursement.objects.restrict(grassroots_cadre, "change").filter(pk=draft.pk).exists()
