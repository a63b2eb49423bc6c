"""The uploaded file (full identity numbers and bank accounts in plain text) is deleted as soon as no run can need
it; its SHA-256 stays. A job that failed on an error keeps it for "run again" for BANGFU_IMPORT_KEEP_HOURS; after
that the hourly sweep deletes it and "run again" says the file must be uploaded again."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangfu.imports.models import ImportJob
from bangfu.imports.pipeline import run_job, stored_path
from bangfu.imports.services import (
    can_rerun,
    import_job_cancel,
    import_job_create,
    import_job_rerun,
    purge_expired_uploads,
)
from bangfu.imports.tests.helpers import csv_bytes, household_rows, upload
from bangfu.registry.models import Household

pytestmark = pytest.mark.django_db


def create(user, data: bytes, **kwargs) -> ImportJob:
    with translation.override("en"):
        return import_job_create(user, upload(data), enqueue=False, **kwargs)


def assert_deleted(job: ImportJob, data: bytes) -> None:
    job.refresh_from_db()
    assert not stored_path(job).exists()
    assert job.file_deleted_at is not None and not job.file_available
    assert job.file_sha256 == hashlib.sha256(data).hexdigest()


def break_file(job: ImportJob) -> None:
    """The stored file becomes unreadable (as a damaged disk would leave it): the run fails on an error."""
    stored_path(job).write_bytes(b"\x00garbage")


def test_the_digest_is_kept_and_the_file_deleted_after_a_real_import(tree, grassroots_cadre):
    data = csv_bytes(household_rows(1, tree.grassroots.code))
    job = create(grassroots_cadre, data)
    assert job.file_sha256 == hashlib.sha256(data).hexdigest()
    assert stored_path(job).read_bytes() == data  # kept until the worker has run it
    job = run_job(job.pk)
    assert job.state == ImportJob.State.SUCCEEDED and Household.objects.count() == 1
    assert_deleted(job, data)


def test_the_file_is_deleted_after_a_dry_run(tree, grassroots_cadre):
    # The dry-run page offers no "import this file for real" (a real import is a new upload): nothing needs it.
    data = csv_bytes(household_rows(1, tree.grassroots.code))
    job = run_job(create(grassroots_cadre, data, dry_run=True).pk)
    assert job.state == ImportJob.State.SUCCEEDED and job.dry_run
    assert_deleted(job, data)


def test_the_file_is_deleted_after_a_refusal_for_its_rows(tree, grassroots_cadre):
    rows = household_rows(1, tree.grassroots.code)
    rows[1]["birth_date"] = "2099-01-01"
    data = csv_bytes(rows)
    job = run_job(create(grassroots_cadre, data).pk)
    assert (job.state, job.error) == (ImportJob.State.FAILED, "refused")
    assert not can_rerun(job)
    assert_deleted(job, data)


def test_the_file_is_deleted_when_a_queued_or_a_running_job_is_cancelled(tree, grassroots_cadre):
    data = csv_bytes(household_rows(1, tree.grassroots.code))
    queued = create(grassroots_cadre, data)
    assert import_job_cancel(grassroots_cadre, queued).state == ImportJob.State.CANCELLED
    assert_deleted(queued, data)
    running = create(grassroots_cadre, data)
    ImportJob.objects.filter(pk=running.pk).update(cancel_requested=True)  # asked while the worker starts
    assert run_job(running.pk).state == ImportJob.State.CANCELLED
    assert_deleted(running, data)


def test_a_failed_job_keeps_its_file_for_run_again_within_the_retention_period(tree, grassroots_cadre,
                                                                                signed_in_en):
    data = csv_bytes(household_rows(1, tree.grassroots.code))
    job = create(grassroots_cadre, data)
    break_file(job)
    job = run_job(job.pk)
    assert job.state == ImportJob.State.FAILED and job.error not in ("", "refused")
    assert job.file_available and stored_path(job).exists() and can_rerun(job)
    page = signed_in_en(grassroots_cadre).get(f"/imports/jobs/{job.pk}/").content.decode()
    assert "The uploaded file is kept until" in page and f'action="/imports/jobs/{job.pk}/rerun/"' in page
    assert purge_expired_uploads() == {"deleted": [], "orphans": 0}  # within the retention period: kept
    stored_path(job).write_bytes(data)  # the cause is repaired; run it again
    job = run_job(import_job_rerun(grassroots_cadre, job, enqueue=False).pk)
    assert job.state == ImportJob.State.SUCCEEDED and Household.objects.count() == 1
    assert_deleted(job, data)


def test_after_the_retention_period_the_file_is_purged_and_run_again_asks_for_a_new_upload(
        tree, grassroots_cadre, signed_in_en, settings):
    settings.BANGFU_IMPORT_KEEP_HOURS = 6
    data = csv_bytes(household_rows(1, tree.grassroots.code))
    job = create(grassroots_cadre, data)
    break_file(job)
    job = run_job(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(hours=7))
    assert purge_expired_uploads()["deleted"] == [job.pk]
    job.refresh_from_db()
    assert not stored_path(job).exists() and job.file_deleted_at is not None and job.file_sha256
    assert not can_rerun(job)
    page = signed_in_en(grassroots_cadre).get(f"/imports/jobs/{job.pk}/").content.decode()
    assert "The uploaded file was deleted on" in page and "Upload the file again" in page
    assert f'action="/imports/jobs/{job.pk}/rerun/"' not in page  # no "Run again" button
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=grassroots_cadre)[0].key}",
                       HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(f"/api/v1/import-jobs/{job.pk}/rerun/")
    assert response.status_code == 400
    assert "was deleted" in response.json()["fields"]["state"][0]
    body = client.get(f"/api/v1/import-jobs/{job.pk}/").json()
    assert body["can_rerun"] is False and body["file_deleted_at"] and body["file_sha256"] == job.file_sha256
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED  # not queued
    # A worker handed the job anyway (a stale task) fails it with the same words, without reading anything.
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.QUEUED)
    with translation.override("en"):
        again = run_job(job.pk)
    assert again.state == ImportJob.State.FAILED and "was deleted" in again.error


def test_the_sweep_deletes_what_no_run_needs_and_keeps_the_rest(tree, grassroots_cadre, settings):
    settings.BANGFU_IMPORT_KEEP_HOURS = 24
    data = csv_bytes(household_rows(1, tree.grassroots.code))
    now = timezone.now()
    # A worker died between its commit and the deletion: the job succeeded, its file is still there.
    done = create(grassroots_cadre, data)
    ImportJob.objects.filter(pk=done.pk).update(state=ImportJob.State.SUCCEEDED, finished_at=now, file_sha256="")
    recent_failure = create(grassroots_cadre, data)
    ImportJob.objects.filter(pk=recent_failure.pk).update(state=ImportJob.State.FAILED, error="boom",
                                                          finished_at=now - dt.timedelta(hours=23))
    queued = create(grassroots_cadre, data)
    running = create(grassroots_cadre, data)
    ImportJob.objects.filter(pk=running.pk).update(state=ImportJob.State.RUNNING, heartbeat_at=now - dt.timedelta(
        hours=30), started_at=now - dt.timedelta(hours=30))  # stale: the hourly re-queue needs its file
    folder = Path(settings.MEDIA_ROOT) / "imports"
    old_orphan, new_orphan = folder / "old-orphan.upload", folder / "new-orphan.upload"
    for path in (old_orphan, new_orphan):
        path.write_bytes(data)
    old = (now - dt.timedelta(hours=25)).timestamp()
    os.utime(old_orphan, (old, old))

    result = purge_expired_uploads()
    assert result == {"deleted": [done.pk], "orphans": 1}
    done.refresh_from_db()
    assert done.file_sha256 == hashlib.sha256(data).hexdigest()  # computed before the deletion
    assert not old_orphan.exists() and new_orphan.exists()
    for job in (recent_failure, queued, running):
        job.refresh_from_db()
        assert job.file_available and stored_path(job).exists(), job.state
    assert purge_expired_uploads(now=now + dt.timedelta(hours=2))["deleted"] == [recent_failure.pk]


def test_the_sweep_is_an_hourly_task(tree):
    from bangfu.core.scheduler import SCHEDULE, validate_schedule

    assert any(path == "bangfu.imports.tasks.purge_expired_import_files" and cron.split()[1] == "*"
               for cron, path in SCHEDULE)
    validate_schedule()
