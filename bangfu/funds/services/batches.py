"""Bank batches: gathering approved payments, and (in `bangfu.funds.bankfiles`) the files to and from the bank.

A payment can join a batch once it is approved and its public notice (if the rules ask for one) is over.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.funds import bankfiles
from bangfu.funds.models import BankResultImport, Disbursement, DisbursementState, PaymentBatch
from bangfu.funds.money import format_yuan
from bangfu.funds.rules import RuleBreach
from bangfu.funds.services import FundsRefused
from bangfu.funds.services.payments import Settlement, settle_many
from bangfu.registry.models import State as HouseholdState


def payable(org, on=None):
    """Approved payments of `org` (the paying union itself) not in a batch, whose notice period is over."""
    # A household that exited after its payment was approved receives nothing: such a payment stays out of
    # every batch until somebody cancels it (archive first, help after — and no help after exit).
    return Disbursement.objects.filter(org=org, state=DisbursementState.APPROVED, batch__isnull=True,
                                       household__state=HouseholdState.ACTIVE).filter(notice_over(on))


def waiting_for_batch(user):
    """Approved payments not yet in a batch that `user` may put into one (notice over or not)."""
    return Disbursement.objects.restrict(user, "batch").filter(state=DisbursementState.APPROVED, batch__isnull=True)


def notice_over(on=None) -> Q:
    on = on or timezone.localdate()
    return Q(notice_until__isnull=True) | Q(notice_until__lt=on)


def with_totals(batches):
    """Batches annotated with their counts and sums per state, in the same query (one join, GROUP BY)."""
    State = DisbursementState
    live = ~Q(disbursements__state__in=[State.CANCELLED, State.REJECTED])
    return batches.annotate(
        payment_count=Count("disbursements", filter=live),
        total_fen=Sum("disbursements__amount_fen", filter=live),
        waiting_count=Count("disbursements", filter=Q(disbursements__state=State.IN_BATCH)),
        paid_count=Count("disbursements", filter=Q(disbursements__state=State.PAID)),
        paid_fen=Sum("disbursements__amount_fen", filter=Q(disbursements__state=State.PAID)),
        failed_count=Count("disbursements", filter=Q(disbursements__state=State.FAILED)),
        failed_fen=Sum("disbursements__amount_fen", filter=Q(disbursements__state=State.FAILED)),
    )


def next_batch_number(org, taken: int = 0) -> str:
    today = timezone.localdate()
    count = PaymentBatch.objects.filter(org=org, created_at__date=today).count() + 1 + taken
    return f"{org.code}-{today:%Y%m%d}-{count:03d}"


def _new_batch(org, actor, note: str) -> PaymentBatch:
    """Create the batch under the next free number; two batches created at once both get one (unique index)."""
    for attempt in range(20):
        try:
            with transaction.atomic():
                return PaymentBatch.objects.create(org=org, number=next_batch_number(org, attempt), note=note[:200],
                                                   created_by=actor)
        except IntegrityError:
            continue
    raise IntegrityError("no free batch number")


def create_batch(*, org, payments, actor, note: str = "") -> PaymentBatch:
    """A new open batch of `org` holding `payments` (each must be payable now); refused as a whole otherwise."""
    ids = [p.pk if hasattr(p, "pk") else int(p) for p in payments]
    if not ids:
        raise FundsRefused([RuleBreach("empty_batch", _("Choose at least one approved payment."))])
    with transaction.atomic():
        rows = list(payable(org).select_for_update(of=("self",)).filter(pk__in=ids))
        missing = sorted(set(ids) - {p.pk for p in rows})
        if missing:
            raise FundsRefused([RuleBreach("not_payable", _(
                "Payments %(numbers)s are not approved payments of this union waiting for the bank (or their "
                "public notice is not over)."
            ) % {"numbers": ", ".join(f"#{n}" for n in missing)})])
        batch = _new_batch(org, actor, note)
        with audit.bulk_job("fund_batch_create", actor=actor, org=org, model=Disbursement,
                            parameters={"batch": batch.number, "payments": len(ids)}):
            Disbursement.objects.filter(pk__in=ids).update(batch=batch, updated_at=timezone.now())
        audit.log_access(None, "fund_batch_create", obj=batch, user=actor, payments=len(ids))
    return batch


def _refuse(code: str, message: str, field: str = ""):
    raise FundsRefused([RuleBreach(code, message, field)])


def remove_from_batch(batch: PaymentBatch, payment_id: int, *, actor) -> None:
    """Take one payment out of an open batch (it stays approved and can join another batch)."""
    with transaction.atomic():
        batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.state != PaymentBatch.State.OPEN:
            _refuse("batch_state", _("Only an open batch can be changed; this one was sent to the bank."))
        payment = batch.disbursements.select_for_update(of=("self",)).filter(pk=payment_id).first()
        if payment is None:
            _refuse("not_in_batch", _("Payment #%(number)s is not in this batch.") % {"number": payment_id})
        payment.batch = None
        payment.save(update_fields=["batch", "updated_at"])
        audit.log_access(None, "fund_batch_remove", obj=batch, user=actor, payment=payment.pk)


@dataclass(frozen=True)
class Export:
    batch: PaymentBatch
    file: bankfiles.PaymentFile
    first: bool  # this export sent the batch to the bank (open → exported)


def export_batch(batch: PaymentBatch, *, actor) -> Export:
    """Write the bank payment file of `batch` (full account numbers, encrypted ZIP, one-time password).

    The first export moves the batch open → exported and its approved payments → in_batch, in the same
    transaction as the file's record. A re-export (file lost, bank asked again) is allowed until the batch
    is reconciled and lists only the payments still waiting for the bank, so nothing already paid or
    failed is sent twice. Every export is written to the access log with the count, total and SHA-256.
    """
    with transaction.atomic():
        batch = PaymentBatch.objects.select_for_update(of=("self",)).select_related("org").get(pk=batch.pk)
        if batch.state == PaymentBatch.State.RECONCILED:
            _refuse("batch_state", _("This batch is reconciled: every payment in it has its bank result."))
        first = batch.state == PaymentBatch.State.OPEN
        if first:
            # Lock the payments so that none is cancelled between here and the bank.
            ids = list(batch.disbursements.select_for_update(of=("self",))
                       .filter(state=DisbursementState.APPROVED).values_list("pk", flat=True))
            gone = list(batch.disbursements.filter(pk__in=ids).exclude(household__state=HouseholdState.ACTIVE)
                        .values_list("pk", flat=True))
            if gone:
                _refuse("household_not_active", _(
                    "The households of payments %(numbers)s are no longer active archives: take those payments "
                    "out of the batch and cancel them before sending it to the bank."
                ) % {"numbers": ", ".join(f"#{n}" for n in gone)})
            if not ids:
                _refuse("empty_batch", _("The batch has no approved payment to send to the bank."))
            with audit.bulk_job("fund_batch_export", actor=actor, org=batch.org, model=Disbursement,
                                parameters={"batch": batch.number, "payments": len(ids)}) as job:
                job.add(updated=Disbursement.objects.filter(pk__in=ids).update(
                    state=DisbursementState.IN_BATCH, updated_at=timezone.now()))
        lines = [
            bankfiles.PaymentLine(*row)
            for row in batch.disbursements.filter(state=DisbursementState.IN_BATCH).order_by("pk").values_list(
                "pk", "payee_name", "payee_account", "payee_bank", "amount_fen", "category", "item")
        ]
        if not lines:
            _refuse("empty_batch", _("No payment of this batch is waiting for the bank."))
        file = bankfiles.write_payment_file(batch.number, lines)
        batch.state = PaymentBatch.State.EXPORTED
        batch.exported_at = timezone.now()
        batch.exported_by = actor
        batch.export_count += 1
        batch.file_sha256 = file.sha256
        batch.save(update_fields=["state", "exported_at", "exported_by", "export_count", "file_sha256"])
        audit.log_access(None, "export", obj=batch, user=actor, what="bank_payment_file", batch=batch.number,
                         count=file.count, total_fen=file.total_fen, sha256=file.sha256,
                         csv_sha256=file.csv_sha256, export_number=batch.export_count, first=first)
    return Export(batch=batch, file=file, first=first)


MAX_PROBLEMS_SHOWN = 100


def _row_breaches(problems: list[bankfiles.Problem]) -> list[RuleBreach]:
    """Problems as breaches, in row order, each message starting with its row number."""
    problems = sorted(problems, key=lambda p: (p.row is not None, p.row or 0))
    breaches = [
        RuleBreach("result_file", _("Row %(row)s: %(problem)s") % {"row": p.row, "problem": p.message}
                   if p.row is not None else p.message, "file")
        for p in problems[:MAX_PROBLEMS_SHOWN]
    ]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        breaches.append(RuleBreach("result_file", _("… and %(count)s more problems.")
                                   % {"count": len(problems) - MAX_PROBLEMS_SHOWN}, "file"))
    return breaches


def _check_against_batch(batch: PaymentBatch, rows: list[bankfiles.ResultRow]) -> list[bankfiles.Problem]:
    """Every row must name a payment of this batch that waits for the bank, once, with its amount and card."""
    known = {
        pk: (state, amount_fen, last4)
        for pk, state, amount_fen, last4 in batch.disbursements.values_list(
            "pk", "state", "amount_fen", "payee_account_last4")
    }
    states = dict(DisbursementState.choices)
    first_day = timezone.localtime(batch.created_at).date()
    seen: dict[int, int] = {}
    problems: list[bankfiles.Problem] = []
    for row in rows:
        def problem(message, row=row):
            problems.append(bankfiles.Problem(row.row, message))

        number = row.payment_id
        if number is None:
            continue  # already reported by the file reader
        if number in seen:
            problem(_("payment #%(number)s appears twice (also in row %(other)s).")
                    % {"number": number, "other": seen[number]})
            continue
        seen[number] = row.row
        if number not in known:
            problem(_("payment #%(number)s is not in batch %(batch)s.") % {"number": number, "batch": batch.number})
            continue
        state, amount_fen, last4 = known[number]
        if state in {DisbursementState.PAID, DisbursementState.FAILED}:
            problem(_("payment #%(number)s already has its bank result (%(state)s); was this file imported "
                      "before?") % {"number": number, "state": states[state]})
            continue
        if state != DisbursementState.IN_BATCH:
            problem(_("payment #%(number)s is not waiting for the bank (state: %(state)s).")
                    % {"number": number, "state": states.get(state, state)})
            continue
        if row.amount_fen is not None and row.amount_fen != amount_fen:
            problem(_("the amount %(file)s yuan differs from payment #%(number)s's %(amount)s yuan.")
                    % {"file": format_yuan(row.amount_fen), "number": number, "amount": format_yuan(amount_fen)})
        if row.last4 is not None and row.last4 != last4:
            problem(_("the account ends in %(file)s but payment #%(number)s goes to an account ending in "
                      "%(last4)s.") % {"file": row.last4, "number": number, "last4": last4})
        if row.on is not None and row.on < first_day:
            problem(_("the date %(date)s is before the batch was made (%(made)s).")
                    % {"date": row.on.isoformat(), "made": first_day.isoformat()})
    return problems


def reconcile_batch(batch: PaymentBatch, *, data: bytes, name: str, actor) -> BankResultImport:
    """Read the bank's result file for `batch` and settle each payment it names: paid or failed with reason.

    The whole file is checked before anything changes (type, header, every row against the batch); any
    problem refuses the whole file with every problem and its row number, and nothing is written but an
    access-log row saying so. A partial file (not every payment) is fine: the batch becomes reconciled
    when no payment in it is waiting for the bank any more. All settlements run in one transaction.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        try:
            rows, problems = bankfiles.read_result_file(data, name)
        except bankfiles.ResultFileError as error:
            raise FundsRefused(_row_breaches(error.problems)) from None
        with transaction.atomic():
            batch = PaymentBatch.objects.select_for_update(of=("self",)).select_related("org").get(pk=batch.pk)
            if batch.state == PaymentBatch.State.OPEN:
                _refuse("batch_state", _("This batch has not been sent to the bank yet: export its file first."))
            if batch.state == PaymentBatch.State.RECONCILED:
                _refuse("batch_state", _("This batch is already reconciled: every payment has its bank result."))
            earlier = batch.result_imports.filter(sha256=sha256).select_related("uploaded_by").first()
            if earlier is not None:
                _refuse("same_file", _("This very file was already imported on %(when)s by %(who)s.") % {
                    "when": timezone.localtime(earlier.uploaded_at).strftime("%Y-%m-%d %H:%M"),
                    "who": earlier.uploaded_by})
            problems += _check_against_batch(batch, rows)
            if problems:
                raise FundsRefused(_row_breaches(problems))
            today = timezone.localdate()
            with audit.bulk_job("fund_batch_reconcile", actor=actor, org=batch.org, model=Disbursement,
                                parameters={"batch": batch.number, "file": name[:200], "sha256": sha256}) as job:
                settle_many([Settlement(row.payment_id, row.paid, row.on or today, row.reference, row.reason)
                             for row in rows], actor=actor)
                job.add(updated=len(rows))
            paid = [r for r in rows if r.paid]
            failed = [r for r in rows if not r.paid]
            imported = BankResultImport.objects.create(
                batch=batch, original_name=(name or "")[:200], sha256=sha256, uploaded_by=actor,
                paid_count=len(paid), failed_count=len(failed), paid_fen=sum(r.amount_fen for r in paid),
                failed_fen=sum(r.amount_fen for r in failed),
            )
            if not batch.disbursements.filter(state=DisbursementState.IN_BATCH).exists():
                batch.state = PaymentBatch.State.RECONCILED
                batch.reconciled_at = timezone.now()
                batch.save(update_fields=["state", "reconciled_at"])
            audit.log_access(None, "fund_batch_reconcile", obj=batch, user=actor, sha256=sha256,
                             paid=imported.paid_count, failed=imported.failed_count, paid_fen=imported.paid_fen,
                             failed_fen=imported.failed_fen, reconciled=batch.state == PaymentBatch.State.RECONCILED)
    except FundsRefused as refused:
        audit.log_access(None, "fund_batch_reconcile", obj=batch, result="denied", user=actor, sha256=sha256,
                         problems=len(refused.breaches))
        raise
    return imported
