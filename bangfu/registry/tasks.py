"""Periodic tasks of the registry (registered with the scheduler in `register_schedule`, called from
`RegistryConfig.ready()`):

* `anonymise_closed_archives` (daily): archives EXITED/REFUSED/CANCELLED/MERGED whose exit (or closing)
  date is more than N years ago (default 10, `REGISTRY_ANONYMISE_AFTER_YEARS`) lose everything that names
  the people: names masked, identity numbers, phones, bank, address and diagnosis cleared, the identity hash
  replaced by a random value, attachment files deleted, `anonymised_at` set. Set-based UPDATEs inside one
  `audit.bulk_job`; idempotent (already anonymised archives are skipped).
* `overdue_reviews_report` (daily): counts active archives whose yearly review is overdue, per union.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.db.models import CharField, Count, DateField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat, Substr
from django.utils import timezone
from django_tasks import TaskContext, task

from bangfu.core.tasks import _as_task

logger = logging.getLogger(__name__)

ANONYMISED_STATES = ("exited", "refused", "cancelled", "merged")


def register_schedule() -> None:
    from bangfu.core.scheduler import register

    register("10 3 * * *", "bangfu.registry.tasks.anonymise_closed_archives")
    register("20 7 * * *", "bangfu.registry.tasks.overdue_reviews_report")


def anonymise_cutoff(on: dt.date) -> dt.date:
    from bangfu.registry import lifecycle

    years = lifecycle.anonymise_after_years()
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def due_for_anonymisation(on: dt.date | None = None):
    """Closed, not yet anonymised archives closed before the cutoff (exit date, else the last closure)."""
    from bangfu.registry.models import Closure, Household

    on = on or timezone.localdate()
    last_closure = (
        Closure.objects.filter(household=OuterRef("pk"), reversed_on=None)
        .order_by("-closed_on").values("closed_on")[:1]
    )
    return (
        Household.objects.filter(state__in=ANONYMISED_STATES, anonymised_at=None)
        .annotate(closed_date=Coalesce("exited_on", Subquery(last_closure), Cast("updated_at", DateField())))
        .filter(closed_date__lt=anonymise_cutoff(on))
    )


def anonymise(on: dt.date | None = None, actor=None) -> int:
    """Anonymise every archive due (see the module docstring); returns how many."""
    from bangfu import audit
    from bangfu.registry.models import (
        Appeal,
        Attachment,
        Consent,
        HomeVisit,
        Household,
        Member,
        NoticeObjection,
    )

    ids = list(due_for_anonymisation(on).values_list("pk", flat=True))
    if not ids:
        return 0
    salt = secrets.token_hex(16)  # random per run: the new hashes link to nobody
    now = timezone.now()
    with audit.bulk_job("anonymise_closed_archives", actor=actor, model=Household,
                        parameters={"households": len(ids), "cutoff": str(anonymise_cutoff(on or now.date()))}) as job:
        files = list(Attachment.objects.filter(household_id__in=ids).exclude(file="").values_list("file", flat=True))
        members = Member.objects.filter(household_id__in=ids)
        updated = members.update(
            name=Concat(Substr("name", 1, 1), Value("*"), output_field=CharField()),
            name_initials="", identity_number="", identity_masked="",
            identity_hash=Concat(Value(f"anon:{salt}:"), Cast("pk", CharField()), output_field=CharField()),
            open_identity_hash=None, identity_warnings=[], phone="", phone_masked="", diagnosis="",
            account=None, school_name="", employer_name="", worker_number="", updated_at=now,
        )
        Household.objects.filter(pk__in=ids).update(
            head_name_masked=Concat(Substr("head_name_masked", 1, 1), Value("*"), output_field=CharField()),
            head_name_initials="", address="", bank_name="", bank_account="", bank_account_last4="",
            bank_account_holder="", remarks="",
            anonymised_at=now, updated_at=now,
        )
        Attachment.objects.filter(household_id__in=ids).update(file="", original_name="", sha256="")
        Consent.objects.filter(household_id__in=ids).update(
            signed_by_name=Concat(Substr("signed_by_name", 1, 1), Value("*"), output_field=CharField())
        )
        HomeVisit.objects.filter(household_id__in=ids).update(visitors="", findings="")
        NoticeObjection.objects.filter(notice__household_id__in=ids).update(objector="", content="", outcome_note="")
        Appeal.objects.filter(household_id__in=ids).update(grounds="", decision_reason="")
        job.add(updated=len(ids) + updated)
    # Files go after the commit (a rolled-back job must not lose files); a missing file is fine.
    storage = Attachment._meta.get_field("file").storage
    for name in files:
        try:
            storage.delete(name)
        except OSError:  # pragma: no cover - logged, retried by nobody: the row no longer points at it
            logger.warning("Could not delete an anonymised attachment file")
    return len(ids)


@task(takes_context=True)
def anonymise_closed_archives(context: TaskContext) -> int:
    with _as_task(context):
        count = anonymise()
    logger.info("Anonymised %d closed archives", count)
    return count


def overdue_reviews(on: dt.date | None = None):
    """Active archives whose yearly review is overdue (the lists page filters on the same condition)."""
    from bangfu.registry.models import Household

    on = on or timezone.localdate()
    return Household.objects.filter(state="active", review_due_on__lt=on)


@task(takes_context=True)
def overdue_reviews_report(context: TaskContext) -> dict:
    """How many reviews are overdue, per union (one grouped query)."""
    with _as_task(context):
        rows = overdue_reviews().values("org_id").annotate(n=Count("id")).order_by()
        by_org = {str(r["org_id"]): r["n"] for r in rows}
    return {"overdue": sum(by_org.values()), "by_org": by_org}



