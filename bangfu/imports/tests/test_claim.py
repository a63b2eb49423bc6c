"""One worker per job: `run_job` claims the job in one conditional UPDATE (queued, or running without a sign of life)
and does nothing when another worker holds it; a live job's heartbeat stays fresh through its long phases, so the
stale detector does not re-queue it."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from bangfu.audit.models import Job as AuditJob
from bangfu.imports import merge as M
from bangfu.imports import services
from bangfu.imports.liveness import claim
from bangfu.imports.models import ImportedHousehold, ImportJob, StagedRow
from bangfu.imports.pipeline import run_job, stored_path
from bangfu.imports.services import import_job_create, requeue_stale_jobs
from bangfu.imports.tests.helpers import csv_bytes, household_rows, upload
from bangfu.registry.models import Household


def _queued(tree, user) -> ImportJob:
    return import_job_create(user, upload(csv_bytes(household_rows(1, tree.grassroots.code))), enqueue=False)


@pytest.mark.django_db
def test_a_job_claimed_by_a_live_worker_is_not_run_a_second_time(tree, grassroots_cadre):
    job = _queued(tree, grassroots_cadre)
    assert claim(job.pk) == 1  # the first worker
    # What that worker has staged so far (a second run would discard it and start again).
    StagedRow.objects.create(job_id=job.pk, row_no=2)
    ImportJob.objects.filter(pk=job.pk).update(rows_read=1)
    assert claim(job.pk) is None  # a second worker (the task delivered twice) gets nothing
    again = run_job(job.pk)
    assert (again.state, again.attempts, again.rows_read) == (ImportJob.State.RUNNING, 1, 1)
    assert StagedRow.objects.filter(job_id=job.pk).count() == 1  # the live worker's rows were not discarded
    assert Household.objects.count() == 0
    assert stored_path(again).exists()  # and its file is still there for it


@pytest.mark.django_db
def test_a_stale_job_is_claimed_and_run_again(tree, grassroots_cadre):
    job = _queued(tree, grassroots_cadre)
    long_ago = timezone.now() - dt.timedelta(seconds=services.stale_after_seconds() + 60)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING, attempts=1, started_at=long_ago,
                                               heartbeat_at=long_ago)
    StagedRow.objects.create(job_id=job.pk, row_no=2)  # the dead worker's half-done staging
    done = run_job(job.pk)
    assert (done.state, done.attempts, done.households_created) == (ImportJob.State.SUCCEEDED, 2, 1), done.error
    assert Household.objects.count() == 1
    assert run_job(job.pk).attempts == 2  # finished: nothing claims it any more


@pytest.mark.django_db
def test_a_cancelled_queued_job_cannot_be_claimed(tree, grassroots_cadre):
    job = _queued(tree, grassroots_cadre)
    services.import_job_cancel(grassroots_cadre, job)
    assert claim(job.pk) is None
    assert run_job(job.pk).state == ImportJob.State.CANCELLED


@pytest.mark.django_db
def test_a_run_taken_over_during_its_merge_writes_nothing(tree, grassroots_cadre, monkeypatch):
    real_merge = M.merge

    def taken_over(job, user, cursor):
        # This run was taken for dead and another worker claimed the job (attempt 2) while it merged.
        ImportJob.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1, heartbeat_at=timezone.now())
        return real_merge(job, user, cursor)

    monkeypatch.setattr(M, "merge", taken_over)
    job = _queued(tree, grassroots_cadre)
    stopped = run_job(job.pk)
    # Not marked succeeded, nor failed: the job is the other worker's. (In this test the takeover is written on the
    # same connection, inside the merge's transaction, so it is rolled back with it; a real claim commits apart.)
    assert stopped.state == ImportJob.State.RUNNING
    assert Household.objects.count() == 0 and not ImportedHousehold.objects.exists()  # the merge rolled back
    assert not AuditJob.objects.filter(kind="archive_import").exists()
    assert stored_path(stopped).exists()  # the other worker needs the file


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_stays_fresh_through_a_long_merge(tree, grassroots_cadre, settings, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the heartbeat thread runs on PostgreSQL only (SQLite allows one writer at a time)")
    settings.BANGFU_IMPORT_STALE_SECONDS = 2
    seen = {}
    real_merge = M.merge

    def slow_merge(job, user, cursor):
        # The merge's transaction is open; the job's own connection could not show a sign of life now.
        started = timezone.now()
        time.sleep(3)  # longer than BANGFU_IMPORT_STALE_SECONDS
        beat = ImportJob.objects.get(pk=job.pk)  # READ COMMITTED: the heartbeat thread's commits are visible
        seen.update(stale=services.is_stale(beat), beat_after_start=beat.heartbeat_at > started)
        return real_merge(job, user, cursor)

    monkeypatch.setattr(M, "merge", slow_merge)
    job = _queued(tree, grassroots_cadre)
    done = run_job(job.pk, workers=1)
    assert done.state == ImportJob.State.SUCCEEDED, done.error
    assert seen == {"stale": False, "beat_after_start": True}
    # And the hourly sweep, had it run during the merge, would not have re-queued it.
    assert requeue_stale_jobs(enqueue=False) == {"requeued": [], "failed": []}
