"""Balances never go negative under concurrency: many final approvals at the same instant against a budget
that covers exactly N of them. Real transactions in real threads, so PostgreSQL only (SQLite serialises
every writer, there is no race to lose there); CI runs the suite on PostgreSQL too."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Sum

from bangfu.accounts.roles import Role
from bangfu.funds import ledger
from bangfu.funds.models import Balance, Bucket, Disbursement, DisbursementState, LedgerEntry
from bangfu.funds.services import FundsRefused
from bangfu.funds.services.payments import approve_payment
from bangfu.funds.tests.factories import YEAR, approvers, fund, pay, payable_household, set_line, source
from tests.concurrency import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a race needs concurrent writers (PostgreSQL)"),
]

CONCURRENT = 52
COVERED = 17
AMOUNT_YUAN = 1000


def test_concurrent_final_approvals_spend_exactly_what_the_budget_covers(tree, grassroots_cadre):
    set_line()
    people = approvers(tree)
    fund(tree.county, COVERED * AMOUNT_YUAN, people[Role.FUND_MANAGER])
    payments = []
    for i in range(CONCURRENT):
        household = payable_household(tree.grassroots, name=f"李{chr(0x4E00 + i)}")
        payment = pay(tree.county, household, AMOUNT_YUAN, grassroots_cadre)
        payments.append(approve_payment(payment, people[Role.REVIEWER]))  # only the fund manager's step is left
    manager = people[Role.FUND_MANAGER]

    def final(pk):
        return lambda: approve_payment(Disbursement.objects.get(pk=pk), manager)

    results = race(*[final(p.pk) for p in payments])

    succeeded = [r for r in results if isinstance(r, Disbursement)]
    refused = [r for r in results if isinstance(r, FundsRefused)]
    unexpected = [r for r in results if not isinstance(r, (Disbursement, FundsRefused))]
    assert unexpected == []
    assert len(succeeded) == COVERED
    assert len(refused) == CONCURRENT - COVERED
    assert all(r.codes == ["insufficient_funds"] for r in refused)

    account = {"org": tree.county, "source": source(), "year": YEAR, "category": "living"}
    available = Balance.objects.get(bucket=Bucket.AVAILABLE, **account).amount_fen
    reserved = Balance.objects.get(bucket=Bucket.RESERVED, **account).amount_fen
    assert available == 0
    assert reserved == COVERED * AMOUNT_YUAN * 100
    assert Disbursement.objects.filter(state=DisbursementState.APPROVED).count() == COVERED
    # The refused ones stayed where they were: step 1 passed, waiting for the fund manager.
    waiting = Disbursement.objects.filter(state=DisbursementState.SUBMITTED, current_step=1).count()
    assert waiting == CONCURRENT - COVERED
    # The ledger agrees with the balances, every transaction sums to zero, and nothing was reserved twice.
    assert ledger.verify() == []
    assert LedgerEntry.objects.aggregate(total=Sum("amount_fen"))["total"] == 0
    assert LedgerEntry.objects.filter(bucket=Bucket.RESERVED).count() == COVERED
