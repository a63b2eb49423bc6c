"""Bulk jobs: one change-log entry per job, every row stamped with the job that wrote it.

    with bulk_job("household_import", actor=request.user, model=Household, parameters={"file": name}) as job:
        rows = job.stamp([Household(...), ...])
        Household.objects.bulk_create(rows)
        job.add(created=len(rows))

The block runs in one transaction (all rows or none). Inside it the action context carries the job id
and per-row change logging is off — `bulk_create`/`bulk_update`/`QuerySet.update` send no signals
anyway, and `save()` on a registered model is skipped too, so a million-row import writes one entry,
not a million. A failed job is recorded as failed (with its error) after its rows were rolled back.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

from django.db import transaction
from django.utils import timezone

from bangfu.core import context

_active_job: ContextVar[int | None] = ContextVar("bangfu_active_job", default=None)


def active_job_id() -> int | None:
    """The id of the bulk job running in this context, if any."""
    return _active_job.get()


@contextlib.contextmanager
def bulk_job(kind: str, actor=None, *, org=None, model=None, parameters: dict | None = None, using: str = "default"):
    """Run a bulk operation as one audited job (see the module docstring).

    `actor` defaults to the user of the action context; `org` to the actor's org; `model` names the
    model the job writes (shown in the log entry).
    """
    from bangfu.audit.models import ChangeLogEntry, Job
    from bangfu.audit.registry import write_entry

    ctx = context.current()
    actor_id = getattr(actor, "pk", None) if actor is not None else ctx.user_id
    org_id = getattr(org, "pk", org) if org is not None else (getattr(actor, "org_id", None) or ctx.org_id)
    job = Job.objects.using(using).create(
        kind=kind,
        actor_id=actor_id,
        actor_username=getattr(actor, "username", None) or ctx.username,
        org_id=org_id,
        source=ctx.source,
        request_id=ctx.request_id,
        task_ref=ctx.job_id,
        parameters={**(parameters or {}), **({"model": model._meta.label} if model is not None else {})},
    )

    def finish(status, error=""):
        job.status = status
        job.finished_at = timezone.now()
        job.error = error
        job.save(using=using)
        changes = {
            name: [None, getattr(job, name)]
            for name in ("kind", "status", "rows_created", "rows_updated", "rows_deleted", "rows_skipped",
                         "parameters", "error")
            if getattr(job, name) not in ("", None)
        }
        with context.acting(job_id=str(job.pk), user_id=actor_id, username=job.actor_username, org_id=org_id):
            write_entry(job, ChangeLogEntry.Action.BULK, changes, using=using)

    token = _active_job.set(job.pk)
    try:
        with transaction.atomic(using=using):
            with context.acting(job_id=str(job.pk)):
                yield job
            _active_job.reset(token)
            token = None
            finish(Job.Status.DONE)
    except BaseException as exc:
        if token is not None:
            _active_job.reset(token)
        job.refresh_from_db(fields=["status"])
        job._stored_status = job.status
        job.rows_created = job.rows_updated = job.rows_deleted = 0  # rolled back with the transaction
        finish(Job.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
