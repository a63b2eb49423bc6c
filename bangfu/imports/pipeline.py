"""Running one import job: read (stream) → validate (1 or 2 processes) → stage → set-based checks → merge.

`run_job(job_id)` is what the background task and `manage.py run_import_job` call. It first claims the job
(liveness.claim: queued, or running without a sign of life) and does nothing if another worker holds it. It is
safe to call again after a crash (kill -9) or a cancel: staging rows are keyed by the job and discarded first, and
the merge is one transaction that also marks the job succeeded, so either all of it happened or nothing.
Progress (`rows_read`) and the heartbeat are written every chunk, and by a heartbeat thread through the long
phases (liveness.Heartbeat, PostgreSQL); a cancel request is checked between chunks and before the merge. The
uploaded file is deleted as soon as the run no longer needs it (services.release_upload).

With worker processes (PostgreSQL, outside a transaction), a CSV file is cut by the parent into record-aligned
byte blocks (a newline ends a record when the quotes before it are balanced); each worker decodes, parses,
validates, hashes, encrypts and COPYs its blocks into staging over its own connection, so the parent neither
parses nor pickles rows. A block whose record count disagrees with the csv module's (a stray quote) makes
the job start again row by row. An .xlsx file is read by the parent (calamine) and its rows sent to the
workers. `PHASES` / `STATS` hold the last run's seconds per phase and peak memory (bench/archive_import.py).
"""

from __future__ import annotations

import csv
import io
import logging
import multiprocessing
import operator
import os
import resource
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bangfu.imports import normalise as N
from bangfu.imports import reader, services, staging
from bangfu.imports.liveness import Heartbeat, claim
from bangfu.imports.models import ImportJob
from bangfu.imports.rowcheck import validate_row
from bangfu.imports.validate import Context, preview_row

logger = logging.getLogger(__name__)

CHUNK_ROWS = 5000
# Seconds per phase of the last run in this process (the benchmark prints them).
PHASES: dict[str, float] = {}
STATS: dict[str, float] = {}  # peak RSS of the worker processes (MB)
PREVIEW_ROWS = 20
STALE_SECONDS = 120
IDENTITY_KEYS = ("identity_number", "head_identity")


class Cancelled(Exception):
    pass


class Superseded(Exception):
    """Another worker claimed the job (this one was taken for dead): this run stops and writes nothing more."""


class FileGone(Exception):
    """The job's upload is no longer on disk (deleted after the retention period): it must be uploaded again."""


def stored_path(job: ImportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / job.file


def _process_chunk(ctx: Context, mapping: dict, chunk: list, want_preview: bool):
    rows, issues, causes, preview = [], [], [], []
    wanted = [(i, key) for i, key in mapping.items() if key != "seq"]
    keys = [key for _i, key in wanted]
    width = max((i for i, _key in wanted), default=-1) + 1
    pick = operator.itemgetter(*(i for i, _key in wanted)) if len(wanted) > 1 else None
    for row_no, cells_list, formulas in chunk:
        if pick is not None and len(cells_list) >= width:
            cells = dict(zip(keys, pick(cells_list), strict=True))
        else:  # a short row (or a one-column file): the missing cells are None
            cells = {key: cells_list[i] if i < len(cells_list) else None for i, key in wanted}
        if formulas:
            cells["_formulas"] = {(key, "formula") for key in formulas}
        staged, row_issues, row_causes = validate_row(ctx, row_no, cells)
        cells.pop("_formulas", None)
        rows.append(staged)
        issues.extend(row_issues)
        if row_causes and staged[3]:
            causes.extend((staged[3], code, main) for code, main in row_causes if code)
        if want_preview and len(preview) < PREVIEW_ROWS:
            preview.append(preview_row(staged, row_issues))
    staging.write(ctx.job_id, rows, issues, causes)
    return len(rows), len(issues), preview


# Worker processes (PostgreSQL): each validates and COPYs its chunks over its own connection.
_WORKER: dict = {}


def _worker_init(ctx, mapping, encoding=""):
    connections.close_all()
    _WORKER.update(ctx=ctx, mapping=mapping, encoding=encoding or "utf-8")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker_run(chunk, want_preview):
    return (*_process_chunk(_WORKER["ctx"], _WORKER["mapping"], chunk, want_preview), _peak_mb())


def _chunks(rows_iter, mapping, first_row_no, formula_cells):
    id_columns = {i for i, key in mapping.items() if key in IDENTITY_KEYS}
    chunk = []
    row_no = first_row_no
    for cells in rows_iter:
        row_no += 1
        if not any(cell not in (None, "") for cell in cells):
            continue
        seq_col = next((i for i, key in mapping.items() if key == "seq"), None)
        if seq_col is not None and seq_col < len(cells) and N.text(cells[seq_col]) == "示例":
            continue
        formulas = [mapping[c] for c in id_columns if (row_no - 1, c) in formula_cells] if formula_cells else []
        chunk.append((row_no, list(cells), formulas))
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _owned(job: ImportJob):
    """The job's row while this run owns it: `attempts` is the number `claim` gave this run; a later claim (another
    worker that took the job for dead) bumps it."""
    return ImportJob.objects.filter(pk=job.pk, attempts=job.attempts)


def _touch(job: ImportJob, *, strict: bool = True, **fields) -> None:
    fields["heartbeat_at"] = timezone.now()
    if not _owned(job).update(**fields) and strict:
        raise Superseded
    for name, value in fields.items():
        setattr(job, name, value)


def _check_cancel(job: ImportJob) -> None:
    if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
        raise Cancelled


def default_workers() -> int:
    # Worker processes need the parent's connection closed before the fork: not possible inside a
    # transaction (a test case, a caller's atomic block), where the job runs in this process.
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return int(os.environ.get("BANGFU_IMPORT_WORKERS", min(2, os.cpu_count() or 1)))


def run_job(job_id: int, *, workers: int | None = None) -> ImportJob:
    """Run the job if this call can claim it (see `claim`); otherwise return it as it is, untouched."""
    from bangfu.core import context as action_context

    attempt = claim(job_id)
    job = ImportJob.objects.select_related("created_by", "org").get(pk=job_id)
    if attempt is None:
        return job
    user = job.created_by
    workers = 1 if connection.in_atomic_block else (workers or default_workers())
    staging.discard(job.pk)  # a re-run (crash, kill -9) starts from a clean slate
    heartbeat = Heartbeat(job.pk, attempt)
    with action_context.acting(user_id=user.pk, username=user.username, org_id=user.org_id, source="task",
                               job_id=f"import-{job.pk}"):
        heartbeat.start()
        try:
            with translation.override(job.language or settings.LANGUAGE_CODE):
                if not job.file_available or not stored_path(job).is_file():
                    raise FileGone(services.file_gone_message(job) if job.file_deleted_at else _(
                        "The uploaded file is missing: upload the file again."))
                _run(job, user, workers, heartbeat)
        except Superseded:  # the other worker owns the job, its staging rows and its file now
            logger.warning("import job %s: taken over by another worker; this run stopped", job.pk)
            return ImportJob.objects.get(pk=job.pk)
        except Cancelled:
            staging.discard(job.pk)
            _touch(job, strict=False, state=ImportJob.State.CANCELLED, finished_at=timezone.now())
        except Exception as error:  # noqa: BLE001 - the job records why it failed; nothing was merged
            logger.exception("import job %s failed", job.pk)
            _touch(job, strict=False, state=ImportJob.State.FAILED, finished_at=timezone.now(),
                   error=str(error)[:2000])
        finally:
            heartbeat.stop()
    job.refresh_from_db()
    services.release_upload(job)  # deleted unless "run again" may need it (a failure of the platform)
    return job


def _worker_block(block: bytes, first_row_no: int, records: int, want_preview: bool):
    """A worker's share of a CSV file: whole records as bytes, decoded, parsed and validated here (the parent
    only cuts the file, so it never parses or pickles rows)."""
    ctx, mapping = _WORKER["ctx"], _WORKER["mapping"]
    rows = list(csv.reader(io.StringIO(block.decode(_WORKER["encoding"]), newline="")))
    if len(rows) != records:
        raise BlockMismatch(first_row_no)
    seq_col = next((i for i, key in mapping.items() if key == "seq"), None)
    chunk = []
    for offset, cells in enumerate(rows):
        if not any(cell not in (None, "") for cell in cells):
            continue
        if seq_col is not None and seq_col < len(cells) and N.text(cells[seq_col]) == "示例":
            continue
        chunk.append((first_row_no + offset, cells, []))
    return (*_process_chunk(ctx, mapping, chunk, want_preview), _peak_mb())


class BlockMismatch(Exception):
    """A CSV block did not hold the records the parent counted (a stray quote): run the job row by row."""


def _record_ends(data: bytes) -> tuple[int, int]:
    """(number of records, end offset of the last whole record) of `data`, which starts at a record start: a
    newline ends a record when the quotes before it (since the start) are balanced."""
    if b'"' not in data:
        end = data.rfind(b"\n") + 1
        return data.count(b"\n", 0, end), end
    count = end = position = 0
    inside = False
    for part in data.split(b'"'):
        if not inside:
            newlines = part.count(b"\n")
            if newlines:
                count += newlines
                end = position + part.rfind(b"\n") + 1
        position += len(part) + 1
        inside = not inside
    return count, end


def _csv_blocks(path: Path, start: int, first_row_no: int, block_bytes: int = 1 << 20):
    """Record-aligned byte blocks of a CSV file from byte `start`: (bytes, row number of its first record,
    number of records)."""
    with open(path, "rb") as handle:
        handle.seek(start)
        yield from _record_blocks(handle, first_row_no, block_bytes)


def _record_blocks(handle, first_row_no: int, block_bytes: int):
    tail = b""
    row_no = first_row_no
    while True:
        data = handle.read(block_bytes)
        if not data:
            break
        data = tail + data
        count, end = _record_ends(data)
        if count == 0:
            tail = data
            continue
        yield data[:end], row_no, count
        row_no += count
        tail = data[end:]
    if tail:
        yield tail, row_no, 1


def _data_offset(path: Path, header_index: int) -> int:
    """Byte offset of the record after the header row (record `header_index`, 0-based)."""
    with open(path, "rb") as handle:
        return _data_offset_bytes(handle.read(1 << 20), header_index)


def _data_offset_bytes(head: bytes, header_index: int) -> int:
    position = 0
    for _record in range(header_index + 1):
        inside, start = False, position
        while True:
            newline = head.find(b"\n", start)
            if newline < 0:
                raise BlockMismatch(0)
            inside ^= head.count(b'"', start, newline) % 2 == 1
            start = newline + 1
            if not inside:
                position = start
                break
    return position


def _run(job: ImportJob, user, workers: int, heartbeat: Heartbeat) -> None:
    from bangfu.imports import report

    PHASES.clear()
    STATS.clear()
    clock = [time.perf_counter()]

    def phase(name: str) -> None:
        now = time.perf_counter()
        PHASES[name] = PHASES.get(name, 0.0) + now - clock[0]
        STATS[f"peak MB after {name}"] = _peak_mb()
        clock[0] = now

    STATS["peak MB at start"] = _peak_mb()
    path = stored_path(job)
    ctx = Context.load(job.pk, user)
    rows_iter = reader.open_rows(path, job.kind, job.encoding)
    mapping, header_index, seen = N.find_header(rows_iter)
    formula_cells = reader.formula_cells(path) if job.kind == "xlsx" else set()

    def all_rows():
        yield from seen[header_index + 1:]
        yield from rows_iter

    read = issues = 0
    preview: list = []
    if workers > 1:
        with heartbeat.paused():  # no thread (nor its connection) across the fork
            if job.kind == "csv":
                try:
                    read, issues, preview = _run_blocks(job, ctx, mapping, path, header_index, workers)
                except BlockMismatch:
                    staging.discard(job.pk)
                    workers = 1
                    rows_iter = reader.open_rows(path, job.kind, job.encoding)
                    mapping, header_index, seen = N.find_header(rows_iter)
                else:
                    workers = 0  # done
            else:
                read, issues, preview = _run_pool(job, ctx, mapping, _chunks(all_rows(), mapping, header_index + 1,
                                                                             formula_cells), workers)
                workers = 0
    if workers == 1:
        for index, chunk in enumerate(_chunks(all_rows(), mapping, header_index + 1, formula_cells)):
            n, k, pv = _process_chunk(ctx, mapping, chunk, index == 0)
            read, issues = read + n, issues + k
            preview = preview or pv
            _touch(job, rows_read=read)
            _check_cancel(job)
    _touch(job, rows_read=read, preview=preview)
    phase("read+validate+hash+encrypt+COPY")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the set checks and the plan hash a million rows: keep it in memory
            cursor.execute("SET work_mem = '128MB'")
    staging.analyse()
    staging.set_checks(job, user)
    phase("set checks")
    _check_cancel(job)
    _touch(job)  # SQLite has no heartbeat thread: a sign of life before the merge at least
    finish(job, user, read)
    phase("plan+merge (one transaction)")
    job.refresh_from_db(fields=["state", "error"])
    services.release_upload(job)  # not needed any more once merged (or refused, or checked in a dry run)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("RESET work_mem")
    staging.discard(job.pk, issues=False)  # scratch: the report reads the issues only
    phase("discard staging")
    job.refresh_from_db(fields=["state", "households_created", "households_changed"])
    if job.state == ImportJob.State.SUCCEEDED and not job.dry_run and (job.households_created
                                                                       or job.households_changed):
        if job.households_changed:  # created households were classified as they were inserted
            from bangfu.imports.classify import classify_job

            try:
                classify_job(job)
            except Exception:  # noqa: BLE001 - the import is committed; the next change of each archive re-classifies
                logger.exception("import job %s: classification after the merge failed", job.pk)
            phase("re-classify the changed households (after the commit)")
        from bangfu.stats.rollup import compact

        try:
            compact()  # fold the import's statistics deltas now rather than at the next minute
        except Exception:  # noqa: BLE001 - the import is committed; the scheduled compaction folds them
            logger.exception("import job %s: folding the statistics deltas failed", job.pk)
        phase("fold statistics")
    report.write_report(job)
    phase("report")


def _collect(pending, job, totals, *, wait=False):
    for result in [p for p in pending if wait or p.ready()]:
        n, k, pv, peak = result.get()
        STATS["worker_peak_mb"] = max(STATS.get("worker_peak_mb", 0.0), peak)
        totals[0], totals[1] = totals[0] + n, totals[1] + k
        totals[2] = totals[2] or pv
        pending.remove(result)


def _run_blocks(job, ctx, mapping, path, header_index, workers):
    """CSV on PostgreSQL: the parent cuts the file into record-aligned byte blocks; the workers decode, parse,
    validate, encrypt and COPY them into staging over their own connections."""
    start = _data_offset(path, header_index)
    ctx_mp = multiprocessing.get_context("fork")
    connections.close_all()
    pool = ctx_mp.Pool(workers, initializer=_worker_init, initargs=(ctx, mapping, job.encoding))
    gate = threading.BoundedSemaphore(workers * 2)  # bounded read-ahead: the file is streamed
    totals = [0, 0, []]
    try:
        pending: list = []
        for index, (block, row_no, records) in enumerate(_csv_blocks(path, start, header_index + 2)):
            gate.acquire()
            pending.append(pool.apply_async(_worker_block, (block, row_no, records, index == 0),
                                            callback=lambda _r: gate.release(),
                                            error_callback=lambda _e: gate.release()))
            _collect(pending, job, totals)
            _touch(job, rows_read=totals[0])
            _check_cancel(job)
        _collect(pending, job, totals, wait=True)
    finally:
        pool.close()
        pool.join()
    return totals[0], totals[1], totals[2]


def _run_pool(job, ctx, mapping, chunks, workers):
    """xlsx on PostgreSQL: the parent reads rows (calamine), the workers validate and COPY them."""
    ctx_mp = multiprocessing.get_context("fork")
    connections.close_all()
    pool = ctx_mp.Pool(workers, initializer=_worker_init, initargs=(ctx, mapping, ""))
    gate = threading.BoundedSemaphore(workers * 2)  # bounded read-ahead: the file is streamed
    totals = [0, 0, []]
    try:
        pending: list = []
        for index, chunk in enumerate(chunks):
            gate.acquire()
            pending.append(pool.apply_async(_worker_run, (chunk, index == 0),
                                            callback=lambda _r: gate.release(),
                                            error_callback=lambda _e: gate.release()))
            _collect(pending, job, totals)
            _touch(job, rows_read=totals[0])
            _check_cancel(job)
        _collect(pending, job, totals, wait=True)
    finally:
        pool.close()
        pool.join()
    return totals[0], totals[1], totals[2]


def finish(job: ImportJob, user, read: int) -> None:
    """Decide, count and merge (unless dry run or refused as a whole), in one transaction with the job's
    success: either the whole merge and "succeeded" are committed, or nothing — nothing either if another worker
    has claimed the job meanwhile (the final UPDATE requires this run's attempt number)."""
    from bangfu.audit.jobs import bulk_job
    from bangfu.imports import merge as M
    from bangfu.imports.models import ImportIssue, StagedRow
    from bangfu.registry.models import Household

    partial = job.mode == ImportJob.Mode.PARTIAL
    now = timezone.now
    with transaction.atomic():
        with connection.cursor() as cursor:
            decided = M.plan(job.pk, cursor)
            if decided.get("locked"):  # archives past draft: reported per row, never written
                M.report_locked(job.pk, cursor)
        rows = StagedRow.objects.filter(job_id=job.pk)
        counts = {
            "rows_read": read,
            "rows_rejected": rows.filter(ok=False).count(),
            "issues_count": ImportIssue.objects.filter(job_id=job.pk).count(),
            "households_rejected": decided.get("rejected", 0) + decided.get("locked", 0)
            + rows.filter(hh_key="").count(),
        }
        heads = {action: decided.get(action, 0) for action in ("created", "changed", "unchanged")}
        refused_whole = not partial and counts["rows_rejected"] > 0
        if job.dry_run or refused_whole:
            with connection.cursor() as cursor:
                M.drop_tables(job.pk, cursor)
            if not _owned(job).update(
                **counts, households_created=0, households_changed=0, households_unchanged=heads["unchanged"],
                state=ImportJob.State.SUCCEEDED if job.dry_run else ImportJob.State.FAILED,
                finished_at=now(), heartbeat_at=now(), error="" if job.dry_run else "refused",
            ):
                raise Superseded  # rolls back this run's problems: the other run writes its own
            return
        with bulk_job("archive_import", actor=user, org=job.org, model=Household,
                      parameters={"import_job": job.pk, "file": job.original_name, "mode": job.mode}) as audit:
            _check_cancel(job)
            with connection.cursor() as cursor:
                result = M.merge(job, user, cursor)
                M.drop_tables(job.pk, cursor)
            audit.add(created=heads["created"], updated=heads["changed"], skipped=counts["households_rejected"])
            if not _owned(job).update(
                **counts, households_created=heads["created"], households_changed=heads["changed"],
                households_unchanged=heads["unchanged"], members_created=result["members_created"],
                state=ImportJob.State.SUCCEEDED, finished_at=now(), heartbeat_at=now(), audit_job=audit,
            ):
                raise Superseded  # rolls the whole merge back: a job is merged by the run that owns it
