"""Background tasks on the database worker and on Redis (RQ), and the periodic scheduler's registry and lock."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
import uuid
from io import StringIO

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from bangfu.core import scheduler as sched
from bangfu.core.models import Heartbeat
from bangfu.core.tasks import clear_expired_sessions, heartbeat

IN_CI = os.environ.get("CI", "").lower() == "true"
SHANGHAI = sched.TIME_ZONE
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def db_backend(settings):
    settings.TASKS = DB_TASKS


@pytest.fixture
def restore_process_state():
    """Workers run in-process here install signal handlers and set log levels: put them back."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    loggers = {name: logging.getLogger(name).level for name in ("django_tasks", "django_tasks_db")}
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    for name, level in loggers.items():
        logging.getLogger(name).setLevel(level)


def run_db_worker():
    call_command(
        "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--queue-name", "default", stdout=StringIO()
    )


# --- The database worker ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_db_worker_runs_the_heartbeat(db_backend, restore_process_state):
    result = heartbeat.enqueue()
    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.READY
    assert not Heartbeat.objects.filter(component=Heartbeat.Component.WORKER).exists()

    run_db_worker()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    beat = Heartbeat.objects.get(component=Heartbeat.Component.WORKER)
    assert beat.pid == os.getpid()
    assert beat.detail["backend"] == "default"
    assert beat.detail["queue_wait_seconds"] >= 0
    assert Heartbeat.objects.status()["worker"]["alive"] is True
    assert Heartbeat.objects.status()["scheduler"]["alive"] is False  # no scheduler ran


@pytest.mark.django_db(transaction=True)
def test_db_worker_clears_only_expired_sessions(db_backend, restore_process_state):
    live = SessionStore()
    live["x"] = 1
    live.create()
    for _ in range(3):
        expired = SessionStore()
        expired.create()
        Session.objects.filter(session_key=expired.session_key).update(
            expire_date=timezone.now() - dt.timedelta(minutes=1)
        )
    result = clear_expired_sessions.enqueue()
    assert Session.objects.count() == 4  # enqueued, not run

    run_db_worker()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 3
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


# --- The same task on Redis (RQ) -------------------------------------------------------------


@pytest.fixture
def redis_url(settings):
    import redis

    url = settings.REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if IN_CI:
            pytest.fail(f"Redis is required under CI=true but {url} is not reachable: {error}")
        pytest.skip(f"Redis is not reachable at {url} ({error}); start it as DEVELOPERS.md says")
    return url


@pytest.mark.django_db
def test_rq_worker_runs_the_heartbeat(settings, redis_url, restore_process_state):
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker

    # A queue of its own, so parallel runs never take each other's jobs.
    queue_name = f"bangfu-test-{uuid.uuid4().hex[:10]}"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [queue_name]}}
    # django_tasks_rq fetches results through django_rq's "default" connection, so that one must exist too.
    settings.RQ_QUEUES = {name: {"URL": redis_url, "DEFAULT_TIMEOUT": 60} for name in ("default", queue_name)}
    queue = django_rq.get_queue(queue_name, job_class=Job)
    try:
        result = heartbeat.using(queue_name=queue_name).enqueue()
        assert result.backend == "default"
        assert heartbeat.get_backend().get_result(result.id).status == TaskResultStatus.READY
        assert not Heartbeat.objects.filter(component=Heartbeat.Component.WORKER).exists()

        worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
        assert worker.work(burst=True)

        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
        assert result.return_value["backend"] == "default"
        beat = Heartbeat.objects.get(component=Heartbeat.Component.WORKER)
        assert beat.detail["enqueued_at"] == result.return_value["enqueued_at"]
    finally:
        for job_id in queue.get_job_ids() + queue.finished_job_registry.get_job_ids():
            job = queue.fetch_job(job_id)
            if job is not None:
                job.delete()
        for key in queue.connection.scan_iter(f"*{queue_name}*"):
            queue.connection.delete(key)
        queue.connection.srem("rq:queues", queue.key)
        for key in queue.connection.scan_iter("rq:worker*"):
            if queue_name.encode() in (queue.connection.hget(key, "queues") or b""):
                queue.connection.delete(key)


# --- The schedule ----------------------------------------------------------------------------


@pytest.fixture
def schedule(monkeypatch):
    """A private copy of the registry, so registering in a test leaves the real one alone."""
    entries = list(sched.SCHEDULE)
    monkeypatch.setattr(sched, "SCHEDULE", entries)
    return entries


def test_every_entry_is_a_task_with_a_valid_cron():
    entries = sched.validate_schedule()
    paths = [path for _cron, path in entries]
    assert "bangfu.core.tasks.backup_database" in paths
    assert "bangfu.core.tasks.heartbeat" in paths
    assert len(set(entries)) == len(entries)


def test_register_validates_and_is_idempotent(schedule):
    with pytest.raises(ValueError):
        sched.register("61 * * * *", "bangfu.core.tasks.heartbeat")
    sched.register("0 8 * * 1-5", "bangfu.core.tasks.heartbeat")
    sched.register("0 8 * * 1-5", "bangfu.core.tasks.heartbeat")
    assert schedule.count(("0 8 * * 1-5", "bangfu.core.tasks.heartbeat")) == 1
    # Something that is not a task is refused when the scheduler validates its registry.
    schedule.append(("0 8 * * *", "bangfu.core.scheduler.trigger_for"))
    with pytest.raises(ValueError, match="trigger_for"):
        sched.validate_schedule()


def test_triggers_fire_in_beijing_time():
    scheduler = sched.build_scheduler()
    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert set(jobs) == {path for _cron, path in sched.SCHEDULE}
    # 03:00 on 1 October in Beijing is 19:00 UTC the day before.
    now = dt.datetime(2025, 9, 30, 19, 0, tzinfo=dt.UTC)
    backup = jobs["bangfu.core.tasks.backup_database"].trigger.get_next_fire_time(None, now)
    assert backup == dt.datetime(2025, 10, 2, 2, 30, tzinfo=SHANGHAI)
    assert backup.astimezone(dt.UTC) == dt.datetime(2025, 10, 1, 18, 30, tzinfo=dt.UTC)
    beat = jobs["bangfu.core.tasks.heartbeat"].trigger
    assert beat.get_next_fire_time(None, now) == dt.datetime(2025, 10, 1, 3, 0, tzinfo=SHANGHAI)  # inclusive
    assert beat.get_next_fire_time(None, now + dt.timedelta(seconds=1)) == dt.datetime(
        2025, 10, 1, 3, 5, tzinfo=SHANGHAI
    )


@pytest.mark.django_db
def test_a_scheduling_pass_enqueues_without_running(db_backend, settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    since = dt.datetime(2025, 10, 1, 2, 0, tzinfo=SHANGHAI)
    results = sched.enqueue_due(since, since + dt.timedelta(minutes=45))

    paths = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths == [
        "bangfu.care.tasks.escalate_crisis_cases",  # every 5 minutes (coalesced: once, not nine times)
        "bangfu.core.tasks.backup_database",  # 02:30
        "bangfu.core.tasks.clear_expired_sessions",  # 02:17
        "bangfu.core.tasks.heartbeat",  # 02:05 (coalesced: once, not nine times)
        "bangfu.imports.tasks.requeue_stale_imports",  # hourly at :23
        "bangfu.services.tasks.escalate_service_requests",  # hourly at :10
        "bangfu.stats.tasks.compact_rollups",  # every minute (coalesced: once)
    ]
    assert {r.id for r in results} == {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {TaskResultStatus.READY}
    # Nothing ran inline: no worker heartbeat, no backup file.
    assert not Heartbeat.objects.filter(component=Heartbeat.Component.WORKER).exists()
    assert not settings.BACKUP_DIR.exists() or not any(settings.BACKUP_DIR.iterdir())
    scheduler_beat = Heartbeat.objects.get(component=Heartbeat.Component.SCHEDULER)
    assert scheduler_beat.detail["last_task"].startswith(
        ("bangfu.core.tasks.", "bangfu.care.tasks.", "bangfu.imports.tasks.", "bangfu.services.tasks.",
         "bangfu.stats.tasks.")
    )


@pytest.mark.django_db
def test_each_job_of_the_scheduler_enqueues_its_task(db_backend):
    scheduler = sched.build_scheduler()
    for job in scheduler.get_jobs():
        job.func(*job.args, **job.kwargs)  # what a firing does
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == sorted(
        path for _cron, path in sched.SCHEDULE
    )


@pytest.mark.django_db
def test_catch_up_after_downtime(db_backend):
    assert sched.catch_up() == []  # never ran: nothing to catch up
    Heartbeat.objects.beat(Heartbeat.Component.SCHEDULER)
    Heartbeat.objects.update(last_seen=dt.datetime(2025, 10, 1, 1, 0, tzinfo=SHANGHAI))
    sched.catch_up(now=dt.datetime(2025, 10, 1, 9, 0, tzinfo=SHANGHAI))
    # Down 01:00–09:00: every entry fired at least once in that window; each is enqueued once.
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == sorted(
        path for _cron, path in sched.SCHEDULE
    )


@pytest.mark.django_db
def test_catch_up_is_bounded(db_backend, schedule):
    schedule[:] = [("0 12 1 1 *", "bangfu.core.tasks.heartbeat")]  # yearly, 1 January at noon
    Heartbeat.objects.beat(Heartbeat.Component.SCHEDULER)
    Heartbeat.objects.update(last_seen=dt.datetime(2024, 12, 1, tzinfo=SHANGHAI))
    assert sched.catch_up(now=dt.datetime(2025, 3, 1, tzinfo=SHANGHAI)) == []  # missed, but long ago
    assert len(sched.catch_up(now=dt.datetime(2025, 1, 1, 18, 0, tzinfo=SHANGHAI))) == 1


# --- One scheduler at a time -----------------------------------------------------------------


def test_file_lock_admits_one_scheduler(tmp_path):
    first, second = sched.FileLock(tmp_path / "s.lock"), sched.FileLock(tmp_path / "s.lock")
    assert first.acquire()
    assert not second.acquire()
    assert first.check() and not second.check()
    first.release()
    assert not first.check()
    assert second.acquire()
    second.release()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks: PostgreSQL runs only")
def test_postgres_advisory_lock_admits_one_scheduler_and_notices_loss():
    first = sched.PostgresAdvisoryLock(connection.settings_dict)
    second = sched.PostgresAdvisoryLock(connection.settings_dict)
    assert first.acquire()
    try:
        assert not second.acquire()
        assert first.check()
        # The lock's session is killed (server restart, network): the watchdog must notice.
        with first._connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert not first.check()
        assert second.acquire()
    finally:
        first.release()
        second.release()


def test_redis_lock_admits_one_scheduler_and_notices_loss(redis_url):
    name = f"bangfu:test-lock:{uuid.uuid4().hex}"
    first, second = sched.RedisLock(redis_url, name=name), sched.RedisLock(redis_url, name=name)
    try:
        assert first.acquire()
        assert not second.acquire()
        assert first.check()
        first._lock.redis.delete(name)  # expired while the scheduler hung
        assert second.acquire()
        assert not first.check()  # it must not renew a lock another scheduler now owns
        assert second.check()
    finally:
        first.release()
        second.release()


@pytest.mark.django_db
def test_second_scheduler_refuses_to_start(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    held = sched.scheduler_lock()
    assert held.acquire()
    try:
        with pytest.raises(CommandError, match="already running"):
            call_command("run_scheduler", stdout=StringIO())
    finally:
        held.release()


def test_scheduler_stops_when_it_loses_its_lock(tmp_path):
    lock = sched.FileLock(tmp_path / "s.lock")
    assert lock.acquire()
    scheduler = sched.build_scheduler(lock, schedule=[])
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    try:
        sched._watch_lock(scheduler, lock)  # still held: nothing happens
        assert not scheduler.lost_lock
        lock.release()
        sched._watch_lock(scheduler, lock)
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert scheduler.lost_lock
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
