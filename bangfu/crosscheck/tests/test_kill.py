"""Reliability: a check run whose worker is killed half-way (kill -9) leaves the database consistent, and running it
again completes it with the same findings as an uninterrupted run. PostgreSQL (the worker is another process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from bangfu.crosscheck.models import CheckRun, Finding
from bangfu.crosscheck.services import run_checks
from bangfu.crosscheck.tests.test_rules import world  # noqa: F401 - the fixture
from bangfu.registry.models import TimelineEvent

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a killed worker needs a server database"),
]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _snapshot():
    return sorted(Finding.objects.values_list("rule_code", "household_id", "evidence_key", "state"))


def test_kill_9_mid_run_then_rerun_completes(tree, world):  # noqa: F811
    run = CheckRun.objects.create(org=tree.province, on=time.strftime("%Y-%m-%d"))
    env = {**os.environ, "DATABASE_URL": _database_url(), "BANGFU_CROSSCHECK_PAUSE": "homes:60"}
    worker = subprocess.Popen([sys.executable, "manage.py", "crosscheck_run", "--run", str(run.pk)],  # noqa: S603
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        # "homes" pauses inside its transaction, after its INSERT: wait until the rules before it are committed
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if "vehicle" in run.rules_done:
                break
            assert worker.poll() is None, worker.stderr.read().decode()[-3000:]
            time.sleep(0.2)
        time.sleep(1.0)  # well inside the pause: the homes findings are inserted but not committed
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL
    connection.close()
    run.refresh_from_db()
    # consistent: whole rules only; the killed rule left nothing (no finding, no timeline row), nothing duplicated
    assert run.state == "running" and run.rules_done == ["dibao_new", "relapse_dibao", "vehicle"]
    assert {code for code, *_ in _snapshot()} == {"dibao_new", "vehicle"}
    assert Finding.objects.count() == run.findings_opened == 2
    assert TimelineEvent.objects.filter(kind="finding_opened").count() == 2
    # re-running the same run completes it
    done = run_checks(run)
    assert done.state == "done" and done.findings_opened == 4
    after_kill = _snapshot()
    # the same findings as an uninterrupted run from scratch
    Finding.objects.all().delete()
    run_checks(CheckRun.objects.create(org=tree.province, on=run.on))
    assert _snapshot() == after_kill
    assert {code for code, *_ in after_kill} == {"dibao_new", "vehicle", "homes", "death"}
