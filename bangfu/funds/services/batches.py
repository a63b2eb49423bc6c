"""Bank batches: gathering approved payments, and (in `bangfu.funds.bankfiles`) the files to and from the bank.

A payment can join a batch once it is approved and its public notice (if the rules ask for one) is over.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.funds.models import Disbursement, DisbursementState, PaymentBatch
from bangfu.funds.rules import RuleBreach
from bangfu.funds.services import FundsRefused


def payable(org, on=None):
    """Approved payments of `org` (the paying union itself) not in a batch, whose notice period is over."""
    on = on or timezone.localdate()
    return Disbursement.objects.filter(org=org, state=DisbursementState.APPROVED, batch__isnull=True).filter(
        Q(notice_until__isnull=True) | Q(notice_until__lt=on))


def next_batch_number(org) -> str:
    today = timezone.localdate()
    count = PaymentBatch.objects.filter(org=org, created_at__date=today).count() + 1
    return f"{org.code}-{today:%Y%m%d}-{count:03d}"


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
        batch = PaymentBatch.objects.create(org=org, number=next_batch_number(org), note=note[:200],
                                            created_by=actor)
        with audit.bulk_job("fund_batch_create", actor=actor, org=org, model=Disbursement,
                            parameters={"batch": batch.number, "payments": len(ids)}):
            Disbursement.objects.filter(pk__in=ids).update(batch=batch, updated_at=timezone.now())
        audit.log_access(None, "fund_batch_create", obj=batch, user=actor, payments=len(ids))
    return batch
