"""Reliability: an import whose worker is killed half-way (kill -9) leaves the database consistent — none of the
job's households, members, timeline rows and stamps, or (had it died after its commit) all of them, never a part —
and running the job again completes it with exactly the file's households, once.

The worker is a real process (`manage.py run_import_job <id>`, its process group killed with SIGKILL while it
reads the file). On PostgreSQL it works on the test database itself; on SQLite the test database lives in memory,
so the test copies it into a file (sqlite3's backup API) and the worker and the checks use that file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from bangfu.imports.models import ImportedHousehold, ImportJob
from bangfu.imports.services import import_job_create
from bangfu.imports.tests.helpers import csv_bytes, household_rows, upload
from bangfu.registry.models import Household, Member, TimelineEvent

ROOT = Path(__file__).resolve().parents[3]
HOUSEHOLDS = 6_000  # x 3 members, 4 chunks: the kill lands while the file is being read

pytestmark = pytest.mark.django_db(transaction=True)


def _database_url(db: dict) -> str:
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerDatabase:
    """The database the worker process uses, read with plain SQL: the test database itself on PostgreSQL, a file
    copy of the in-memory test database on SQLite (read through sqlite3, outside Django's test connection)."""

    def __init__(self, tmp_path: Path):
        self.sqlite = connection.vendor == "sqlite"
        self.path = tmp_path / "kill.sqlite3"
        self.url = f"sqlite:///{self.path}" if self.sqlite else _database_url(connection.settings_dict)

    def copy_test_database(self) -> None:
        if self.sqlite:
            connection.ensure_connection()
            target = sqlite3.connect(self.path)
            connection.connection.backup(target)
            target.close()

    def one(self, sql: str, params=()):
        if self.sqlite:
            with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as db:
                return db.execute(sql.replace("%s", "?"), params).fetchone()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()


def _worker_env(var_dir: Path, database_url: str) -> dict:
    return {
        **os.environ, "DATABASE_URL": database_url, "BANGFU_VAR_DIR": str(var_dir),
        "DJANGO_SECRET_KEY": settings.SECRET_KEY, "BANGFU_FIELD_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "BANGFU_HASH_KEY": settings.IDENTITY_HASH_KEY,
    }


def _count(db: WorkerDatabase, model, where: str = "", params=()) -> int:
    return db.one(f"SELECT COUNT(*) FROM {model._meta.db_table} {where}", params)[0]  # noqa: S608


def _counts(db: WorkerDatabase, job_id: int) -> dict:
    return {
        "households": _count(db, Household),
        "members": _count(db, Member),
        "timeline": _count(db, TimelineEvent, "WHERE kind = %s", ["imported"]),
        "stamps": _count(db, ImportedHousehold, "WHERE job_id = %s", [job_id]),
    }


def _job(db: WorkerDatabase, job_id: int) -> dict:
    names = ("state", "rows_read", "attempts", "households_created", "error")
    row = db.one(f"SELECT {', '.join(names)} FROM {ImportJob._meta.db_table} WHERE id = %s", [job_id])  # noqa: S608
    return dict(zip(names, row, strict=True))


def test_kill_9_mid_import_leaves_it_consistent_and_a_rerun_completes(tree, grassroots_cadre, tmp_path, settings):
    db = WorkerDatabase(tmp_path)
    var_dir = tmp_path / "var"
    settings.MEDIA_ROOT = var_dir / "protected"
    rows = [row for n in range(HOUSEHOLDS) for row in household_rows(n, tree.grassroots.code, size=3)]
    job = import_job_create(grassroots_cadre, upload(csv_bytes(rows)), enqueue=False)
    db.copy_test_database()  # SQLite: everything so far (tree, user, job) into the worker's database file
    env = _worker_env(var_dir, db.url)
    command = [sys.executable, "manage.py", "run_import_job", str(job.pk)]
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,  # noqa: S603
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if _job(db, job.pk)["rows_read"] > 0:
                break
            assert worker.poll() is None, worker.stderr.read().decode()[-3000:]
            time.sleep(0.05)
        else:
            pytest.fail("the worker read no row in 300 s")
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and any validating processes it forked
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert worker.returncode == -signal.SIGKILL
    killed = _job(db, job.pk)
    counts = _counts(db, job.pk)
    # Consistent: nothing of the job, or (it died after its commit) all of it — never a part.
    everything = {"households": HOUSEHOLDS, "members": 3 * HOUSEHOLDS, "timeline": HOUSEHOLDS,
                  "stamps": HOUSEHOLDS}
    nothing = dict.fromkeys(everything, 0)
    assert counts in (nothing, everything), counts
    assert (killed["state"] == ImportJob.State.SUCCEEDED) == (counts == everything)
    assert killed["state"] in (ImportJob.State.RUNNING, ImportJob.State.SUCCEEDED)

    if killed["state"] == ImportJob.State.RUNNING:
        # Its heartbeat is still recent: a second worker does not take the job (it might be alive).
        refused = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=300)  # noqa: S603
        assert refused.returncode == 0 and b"not run" in refused.stderr, refused.stderr.decode()[-3000:]
        assert _job(db, job.pk)["attempts"] == killed["attempts"]
    # Run it again (the operator knows the worker is dead): it completes, with the file's households exactly once.
    again = subprocess.run([*command, "--force"], cwd=ROOT, env=env, capture_output=True,  # noqa: S603
                           timeout=1800)
    assert again.returncode == 0, again.stderr.decode()[-3000:]
    done = _job(db, job.pk)
    assert done["state"] == ImportJob.State.SUCCEEDED, done["error"]
    assert _counts(db, job.pk) == everything
    members = Member._meta.db_table
    assert db.one(f"SELECT COUNT(DISTINCT identity_hash) FROM {members} WHERE is_head = %s", [True])[0] == HOUSEHOLDS  # noqa: S608
    assert db.one(f"SELECT COUNT(DISTINCT identity_hash) FROM {members}")[0] == 3 * HOUSEHOLDS  # noqa: S608
    if counts == nothing:
        assert done["attempts"] == killed["attempts"] + 1 and done["households_created"] == HOUSEHOLDS
