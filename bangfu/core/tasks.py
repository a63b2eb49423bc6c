"""Periodic maintenance tasks, enqueued by the scheduler (`bangfu.core.scheduler.SCHEDULE`).

Every task runs under an action context with source "task" and the task result id as job id, so
whatever it changes is audited like a change made in a request. Tasks are idempotent: running
one twice (a retry, a catch-up after downtime) does no harm.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from importlib import import_module

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskContext, task

from bangfu.core import context as action_context

logger = logging.getLogger(__name__)

# Finished task results are kept this long (heartbeats only a day: there is one every few minutes).
TASK_RESULTS_KEEP_DAYS = 30
HEARTBEAT_RESULTS_KEEP_DAYS = 1


@contextlib.contextmanager
def _as_task(ctx: TaskContext):
    with action_context.acting(
        user_id=None, username="", org_id=None, source="task", job_id=str(ctx.task_result.id)
    ) as current:
        yield current


@task(takes_context=True)
def heartbeat(context: TaskContext) -> dict:
    """Record that a task worker is alive and how long this task waited in the queue."""
    from bangfu.core.models import Heartbeat

    with _as_task(context):
        enqueued_at = context.task_result.enqueued_at
        wait = (timezone.now() - enqueued_at).total_seconds() if enqueued_at else None
        detail = {
            "backend": context.task_result.backend,
            "enqueued_at": enqueued_at.isoformat() if enqueued_at else None,
            "queue_wait_seconds": round(wait, 3) if wait is not None else None,
        }
        Heartbeat.objects.beat(Heartbeat.Component.WORKER, **detail)
    return detail


@task(takes_context=True)
def clear_expired_sessions(context: TaskContext) -> int | None:
    """Delete expired sessions (Django's `clearsessions`); returns how many, when the store can tell."""
    with _as_task(context):
        engine = import_module(settings.SESSION_ENGINE)
        store = engine.SessionStore
        expired = None
        if hasattr(store, "get_model_class"):  # database-backed sessions
            expired = store.get_model_class().objects.filter(expire_date__lt=timezone.now()).count()
        store.clear_expired()
    return expired


@task(takes_context=True)
def prune_task_results(context: TaskContext) -> int:
    """Delete finished results of the database task backend (heartbeats after a day, others after 30)."""
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    with _as_task(context):
        aliases = [alias for alias in settings.TASKS if isinstance(task_backends[alias], DatabaseBackend)]
        if not aliases:
            return 0  # Redis keeps results with a TTL of its own
        now = timezone.now()
        finished = DBTaskResult.objects.finished().filter(backend_name__in=aliases)
        deleted, _ = finished.filter(
            task_path=heartbeat.module_path, finished_at__lt=now - dt.timedelta(days=HEARTBEAT_RESULTS_KEEP_DAYS)
        ).delete()
        more, _ = finished.filter(finished_at__lt=now - dt.timedelta(days=TASK_RESULTS_KEEP_DAYS)).delete()
    return deleted + more


@task(takes_context=True)
def backup_database(context: TaskContext) -> dict:
    """Nightly backup of the default database into BACKUP_DIR, keeping the newest BACKUP_KEEP."""
    from bangfu.core import backups

    with _as_task(context):
        backups.log_backup(None, using="default")
        path = backups.create_backup("default")
        pruned = backups.prune_backups(settings.BACKUP_KEEP)
    logger.info("Backup written to %s (%d old backups removed)", path, len(pruned))
    return {"path": str(path), "bytes": path.stat().st_size, "pruned": [p.name for p in pruned]}
