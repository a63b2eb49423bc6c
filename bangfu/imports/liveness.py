"""One worker per import job, and its sign of life.

`claim(job_id)` takes a job for the calling worker in one conditional UPDATE; `Heartbeat` keeps the job's
`heartbeat_at` fresh from a thread of its own while the long phases run, so that the stale detector
(`services.is_stale`, BANGFU_IMPORT_STALE_SECONDS) re-queues only a job whose worker really died.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from django.db import DatabaseError, connection, connections
from django.db.models import F, Q
from django.utils import timezone

from bangfu.imports import services
from bangfu.imports.models import ImportJob

logger = logging.getLogger(__name__)


def claim(job_id: int) -> int | None:
    """Take the job for this worker: one conditional UPDATE (queued, or running without a sign of life for
    `stale_after_seconds`) -> running with a fresh heartbeat. Two workers given the same job (the hourly re-queue
    and the original, a task delivered twice) cannot both match it; the loser gets None and does nothing.
    Returns the attempt number, which the heartbeat uses to beat only for its own run."""
    now = timezone.now()
    # A stale job past MAX_ATTEMPTS is the hourly sweep's to fail, not a worker's to try once more.
    claimable = Q(state=ImportJob.State.QUEUED) | (services.stale_filter(now)
                                                   & Q(attempts__lt=services.MAX_ATTEMPTS))
    if not ImportJob.objects.filter(claimable, pk=job_id).update(
            state=ImportJob.State.RUNNING, started_at=now, heartbeat_at=now, rows_read=0, error="", preview=[],
            attempts=F("attempts") + 1):
        return None
    return ImportJob.objects.filter(pk=job_id).values_list("attempts", flat=True).get()


class Heartbeat:
    """Keeps `heartbeat_at` fresh from a thread of its own, on its own connection, while the long phases run (the
    set checks and the merge are single statements or one transaction: the job's own connection cannot show a
    sign of life during them, and the stale detector would re-queue a live job).

    PostgreSQL only, outside a caller's transaction: a second SQLite connection writing while the merge holds the
    write lock would wait or fail, so on SQLite the heartbeat is written between chunks and phases only. Stopped
    around the fork of the worker processes (a forked child must not inherit a thread's connection); while they
    run, the parent beats per block."""

    def __init__(self, job_id: int, attempt: int):
        self.job_id, self.attempt = job_id, attempt
        self.interval = max(0.2, services.stale_after_seconds() / 4)
        self.enabled = connection.vendor == "postgresql" and not connection.in_atomic_block
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        if not self.enabled or self._thread is not None:
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(self._stop,), name=f"import-{self.job_id}-beat",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    @contextlib.contextmanager
    def paused(self):
        self.stop()
        try:
            yield
        finally:
            self.start()

    def _loop(self, stop: threading.Event) -> None:
        try:
            while not stop.wait(self.interval):
                try:
                    # Only while this run owns the job: a job re-claimed by another worker is not kept alive.
                    ImportJob.objects.filter(pk=self.job_id, state=ImportJob.State.RUNNING,
                                             attempts=self.attempt).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    logger.warning("import job %s: heartbeat not written", self.job_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's connection
