"""Named write functions of the imports app: create (upload), cancel and run again a job; the life of the
uploaded file (kept only while a run or a "run again" may need it, see `release_upload`)."""

from __future__ import annotations

import datetime
import hashlib
import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bangfu.imports import normalise as N
from bangfu.imports import reader
from bangfu.imports.models import ImportJob

logger = logging.getLogger(__name__)
KEEP_HOURS = 24


def max_upload_bytes() -> int:
    return int(getattr(settings, "BANGFU_IMPORT_MAX_MB", 100)) * 1024 * 1024


def _store(uploaded) -> tuple[Path, str]:
    """Write the upload under MEDIA_ROOT/imports/; returns its path and SHA-256 (hex), computed on the way."""
    name = f"imports/{uuid.uuid4().hex}.upload"
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        if hasattr(uploaded, "chunks"):
            blocks = uploaded.chunks()
        else:
            uploaded.seek(0)
            blocks = iter(lambda: uploaded.read(1 << 20), b"")
        for block in blocks:
            digest.update(block)
            out.write(block)
    return path, digest.hexdigest()


def check_file(path: Path, name: str) -> reader.Sniffed:
    """The checks made before a job is queued: real type, encoding, the template's header row."""
    sniffed = reader.sniff(path, name)
    try:
        rows = reader.open_rows(path, sniffed.kind, sniffed.encoding)
        N.find_header(rows)
    except N.HeaderError as error:
        raise ValidationError(
            _("This is not the import template: the columns %(missing)s were not found in the first rows. "
              "Download the template from the import page and copy your data into it.")
            % {"missing": "、".join(error.missing)}, code="template",
        ) from None
    except UnicodeDecodeError:
        raise ValidationError(_("The CSV file is neither UTF-8 nor GBK text: save it as “CSV UTF-8”."),
                              code="encoding") from None
    except Exception:  # noqa: BLE001 - a damaged workbook: one clear message, no 500
        raise ValidationError(_("The file could not be read: it may be damaged. Save it again from Excel."),
                              code="unreadable") from None
    return sniffed


def import_job_create(user, uploaded, *, mode: str = ImportJob.Mode.ALL_OR_NOTHING, dry_run: bool = False,
                      enqueue: bool = True) -> ImportJob:
    """Check the upload and queue its import; ValidationError (field "file" or "mode") on refusal."""
    if uploaded is None:
        raise ValidationError({"file": [_("Choose a file to upload.")]})
    if mode not in ImportJob.Mode.values:
        raise ValidationError({"mode": [_("Choose a mode.")]})
    size = getattr(uploaded, "size", None) or 0
    if size > max_upload_bytes():
        raise ValidationError({"file": [_("The file is larger than %(mb)d MB: split it into several files.")
                                        % {"mb": max_upload_bytes() // (1024 * 1024)}]})
    path, sha256 = _store(uploaded)
    try:
        sniffed = check_file(path, uploaded.name)
    except ValidationError as error:
        path.unlink(missing_ok=True)
        raise ValidationError({"file": error.messages}) from None
    with transaction.atomic():
        job = ImportJob.objects.create(
            org=user.org, created_by=user, file=str(path.relative_to(settings.MEDIA_ROOT)), file_sha256=sha256,
            original_name=Path(uploaded.name).name[:255], kind=sniffed.kind, encoding=sniffed.encoding,
            size=path.stat().st_size, mode=mode, dry_run=bool(dry_run),
            language=translation.get_language() or settings.LANGUAGE_CODE,
            rows_total=max(reader.count_lines(path, sniffed.kind) - 1, 0),
        )
        if enqueue:
            from bangfu.imports.tasks import run_import

            transaction.on_commit(lambda: run_import.enqueue(job.pk))
    return job


def import_job_cancel(user, job: ImportJob) -> ImportJob:
    """Ask a queued or running job to stop; it rolls back and ends as cancelled."""
    if job.is_finished:
        raise ValidationError({"state": [_("This import has already finished.")]})
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    if job.state == ImportJob.State.QUEUED:
        # Exclusive with the worker's claim (queued -> running): whichever update matches first wins.
        ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.QUEUED).update(
            state=ImportJob.State.CANCELLED, finished_at=timezone.now())
    job.refresh_from_db()
    release_upload(job)  # cancelled before it ran: a cancelled job cannot be run again
    return job


# --- The uploaded file: full identity numbers and bank accounts in plain text ---------------------------------

def keep_hours() -> float:
    """Hours a failed job keeps its file for "run again" (BANGFU_IMPORT_KEEP_HOURS, default 24)."""
    return float(getattr(settings, "BANGFU_IMPORT_KEEP_HOURS", KEEP_HOURS))


def _rerunnable_failure() -> Q:
    """A job that failed on an error of the platform (not refused for its rows): "run again" may need its file."""
    return Q(state=ImportJob.State.FAILED) & ~Q(error__in=("", "refused"))


def _delete_file(job_id: int, condition: Q) -> bool:
    """Mark the job's file deleted if `condition` still holds (one conditional UPDATE, so it is exclusive with
    "run again", which requires the file), then delete it. Returns whether this call deleted it."""
    job = ImportJob.objects.filter(pk=job_id).only("file", "file_sha256").first()
    if job is None or not job.file:
        return False
    path = Path(settings.MEDIA_ROOT) / job.file
    fields = {"file_deleted_at": timezone.now()}
    if not job.file_sha256 and path.is_file():  # a job uploaded before the digest was kept
        fields["file_sha256"] = _sha256(path)
    if not ImportJob.objects.filter(condition, pk=job_id, file_deleted_at__isnull=True).update(**fields):
        return False
    path.unlink(missing_ok=True)
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def release_upload(job: ImportJob) -> bool:
    """Delete the job's file once nothing can need it: after a successful import or a dry run (the dry-run page
    offers no "import this file for real": a real import is a new upload), after a refusal for the file's rows,
    after a cancel. A job that failed on an error keeps it for "run again" until `purge_expired_uploads`."""
    finished_for_good = Q(state__in=(ImportJob.State.SUCCEEDED, ImportJob.State.CANCELLED)) | Q(
        state=ImportJob.State.FAILED, error__in=("", "refused"))
    deleted = _delete_file(job.pk, finished_for_good)
    if deleted:
        job.refresh_from_db(fields=["file_deleted_at", "file_sha256"])
    return deleted


def purge_expired_uploads(now=None) -> dict:
    """The hourly sweep: delete the files of finished jobs that no run can need any more (a failed job's after
    `keep_hours()` from its end; the others' at once, should their worker have died before deleting them), and
    uploads that no job holds (a crash between storing and queuing) older than the retention period."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(hours=keep_hours())
    expired = Q(state__in=ImportJob.FINISHED) & (~_rerunnable_failure() | Q(finished_at__lt=cutoff)
                                                 | Q(finished_at__isnull=True))
    deleted = [job_id for job_id in ImportJob.objects.filter(expired, file_deleted_at__isnull=True)
               .exclude(file="").values_list("pk", flat=True) if _delete_file(job_id, expired)]
    folder = Path(settings.MEDIA_ROOT) / "imports"
    orphans = 0
    if folder.is_dir():
        held = set(ImportJob.objects.filter(file_deleted_at__isnull=True).exclude(file="")
                   .values_list("file", flat=True))
        for path in folder.glob("*.upload"):
            name = str(path.relative_to(settings.MEDIA_ROOT))
            try:
                old = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC) < cutoff
            except FileNotFoundError:
                continue
            if old and name not in held:
                path.unlink(missing_ok=True)
                orphans += 1
    if deleted or orphans:
        logger.info("import uploads deleted: %d of finished jobs, %d without a job", len(deleted), orphans)
    return {"deleted": deleted, "orphans": orphans}


def file_gone_message(job: ImportJob) -> str:
    return _("The uploaded file was deleted on %(when)s: it held full identity numbers and bank accounts, and is "
             "kept only %(hours)d hours after a failed import. Upload the file again to import it.") % {
        "when": timezone.localtime(job.file_deleted_at).strftime("%Y-%m-%d %H:%M") if job.file_deleted_at else "",
        "hours": int(keep_hours())}


# --- A worker that died (kill -9, OOM, a restart): the job is "stale" and may be run again -----------------

MAX_ATTEMPTS = 3


def stale_after_seconds() -> int:
    """Seconds without a heartbeat after which a running job is taken for dead (progress is written every
    chunk, so a live worker is never this quiet)."""
    from bangfu.imports.pipeline import STALE_SECONDS

    return int(getattr(settings, "BANGFU_IMPORT_STALE_SECONDS", STALE_SECONDS))


def stale_filter(now=None):
    cutoff = (now or timezone.now()) - datetime.timedelta(seconds=stale_after_seconds())
    return Q(state=ImportJob.State.RUNNING) & (Q(heartbeat_at__lt=cutoff)
                                               | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))


def is_stale(job: ImportJob, now=None) -> bool:
    """A running job whose worker has not shown a sign of life for a while (it died)."""
    if job.state != ImportJob.State.RUNNING:
        return False
    last = job.heartbeat_at or job.started_at
    now = now or timezone.now()
    return last is not None and (now - last).total_seconds() > stale_after_seconds()


def can_rerun(job: ImportJob) -> bool:
    """A stale job, or one that failed on an error of the platform (not one refused for its rows), whose file is
    still kept."""
    if not job.file_available:
        return False
    if job.state == ImportJob.State.FAILED:
        return job.error not in ("", "refused")
    return job.state == ImportJob.State.RUNNING and is_stale(job)


def _enqueue(job_id: int) -> None:
    from bangfu.imports.tasks import run_import

    transaction.on_commit(lambda: run_import.enqueue(job_id))


def import_job_rerun(user, job: ImportJob, *, enqueue: bool = True) -> ImportJob:
    """Run again a job whose worker died (or that failed on an error): it starts from scratch (its staging
    rows are discarded; nothing of it was merged, the merge being one transaction with its success).
    One of two people clicking at the same time wins; the other gets a field error."""
    with transaction.atomic():
        allowed = stale_filter() | _rerunnable_failure()
        updated = ImportJob.objects.filter(allowed, pk=job.pk, file_deleted_at__isnull=True).update(
            state=ImportJob.State.QUEUED, cancel_requested=False, finished_at=None, error="",
            heartbeat_at=timezone.now(),
        )
        if not updated:
            job.refresh_from_db(fields=["file_deleted_at", "state", "error"])
            if job.file_deleted_at is not None:
                raise ValidationError({"state": [file_gone_message(job)]})
            raise ValidationError({"state": [_(
                "Only an import whose worker stopped (no sign of life for %(minutes)d minutes) or that failed "
                "on an error can be run again; upload the corrected file instead."
            ) % {"minutes": max(1, stale_after_seconds() // 60)}]})
        if enqueue:
            _enqueue(job.pk)
    job.refresh_from_db()
    return job


def requeue_stale_jobs(*, enqueue: bool = True) -> dict:
    """The scheduler's hourly sweep: re-queue each running job whose worker died, once (idempotent: a
    re-queued job is "queued", not "running", so the next sweep leaves it alone); a job that has already
    been tried MAX_ATTEMPTS times ends as failed instead (a file that kills its worker every time)."""
    requeued, given_up = [], []
    for job_id, attempts in ImportJob.objects.filter(stale_filter()).values_list("pk", "attempts"):
        with transaction.atomic():
            stale = ImportJob.objects.filter(stale_filter(), pk=job_id)
            if attempts >= MAX_ATTEMPTS:
                if stale.update(state=ImportJob.State.FAILED, finished_at=timezone.now(), error=_(
                        "The import stopped %(count)d times without finishing; it was not run again. "
                        "Split the file into smaller files and upload them.") % {"count": attempts}):
                    given_up.append(job_id)
                continue
            if stale.update(state=ImportJob.State.QUEUED, heartbeat_at=timezone.now()):
                requeued.append(job_id)
                if enqueue:
                    _enqueue(job_id)
    return {"requeued": requeued, "failed": given_up}
