"""Periodic work: the registry of what runs when, and the scheduler process that enqueues it.

`SCHEDULE` lists `(crontab expression, dotted path of a @task)`, read in Asia/Shanghai time.
Later apps add their periodic checks (deadlines, reviews, escalations) from `AppConfig.ready()`:

    from bangfu.core.scheduler import register
    register("0 8 * * *", "bangfu.assistance.tasks.flag_overdue_visits")

`manage.py run_scheduler` runs APScheduler's BlockingScheduler with one CronTrigger per entry. A
firing only *enqueues* the task on the configured task backend; workers run it. The scheduler
never runs task code itself, so it stays small and a slow task cannot delay the others.

Exactly one scheduler may run per database (otherwise every task would be enqueued twice), so it
holds a lock for its whole life: a PostgreSQL advisory lock, a Redis lock when TASK_BACKEND=redis
(schedulers on several machines), or an flock on `var/scheduler.lock` for SQLite. The lock is
checked every few seconds; a scheduler that lost it stops with a non-zero exit code.

Missed runs are caught up at start: entries that should have fired since the scheduler's last
heartbeat (at most `CATCH_UP_LIMIT` ago) are enqueued once each — so a laptop that was off at
02:30 still makes its nightly backup when started in the morning.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

logger = logging.getLogger(__name__)

TIME_ZONE = ZoneInfo("Asia/Shanghai")
LOCK_CHECK_SECONDS = 15
CATCH_UP_LIMIT = dt.timedelta(hours=24)

# Enqueued once whenever a scheduler starts, so the platform shows scheduler and worker alive at once.
STARTUP_TASKS = ["bangfu.core.tasks.heartbeat"]

SCHEDULE: list[tuple[str, str]] = [
    ("*/5 * * * *", "bangfu.core.tasks.heartbeat"),
    ("17 * * * *", "bangfu.core.tasks.clear_expired_sessions"),
    ("30 2 * * *", "bangfu.core.tasks.backup_database"),
    ("45 3 * * *", "bangfu.core.tasks.prune_task_results"),
]


def trigger_for(cron: str) -> CronTrigger:
    """The CronTrigger of a five-field crontab expression, in Beijing time (ValueError when invalid)."""
    return CronTrigger.from_crontab(cron, timezone=TIME_ZONE)


def load_task(task_path: str) -> Task:
    task = import_string(task_path)
    if not isinstance(task, Task):
        raise TypeError(f"{task_path} is not a task (decorate it with django_tasks.task)")
    return task


def register(cron: str, task_path: str) -> None:
    """Add an entry to the schedule (idempotent; the expression is validated at once)."""
    trigger_for(cron)
    if (cron, task_path) not in SCHEDULE:
        SCHEDULE.append((cron, task_path))


def validate_schedule(schedule: Iterable[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """Every entry must parse and point at a task; raises with the offending entry otherwise."""
    entries = list(SCHEDULE if schedule is None else schedule)
    for cron, task_path in entries:
        try:
            trigger_for(cron)
            load_task(task_path)
        except (ValueError, TypeError, ImportError) as error:
            raise ValueError(f"Bad schedule entry ({cron!r}, {task_path!r}): {error}") from error
    return entries


def enqueue_scheduled(task_path: str):
    """Enqueue one scheduled task (never run it here) and record that the scheduler is alive."""
    from bangfu.core.models import Heartbeat

    _refresh_connections()
    try:
        result = load_task(task_path).enqueue()
        Heartbeat.objects.beat(Heartbeat.Component.SCHEDULER, last_task=task_path, last_result=str(result.id))
        logger.info("Enqueued %s as %s", task_path, result.id)
        return result
    finally:
        _refresh_connections()


def _refresh_connections() -> None:
    """Drop connections the server closed or that outlived CONN_MAX_AGE (the scheduler's threads live
    long) — like Django does around each request, but never one in the middle of a transaction."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def due_between(
    since: dt.datetime, until: dt.datetime, schedule: Iterable[tuple[str, str]] | None = None
) -> list[tuple[str, str, dt.datetime]]:
    """Entries with a fire time in (since, until], each once with its first such time."""
    due = []
    for cron, task_path in SCHEDULE if schedule is None else schedule:
        fire = trigger_for(cron).get_next_fire_time(None, since + dt.timedelta(microseconds=1))
        if fire is not None and fire <= until:
            due.append((cron, task_path, fire))
    return due


def enqueue_due(since: dt.datetime, until: dt.datetime, schedule: Iterable[tuple[str, str]] | None = None) -> list:
    """One scheduling pass without waiting: enqueue each entry due in (since, until] once."""
    return [enqueue_scheduled(task_path) for _cron, task_path, _fire in due_between(since, until, schedule)]


def catch_up(now: dt.datetime | None = None, limit: dt.timedelta = CATCH_UP_LIMIT) -> list:
    """Enqueue what should have run while no scheduler was running (bounded by `limit`)."""
    from bangfu.core.models import Heartbeat

    now = now or timezone.now()
    last = Heartbeat.objects.filter(component=Heartbeat.Component.SCHEDULER).values_list("last_seen", flat=True)
    last = last.first()
    if last is None:
        return []
    return enqueue_due(max(last, now - limit), now)


def build_scheduler(lock=None, schedule: Iterable[tuple[str, str]] | None = None) -> BlockingScheduler:
    """A BlockingScheduler (not started) with one cron job per entry and, given a lock, its watchdog."""
    scheduler = BlockingScheduler(
        timezone=TIME_ZONE,
        executors={"default": ThreadPoolExecutor(2)},
        # One enqueue per missed window, never two copies of the same entry at once.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    scheduler.lost_lock = False
    for cron, task_path in validate_schedule(schedule):
        scheduler.add_job(
            enqueue_scheduled, trigger_for(cron), args=[task_path], id=f"{task_path} {cron}", name=task_path
        )
    if lock is not None:
        scheduler.add_job(
            _watch_lock,
            IntervalTrigger(seconds=LOCK_CHECK_SECONDS, timezone=TIME_ZONE),
            args=[scheduler, lock],
            id="scheduler-lock",
            name="scheduler lock watchdog",
        )
    return scheduler


def _watch_lock(scheduler: BlockingScheduler, lock) -> None:
    if not lock.check():
        logger.error("The scheduler lost its lock (%s); stopping so that another one can take over.", lock)
        scheduler.lost_lock = True
        scheduler.shutdown(wait=False)


# --- The single-scheduler lock ---------------------------------------------------------------


class FileLock:
    """An flock on a file under var/ (SQLite: everything runs on one machine). Released by the OS on exit."""

    def __init__(self, path):
        self.path = str(path)
        self._fd: int | None = None

    def __str__(self) -> str:
        return f"file lock {self.path}"

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def check(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class PostgresAdvisoryLock:
    """A session-level advisory lock on a dedicated connection; the server drops it if we die."""

    KEY = 0x42414E4746550001  # "BANGFU" + 1: scoped to the current database by PostgreSQL

    def __init__(self, settings_dict: dict):
        self.settings_dict = dict(settings_dict)
        self._connection = None

    def __str__(self) -> str:
        return f"PostgreSQL advisory lock {self.KEY} on {self.settings_dict['NAME']}"

    def acquire(self) -> bool:
        from django.db.utils import load_backend

        self._connection = load_backend(self.settings_dict["ENGINE"]).DatabaseWrapper(
            self.settings_dict, "__bangfu_scheduler_lock__"
        )
        with self._connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [self.KEY])
            acquired = cursor.fetchone()[0]
        if not acquired:
            self._connection.close()
            self._connection = None
        return bool(acquired)

    def check(self) -> bool:
        if self._connection is None:
            return False
        try:
            with self._connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()"
                )
                return cursor.fetchone()[0] > 0
        except Exception:  # the connection is gone, and the lock with it
            logger.exception("Checking the scheduler lock failed")
            return False

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()  # closing the session releases the lock
            finally:
                self._connection = None


class RedisLock:
    """A Redis lock with a time-to-live, renewed by the watchdog; for schedulers on several machines."""

    def __init__(self, url: str, name: str = "bangfu:scheduler-lock", ttl: int = 4 * LOCK_CHECK_SECONDS):
        import redis

        self.name = name
        # thread_local=False: the watchdog renews the lock from a worker thread of the scheduler.
        self._lock = redis.Redis.from_url(url).lock(name, timeout=ttl, blocking=False, thread_local=False)

    def __str__(self) -> str:
        return f"Redis lock {self.name}"

    def acquire(self) -> bool:
        return bool(self._lock.acquire(blocking=False))

    def check(self) -> bool:
        from redis.exceptions import LockError, RedisError

        try:
            self._lock.reacquire()  # back to the full TTL, only if we still own it
            return True
        except (LockError, RedisError):
            logger.exception("Renewing the scheduler lock failed")
            return False

    def release(self) -> None:
        from redis.exceptions import LockError, RedisError

        # Expired or taken over: then there is nothing of ours to release.
        with contextlib.suppress(LockError, RedisError):
            self._lock.release()


def scheduler_lock(using: str = "default"):
    """The lock that fits this deployment (see the module docstring)."""
    if getattr(settings, "TASK_BACKEND", "database") == "redis":
        return RedisLock(settings.REDIS_URL, name=f"bangfu:scheduler-lock:{connections[using].settings_dict['NAME']}")
    if connections[using].vendor == "postgresql":
        return PostgresAdvisoryLock(connections[using].settings_dict)
    return FileLock(settings.VAR_DIR / "scheduler.lock")
