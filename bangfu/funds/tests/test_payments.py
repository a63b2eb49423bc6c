"""The money rules through the write functions: budgets, allocations, payments, approvals, caps, the ledger."""

from __future__ import annotations

import pytest
from django.db import connection

from bangfu.accounts.roles import Role
from bangfu.audit.models import AppendOnlyError
from bangfu.funds import ledger
from bangfu.funds.models import (
    AidCategory,
    Balance,
    Bucket,
    DisbursementState,
    FundPolicy,
    LedgerEntry,
    LedgerTransaction,
)
from bangfu.funds.money import capital_amount, to_fen
from bangfu.funds.services import FundsRefused
from bangfu.funds.services.budgets import reverse_transaction
from bangfu.funds.services.payments import approve_payment, cancel_payment, settle_payment
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


@pytest.fixture
def money(tree, city_fund_manager):
    """The city receives 100,000 yuan of central living aid and passes 20,000 to the county."""
    set_line()
    fund(tree.city, 100_000, city_fund_manager)
    give(tree.city, tree.county, 20_000, city_fund_manager)
    return tree


def available(org, category="living", code="central"):
    return ledger.balance_of(org.pk, source(code).pk, YEAR, category)


def test_allocation_never_exceeds_what_the_parent_holds(money, city_fund_manager):
    assert available(money.city) == 80_000_00
    assert available(money.county) == 20_000_00
    with pytest.raises(FundsRefused) as refused:
        give(money.city, money.county, 80_001, city_fund_manager)
    assert refused.value.codes == ["insufficient_funds"]
    assert "80,000.00" in refused.value.breaches[0].message
    assert available(money.city) == 80_000_00 and available(money.county) == 20_000_00
    assert ledger.verify() == []


def test_allocation_goes_to_a_direct_child_only(money, city_fund_manager):
    with pytest.raises(FundsRefused) as refused:
        give(money.city, money.grassroots, 10, city_fund_manager)
    assert refused.value.codes == ["not_child"]


def test_full_payment_life_moves_money_through_the_buckets(money, grassroots_cadre):
    people = approvers(money)
    household = payable_household(money.grassroots)
    payment = pay(money.county, household, 3000, grassroots_cadre)
    assert payment.state == DisbursementState.SUBMITTED
    assert [s["role"] for s in payment.route] == [Role.REVIEWER, Role.FUND_MANAGER]
    payment = approve_payment(payment, people[Role.REVIEWER])
    assert payment.state == DisbursementState.SUBMITTED and available(money.county) == 20_000_00
    payment = approve_payment(payment, people[Role.FUND_MANAGER])
    assert payment.state == DisbursementState.APPROVED
    assert available(money.county) == 17_000_00
    assert ledger.balance_of(money.county.pk, source().pk, YEAR, "living", Bucket.RESERVED) == 3000_00
    payment.state = DisbursementState.IN_BATCH  # what the batch export does
    payment.save(update_fields=["state"])
    settle_payment(payment, paid=True, actor=people[Role.FUND_MANAGER], reference="B1")
    assert ledger.balance_of(money.county.pk, source().pk, YEAR, "living", Bucket.PAID) == 3000_00
    assert ledger.balance_of(money.county.pk, source().pk, YEAR, "living", Bucket.RESERVED) == 0
    assert ledger.verify() == []
    kinds = list(household.timeline.values_list("kind", flat=True)) if hasattr(household, "timeline") else None
    assert kinds is None or "payment_paid" in kinds


def test_failed_payment_returns_to_the_balance(money, grassroots_cadre):
    people = approvers(money)
    payment = approve_all(pay(money.county, payable_household(money.grassroots), 500, grassroots_cadre), people)
    payment.state = DisbursementState.IN_BATCH
    payment.save(update_fields=["state"])
    settle_payment(payment, paid=False, actor=people[Role.FUND_MANAGER], reason="户名不符")
    payment.refresh_from_db()
    assert payment.state == DisbursementState.FAILED and payment.failure_reason == "户名不符"
    assert available(money.county) == 20_000_00
    assert ledger.verify() == []


def test_creator_never_approves_their_own_payment(money, tree):
    reviewer = tree.user("rev-maker", tree.county, Role.REVIEWER, Role.CASE_WORKER)
    payment = pay(money.county, payable_household(money.grassroots), 100, reviewer)
    with pytest.raises(FundsRefused) as refused:
        approve_payment(payment, reviewer)
    assert refused.value.codes == ["own_payment"]
    assert payment.approvals.count() == 0


def test_one_person_cannot_decide_two_steps(money, tree, grassroots_cadre):
    both = tree.user("both", tree.county, Role.REVIEWER, Role.FUND_MANAGER)
    payment = approve_payment(pay(money.county, payable_household(money.grassroots), 100, grassroots_cadre), both)
    with pytest.raises(FundsRefused) as refused:
        approve_payment(payment, both)
    assert refused.value.codes == ["same_approver"]


def test_wrong_role_cannot_decide_the_step(money, grassroots_cadre):
    people = approvers(money)
    payment = pay(money.county, payable_household(money.grassroots), 100, grassroots_cadre)
    with pytest.raises(FundsRefused) as refused:
        approve_payment(payment, people[Role.FUND_MANAGER])  # step 1 is the reviewer's
    assert refused.value.codes == ["role"]


def test_large_payment_needs_a_leadership_decision_with_minutes(money, grassroots_cadre):
    people = approvers(money)
    payment = pay(money.county, payable_household(money.grassroots), 6000, grassroots_cadre)
    assert [s["role"] for s in payment.route] == [Role.REVIEWER, Role.FUND_MANAGER, Role.LEADERSHIP]
    payment = approve_payment(approve_payment(payment, people[Role.REVIEWER]), people[Role.FUND_MANAGER])
    with pytest.raises(FundsRefused) as refused:
        approve_payment(payment, people[Role.LEADERSHIP])
    assert refused.value.codes == ["minutes"]
    import datetime as dt

    payment = approve_payment(payment, people[Role.LEADERSHIP], meeting_date=dt.date.today(),
                              minutes_ref="主席会议纪要〔2026〕7号")
    assert payment.state == DisbursementState.APPROVED
    assert payment.approvals.get(step=3).minutes_ref == "主席会议纪要〔2026〕7号"


@pytest.mark.parametrize("state", [State.EXITED, State.APPLIED, State.PUBLIC_NOTICE])
def test_only_active_archives_receive_money(money, grassroots_cadre, state):
    household = payable_household(money.grassroots, state=state)
    with pytest.raises(FundsRefused) as refused:
        pay(money.county, household, 100, grassroots_cadre)
    assert refused.value.codes[0] in {"household_exited", "household_not_active"}
    assert not household.disbursements.exists()


def test_account_must_be_in_the_heads_name(money, grassroots_cadre):
    household = payable_household(money.grassroots, name="张三")
    household.bank_account_holder = "李四"
    household.save()
    with pytest.raises(FundsRefused) as refused:
        pay(money.county, household, 100, grassroots_cadre)
    assert refused.value.codes == ["account_not_head"]
    assert "李*" in refused.value.breaches[0].message


def test_source_may_only_pay_its_categories(money, grassroots_cadre):
    with pytest.raises(FundsRefused) as refused:
        pay(money.county, payable_household(money.grassroots), 100, grassroots_cadre, category="legal",
            code="interest")
    assert refused.value.codes == ["source_category"]


def test_living_aid_cap_shows_the_cap_and_what_was_paid(money, grassroots_cadre):
    household = payable_household(money.grassroots)
    pay(money.county, household, 8000, grassroots_cadre, item="上半年")
    with pytest.raises(FundsRefused) as refused:
        pay(money.county, household, 4500, grassroots_cadre, item="下半年")
    assert refused.value.codes == ["cap_living"]
    message = refused.value.breaches[0].message
    # 12 × 1,000 = 12,000 cap; 8,000 committed; 4,500 asked: 500 over.
    assert "12,000.00" in message and "8,000.00" in message and "500.00" in message
    pay(money.county, household, 4000, grassroots_cadre, item="下半年")  # exactly up to the cap


def test_medical_aid_is_capped_by_the_receipt(money, grassroots_cadre, city_fund_manager):
    from bangfu.registry.tests.factories import make_attachment

    fund(money.county, 5000, city_fund_manager, category="medical")
    household = payable_household(money.grassroots)
    with pytest.raises(FundsRefused) as refused:
        pay(money.county, household, 800, grassroots_cadre, category="medical")
    assert refused.value.codes == ["medical_receipt"]
    receipt = make_attachment(household, kind="medical_receipts")
    with pytest.raises(FundsRefused) as refused:
        pay(money.county, household, 800, grassroots_cadre, category="medical", out_of_pocket_fen=700_00,
            receipt=receipt)
    assert refused.value.codes == ["cap_medical"] and "700.00" in refused.value.breaches[0].message
    assert pay(money.county, household, 700, grassroots_cadre, category="medical", out_of_pocket_fen=700_00,
               receipt=receipt).amount_fen == 700_00


def test_school_aid_cap_per_student(money, grassroots_cadre):
    household = payable_household(money.grassroots, size=2)
    student = household.members.get(is_head=False)
    pay(money.county, household, 6000, grassroots_cadre, category="school", student=student, item="秋季")
    with pytest.raises(FundsRefused) as refused:  # 10 × 1,000 = 10,000 per student per year
        pay(money.county, household, 4001, grassroots_cadre, category="school", student=student, item="春季")
    assert refused.value.codes == ["cap_school"]
    with pytest.raises(FundsRefused) as refused:
        pay(money.county, household, 100, grassroots_cadre, category="school", item="无学生")
    assert refused.value.codes == ["school_student"]


def test_local_caps_yearly_maximum_and_one_living_payment(money, grassroots_cadre, tree):
    import datetime as dt

    FundPolicy.objects.create(org=tree.county, effective_from=dt.date(2020, 1, 1), household_yearly_max_fen=6000_00,
                              living_aid_payments_per_year=1)
    household = payable_household(money.grassroots)
    pay(money.county, household, 1000, grassroots_cadre, item="一")
    with pytest.raises(FundsRefused) as refused:
        pay(money.county, household, 1000, grassroots_cadre, item="二")
    assert refused.value.codes == ["living_once"]
    with pytest.raises(FundsRefused) as refused:
        pay(money.county, household, 5001, grassroots_cadre, category="festive", item="春节")
    assert "cap_household_year" in refused.value.codes


def test_no_duplicate_payment_for_the_same_item_and_period(money, grassroots_cadre):
    household = payable_household(money.grassroots)
    pay(money.county, household, 100, grassroots_cadre, item="一月", period="2026-01")
    with pytest.raises(FundsRefused) as refused:
        pay(money.county, household, 100, grassroots_cadre, item="一月", period="2026-01")
    assert refused.value.codes == ["duplicate"]


def test_last_approval_refused_when_money_ran_out_changes_nothing(money, grassroots_cadre, tree):
    people = approvers(money)
    first = pay(money.county, payable_household(money.grassroots, name="王五"), 11_000, grassroots_cadre)
    second = pay(money.county, payable_household(money.grassroots, name="赵六"), 10_000, grassroots_cadre)
    minutes = {"meeting_date": __import__("datetime").date.today(), "minutes_ref": "纪要1"}
    approve_all(first, people, **minutes)
    second = approve_payment(approve_payment(second, people[Role.REVIEWER]), people[Role.FUND_MANAGER])
    with pytest.raises(FundsRefused) as refused:
        approve_payment(second, people[Role.LEADERSHIP], **minutes)
    assert refused.value.codes == ["insufficient_funds"]
    second.refresh_from_db()
    assert second.state == DisbursementState.SUBMITTED and second.current_step == 2
    assert second.approvals.count() == 2
    assert available(money.county) == 9_000_00
    assert ledger.verify() == []


def test_cancel_after_approval_releases_the_reserved_money(money, grassroots_cadre):
    people = approvers(money)
    payment = approve_all(pay(money.county, payable_household(money.grassroots), 700, grassroots_cadre), people)
    assert available(money.county) == 19_300_00
    with pytest.raises(FundsRefused):
        cancel_payment(payment, people[Role.FUND_MANAGER], reason="")
    cancel_payment(payment, people[Role.FUND_MANAGER], reason="重复申请")
    assert available(money.county) == 20_000_00
    assert ledger.verify() == []


def test_ledger_rows_are_never_updated_or_deleted(money):
    entry = LedgerEntry.objects.first()
    entry.amount_fen = 1
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_fen=1)
    with pytest.raises(AppendOnlyError):
        LedgerTransaction.objects.all().delete()
    # Raw SQL is refused by the database triggers.
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE funds_ledgerentry SET amount_fen = 1 WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM funds_ledgerentry WHERE id = %s", [entry.pk])


def test_balance_cannot_go_negative_even_by_raw_sql(money):
    from django.db import IntegrityError, transaction

    row = Balance.objects.filter(bucket=Bucket.AVAILABLE).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Balance.objects.filter(pk=row.pk).update(amount_fen=-1)


def test_correction_is_a_reversing_entry_with_a_reason(money, city_fund_manager, tree):
    budget = fund(tree.province, 500, city_fund_manager)
    with pytest.raises(FundsRefused) as refused:
        reverse_transaction(budget.transaction, actor=city_fund_manager, reason=" ")
    assert refused.value.codes == ["reason"]
    correction = reverse_transaction(budget.transaction, actor=city_fund_manager, reason="录入金额错误")
    assert correction.reverses_id == budget.transaction_id
    assert available(tree.province) == 0
    with pytest.raises(FundsRefused):
        reverse_transaction(budget.transaction, actor=city_fund_manager, reason="again")
    # The city's budget was partly passed down: reversing it would overdraw the city → refused.
    city_budget = tree.city and LedgerTransaction.objects.filter(kind="budget", org=tree.city).first()
    give(tree.city, tree.county, 80_000, city_fund_manager)
    with pytest.raises(FundsRefused) as refused:
        reverse_transaction(city_budget, actor=city_fund_manager, reason="x")
    assert refused.value.codes == ["insufficient_funds"]
    assert ledger.verify() == []


def test_money_helpers(db):
    assert to_fen("1,234.50") == 123450
    assert to_fen("１２") == 1200
    with pytest.raises(ValueError):
        to_fen("1.005")
    with pytest.raises(ValueError):
        to_fen("abc")
    assert to_fen("12,345.6") == 1234560 and to_fen("１，２３４") == 123400
    for bad in ("1e5", "1E999999", "NaN", "Infinity", "1.2.3", "", "9" * 25, "1,50", "1,2,3", "٣"):
        with pytest.raises(ValueError):
            to_fen(bad)
    assert to_fen("-5") == -500 and to_fen(".5") == 50
    assert capital_amount(1005_00) == "壹仟零伍元整"
    assert capital_amount(12345_60) == "壹万贰仟叁佰肆拾伍元陆角"
    assert AidCategory.LIVING in source("central").allowed_categories
