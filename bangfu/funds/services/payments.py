"""A payment's life: create → submit → approval steps → approved (funds reserved) → bank → paid / failed.

Every step is one atomic function. The final approval locks the household row (so two payments to the
same household cannot both pass a cap) and moves the money available → reserved with a conditional
UPDATE (so two approvals cannot both spend the last yuan); if anything is refused, nothing changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.accounts.roles import Role
from bangfu.core import context
from bangfu.funds import ledger
from bangfu.funds.models import (
    RESERVED_STATES,
    Approval,
    ApprovalDecision,
    Bucket,
    Disbursement,
    DisbursementState,
    FundPolicy,
    TransactionKind,
    route_for,
)
from bangfu.funds.rules import RuleBreach, check_payment
from bangfu.funds.services import FundsRefused
from bangfu.funds.services.budgets import insufficient_breach
from bangfu.registry.models import Household, TimelineEvent, record_event

State = DisbursementState


def _refuse(code: str, message: str, field: str = ""):
    raise FundsRefused([RuleBreach(code, message, field)])


def _payee_from_archive(payment: Disbursement) -> None:
    household = payment.household
    payment.payee_name = household.bank_account_holder
    payment.payee_bank = household.bank_name
    payment.payee_account = household.bank_account
    payment.payee_account_last4 = household.bank_account_last4


def create_payment(*, org, household, source, category: str, amount_fen: int, item: str, period: str, actor,
                   year: int | None = None, student=None, out_of_pocket_fen: int | None = None, receipt=None,
                   note: str = "", campaign=None, submit: bool = True) -> Disbursement:
    """Create a payment (and submit it for approval unless `submit=False`); refused with every rule it breaks."""
    payment = Disbursement(
        org=org, household=household, source=source, category=category, amount_fen=amount_fen,
        item=(item or "").strip()[:100], period=(period or "").strip()[:16],
        year=year or timezone.localdate().year, student=student, out_of_pocket_fen=out_of_pocket_fen,
        receipt=receipt, note=note[:200], campaign=campaign, created_by=actor,
    )
    breaches = []
    if not payment.item:
        breaches.append(RuleBreach("item", _("Say what is paid (the item)."), "item"))
    if not payment.period:
        breaches.append(RuleBreach("period", _("Give the period the payment covers."), "period"))
    with transaction.atomic():
        Household.objects.select_for_update().filter(pk=household.pk).first()
        breaches += check_payment(payment)
        if breaches:
            raise FundsRefused(breaches)
        _payee_from_archive(payment)
        payment.save()
        record_event(household, "payment_created", actor=actor, payment=payment.pk, category=category,
                     amount_fen=amount_fen)
        if submit:
            _submit(payment, actor)
    return payment


def submit_payment(payment: Disbursement, actor) -> Disbursement:
    with transaction.atomic():
        payment = Disbursement.objects.select_for_update().get(pk=payment.pk)
        if payment.state != State.DRAFT:
            _refuse("state", _("Only a draft can be submitted."))
        Household.objects.select_for_update().filter(pk=payment.household_id).first()
        breaches = check_payment(payment)
        if breaches:
            raise FundsRefused(breaches)
        _submit(payment, actor)
    return payment


def _submit(payment: Disbursement, actor) -> None:
    payment.route = route_for(payment.org, payment.amount_fen)
    if not payment.route:
        # A chain whose every step starts above this amount would leave the payment with nobody to decide it.
        _refuse("no_route", _("The approval chain of %(union)s has no step for this amount; ask the fund manager "
                              "to fix the chain.") % {"union": payment.org.name})
    payment.current_step = 0
    payment.state = State.SUBMITTED
    payment.submitted_at = timezone.now()
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        # The partial unique index: another payment for the same item and period was committed meanwhile.
        _refuse("duplicate", _("Another payment already pays this item for this period; no duplicate payment."),
                "item")
    audit.log_access(None, "fund_payment_submit", obj=payment, user=actor)


def approve_payment(payment: Disbursement, actor, *, decision: str = ApprovalDecision.APPROVE, comment: str = "",
                    meeting_date: dt.date | None = None, minutes_ref: str = "", minutes: str = "") -> Disbursement:
    """Decide the next approval step of `payment` as `actor`.

    Refused when: the payment is not waiting for a step; the actor lacks the step's role; the actor created
    the payment or decided an earlier step of it; a leadership step lacks its meeting minutes; or, at the
    last step, a cap or the balance no longer allows it (the money is reserved only then).
    """
    with transaction.atomic():
        # of=self: lock the payment only, not its org and source rows (which would serialise every approval
        # of a union; the balance's conditional UPDATE is what guards the money).
        payment = (Disbursement.objects.select_for_update(of=("self",))
                   .select_related("org", "household", "source").get(pk=payment.pk))
        step = payment.next_step
        if step is None:
            _refuse("state", _("This payment is not waiting for an approval step (state: %(state)s).")
                    % {"state": payment.get_state_display()})
        if actor.pk == payment.created_by_id:
            _refuse("own_payment", _("You created this payment; its creator can never approve it."))
        if payment.approvals.filter(decided_by=actor).exists():
            _refuse("same_approver", _("You already decided an earlier step of this payment; each step needs "
                                       "another person."))
        if step["role"] not in actor.role_set:
            _refuse("role", _("This step is decided by the role %(role)s.") % {"role": Role(step["role"]).label})
        if decision not in ApprovalDecision.values:
            _refuse("decision", _("Choose approve or reject."), "decision")
        if decision == ApprovalDecision.REJECT and not (comment or "").strip():
            _refuse("comment", _("Give the reason of the rejection."), "comment")
        if step.get("requires_minutes") and decision == ApprovalDecision.APPROVE and (
            meeting_date is None or not (minutes_ref or "").strip()
        ):
            _refuse("minutes", _("This amount needs a leadership decision: give the meeting date and the "
                                 "number of its minutes."), "minutes_ref")
        if meeting_date is not None and not (
            timezone.localtime(payment.created_at).date() <= meeting_date <= timezone.localdate()
        ):
            _refuse("meeting_date", _("The meeting must have been held between the application (%(created)s) "
                                      "and today.") % {"created": timezone.localtime(payment.created_at).date()},
                    "meeting_date")
        Approval.objects.create(
            disbursement=payment, step=payment.current_step + 1, role=step["role"], decision=decision,
            comment=comment, meeting_date=meeting_date, minutes_ref=minutes_ref, minutes=minutes, decided_by=actor,
        )
        if decision == ApprovalDecision.REJECT:
            payment.state = State.REJECTED
            payment.save(update_fields=["state", "updated_at"])
            record_event(payment.household, "payment_rejected", actor=actor, payment=payment.pk, reason=comment)
        else:
            payment.current_step += 1
            if payment.current_step >= len(payment.route):
                _reserve(payment, actor)
            else:
                payment.save(update_fields=["current_step", "updated_at"])
        audit.log_access(None, "fund_approval", obj=payment, user=actor, decision=decision,
                         step=payment.current_step)
    return payment


def _reserve(payment: Disbursement, actor) -> None:
    """The last step: re-check every rule under the household lock, then reserve the money."""
    Household.objects.select_for_update().filter(pk=payment.household_id).first()
    payment.household.refresh_from_db()
    breaches = [b for b in check_payment(payment) if b.code != "duplicate"]
    if breaches:
        raise FundsRefused(breaches)
    try:
        ledger.post(
            TransactionKind.RESERVE,
            ledger.move(Bucket.AVAILABLE, Bucket.RESERVED, org_id=payment.org_id, source_id=payment.source_id,
                        year=payment.year, category=payment.category, amount_fen=payment.amount_fen,
                        household_id=payment.household_id),
            org=payment.org, year=payment.year, memo=payment.item, disbursement=payment, actor=actor,
        )
    except ledger.InsufficientFunds as short:
        raise FundsRefused([insufficient_breach(short)]) from None
    policy = FundPolicy.in_force(payment.org, timezone.localdate())
    payment.state = State.APPROVED
    payment.approved_at = timezone.now()
    payment.notice_until = (timezone.localdate() + dt.timedelta(days=policy.notice_days)
                            if policy.notice_required else None)
    payment.save(update_fields=["state", "current_step", "approved_at", "notice_until", "updated_at"])
    record_event(payment.household, "payment_approved", actor=actor, payment=payment.pk,
                 category=payment.category, amount_fen=payment.amount_fen)


def cancel_payment(payment: Disbursement, actor, *, reason: str) -> Disbursement:
    """Withdraw a payment not yet sent to the bank; reserved money returns to the balance."""
    if not (reason or "").strip():
        _refuse("reason", _("Give the reason of the cancellation."), "reason")
    with transaction.atomic():
        payment = Disbursement.objects.select_for_update().get(pk=payment.pk)
        if payment.state not in {State.DRAFT, State.SUBMITTED, State.APPROVED}:
            _refuse("state", _("A payment in the state %(state)s cannot be cancelled.")
                    % {"state": payment.get_state_display()})
        if payment.state in RESERVED_STATES:
            ledger.post(
                TransactionKind.RELEASE,
                ledger.move(Bucket.RESERVED, Bucket.AVAILABLE, org_id=payment.org_id, source_id=payment.source_id,
                            year=payment.year, category=payment.category, amount_fen=payment.amount_fen,
                            household_id=payment.household_id),
                org=payment.org, year=payment.year, memo=payment.item, reason=reason, disbursement=payment,
                actor=actor,
            )
        payment.state = State.CANCELLED
        payment.failure_reason = reason[:200]
        payment.save(update_fields=["state", "failure_reason", "updated_at"])
        record_event(payment.household, "payment_cancelled", actor=actor, payment=payment.pk, reason=reason)
        audit.log_access(None, "fund_payment_cancel", obj=payment, user=actor)
    return payment


@dataclass(frozen=True)
class Settlement:
    """The bank's answer for one payment: paid on a date with its reference, or failed with a reason."""

    payment_id: int
    paid: bool
    on: dt.date | None = None
    reference: str = ""
    reason: str = ""


def settle_payment(payment: Disbursement, *, paid: bool, actor, on: dt.date | None = None, reference: str = "",
                   reason: str = "") -> Disbursement:
    """The bank's answer for one payment in an exported batch (see `settle_many`)."""
    settle_many([Settlement(payment.pk, paid, on, reference, reason)], actor=actor)
    return Disbursement.objects.get(pk=payment.pk)


def settle_many(settlements: list[Settlement], *, actor) -> int:
    """Record the bank's result for many payments at once: paid (reserved → paid) or failed (→ available).

    Set-based so that a result file of thousands of rows settles in one short transaction: the payments are
    locked and checked in one query, the ledger gets one transaction per payment through `ledger.post_many`
    (each account moved by one statement), the payments are updated with `bulk_update` and their timeline
    rows inserted in bulk. Refused as a whole if any payment is not waiting for the bank. Callers that want
    a change-log record run this inside `audit.bulk_job` (the reconciliation does).
    """
    if not settlements:
        return 0
    today = timezone.localdate()
    with transaction.atomic():
        by_id = {s.payment_id: s for s in settlements}
        payments = list(Disbursement.objects.select_for_update(of=("self",)).select_related("org")
                        .filter(pk__in=by_id).order_by("pk"))
        found = {p.pk for p in payments}
        not_waiting = [p for p in payments if p.state != State.IN_BATCH] + [
            Disbursement(pk=pk) for pk in sorted(set(by_id) - found)]
        if not_waiting:
            first = not_waiting[0]
            _refuse("state", _("Payment #%(number)s is not waiting for the bank (state: %(state)s).")
                    % {"number": first.pk, "state": first.get_state_display() if first.pk in found else "—"})
        postings = []
        for payment in payments:
            result = by_id[payment.pk]
            postings.append(ledger.Posting(
                TransactionKind.PAY if result.paid else TransactionKind.FAIL,
                ledger.move(Bucket.RESERVED, Bucket.PAID if result.paid else Bucket.AVAILABLE,
                            org_id=payment.org_id, source_id=payment.source_id, year=payment.year,
                            category=payment.category, amount_fen=payment.amount_fen,
                            household_id=payment.household_id),
                org=payment.org, year=payment.year, memo=result.reference or payment.item, reason=result.reason,
                disbursement=payment, on=result.on or today,
            ))
        ledger.post_many(postings, actor=actor)
        now = timezone.now()
        for payment in payments:
            result = by_id[payment.pk]
            payment.state = State.PAID if result.paid else State.FAILED
            payment.paid_on = (result.on or today) if result.paid else None
            payment.bank_reference = result.reference[:64]
            payment.failure_reason = "" if result.paid else result.reason[:200]
            payment.updated_at = now
        Disbursement.objects.bulk_update(
            payments, ["state", "paid_on", "bank_reference", "failure_reason", "updated_at"], batch_size=500)
        ctx = context.current()
        actor_id = getattr(actor, "pk", None) if actor is not None else ctx.user_id
        actor_org_id = getattr(actor, "org_id", None) if actor is not None else ctx.org_id
        TimelineEvent.objects.bulk_create([
            TimelineEvent(household_id=p.household_id, kind="payment_paid" if by_id[p.pk].paid else "payment_failed",
                          reason=by_id[p.pk].reason, actor_id=actor_id, actor_org_id=actor_org_id,
                          detail={"payment": p.pk, "amount_fen": p.amount_fen, "category": p.category})
            for p in payments
        ], batch_size=1000)
    return len(payments)


def approve_many(payments, actor, **decision) -> tuple[list[Disbursement], list[tuple[Disbursement, FundsRefused]]]:
    """Decide the same step for many payments (a campaign's), each in its own transaction.

    Returns (decided, refused): one refusal never undoes the others, and each refused payment keeps the
    rule that stopped it.
    """
    decided, refused = [], []
    for payment in payments:
        try:
            decided.append(approve_payment(payment, actor, **decision))
        except FundsRefused as error:
            refused.append((payment, error))
    return decided, refused
