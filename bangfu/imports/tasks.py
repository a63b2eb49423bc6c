"""Background tasks of the imports app (django-tasks).

* `run_import(job_id)`: runs one job (queued by an upload, the page's or the API's "Run again").
* `requeue_stale_imports()`: hourly (registered in apps.py through `bangfu.core.scheduler.register`), re-queues
  the jobs whose worker died half-way (kill -9, OOM, restart); idempotent.
* `purge_expired_import_files()`: hourly, deletes the uploads no run can need any more (a failed job's after
  BANGFU_IMPORT_KEEP_HOURS; a finished job's that its worker did not delete; files no job holds).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_tasks import TaskContext, task

from bangfu.core.tasks import _as_task


def register_schedule() -> None:
    from bangfu.core.scheduler import register

    register("23 * * * *", "bangfu.imports.tasks.requeue_stale_imports")
    register("53 * * * *", "bangfu.imports.tasks.purge_expired_import_files")


def register_timeline() -> None:
    """The household timeline's row for "imported by job N" (written in bulk by the merge)."""
    from bangfu.registry.models.timeline import register_kind

    def describe(detail: dict) -> str:
        action = (detail or {}).get("action")
        text = _("created") if action == "created" else _("updated")
        return str(_("Archive %(action)s by import job #%(job)s") % {"action": text, "job": (detail or {}).get("job")})

    register_kind("imported", _("Imported from a file"), describe=describe, group="archive")


@task(takes_context=True)
def run_import(context: TaskContext, job_id: int) -> dict:
    from bangfu.imports.pipeline import run_job

    job = run_job(job_id)
    return {"job": job.pk, "state": job.state}


@task(takes_context=True)
def requeue_stale_imports(context: TaskContext) -> dict:
    from bangfu.imports.services import requeue_stale_jobs

    with _as_task(context):
        return requeue_stale_jobs()


@task(takes_context=True)
def purge_expired_import_files(context: TaskContext) -> dict:
    from bangfu.imports.services import purge_expired_uploads

    with _as_task(context):
        return purge_expired_uploads()
