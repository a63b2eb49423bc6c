"""Checks of the demo money (`seed_demo`, bangfu.funds.demo): through the real services, every state, a ledger that
agrees.

Run by `bangfu/worklist/tests/test_demo.py::TestTheFullDemo::test_demo_money`, over the full demo that module
seeds once for the money and the help checks alike (a full seeding takes 10–60 s).
"""

from __future__ import annotations

import io

from django.core.management import call_command
from django.db.models import Count, Exists, F, OuterRef
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.funds import ledger
from bangfu.funds.models import (
    Allocation,
    Approval,
    BankResultImport,
    Budget,
    Campaign,
    Disbursement,
    DisbursementState,
    LedgerTransaction,
    PaymentBatch,
)
from bangfu.registry.models import State


def check_demo_money(signed_in, django_assert_max_num_queries):
    """Three checks of a database that holds the full demo."""
    _every_state_and_the_ledger_agrees()
    _labelled_illustrative()
    _pages_open_for_the_demo_people(signed_in, django_assert_max_num_queries)


def _every_state_and_the_ledger_agrees():
    assert ledger.verify() == []
    out = io.StringIO()
    call_command("check_ledger", stdout=out)
    assert "Ledger OK" in out.getvalue()
    states = set(Disbursement.objects.values_list("state", flat=True))
    assert {DisbursementState.DRAFT, DisbursementState.SUBMITTED, DisbursementState.APPROVED,
            DisbursementState.IN_BATCH, DisbursementState.PAID, DisbursementState.FAILED} <= states
    assert states & {DisbursementState.REJECTED, DisbursementState.CANCELLED}
    assert Disbursement.objects.count() >= 100
    assert set(Disbursement.objects.values_list("category", flat=True)) >= {"living", "festive"}
    # Every batch state; the reconciled ones from a bank result file; failed ones carry the bank's reason.
    assert set(PaymentBatch.objects.values_list("state", flat=True)) == set(PaymentBatch.State.values)
    assert BankResultImport.objects.filter(failed_count__gt=0).exists()
    assert not Disbursement.objects.filter(state=DisbursementState.FAILED, failure_reason="").exists()
    # Payments go only to active archives, decided by people other than their creator; above 5,000 yuan the
    # leadership decided with its meeting minutes.
    assert not Disbursement.objects.exclude(household__state=State.ACTIVE).exists()
    assert not Approval.objects.filter(decided_by_id=F("disbursement__created_by_id")).exists()
    minuted = Approval.objects.filter(disbursement=OuterRef("pk"), role="leadership").exclude(minutes_ref="")
    decided = Disbursement.objects.filter(amount_fen__gt=500_000, approved_at__isnull=False)
    assert decided.exists() and not decided.filter(~Exists(minuted)).exists()
    # Some approved payments are still in their public notice.
    in_notice = Disbursement.objects.filter(state=DisbursementState.APPROVED, notice_until__gte=timezone.localdate())
    assert in_notice.exists()


def _labelled_illustrative():
    assert Budget.objects.exists() and Allocation.objects.exists()
    assert not Budget.objects.exclude(document_ref__startswith="示例数据").exists()
    assert not Budget.objects.exclude(note__contains="示例数据").exists()
    assert not Allocation.objects.exclude(note__contains="示例数据").exists()
    levels = dict(Budget.objects.values_list("org__level").annotate(n=Count("id")))
    assert set(levels) == {1, 3}  # provinces (central, matching) and counties (union-own)
    assert set(Allocation.objects.values_list("to_org__level", flat=True)) == {2, 3, 4}
    campaign = Campaign.objects.get()
    assert campaign.kind == Campaign.Kind.SCHOOL and "金秋助学" in campaign.name
    assert campaign.state == Campaign.State.DRAFT
    # The ledger's transactions of payments carry their payment; budgets and allocations their record.
    assert not LedgerTransaction.objects.filter(kind="reserve", disbursement__isnull=True).exists()


def _pages_open_for_the_demo_people(signed_in, django_assert_max_num_queries):
    for username in ("gz_fund", "th_reviewer", "th_caseworker"):
        client = signed_in(User.objects.get(username=username))
        for url in ("/funds/", "/funds/budgets/", "/funds/ledger/"):
            client.get(url)
            with django_assert_max_num_queries(20):
                response = client.get(url)
            assert response.status_code == 200, (username, url)
