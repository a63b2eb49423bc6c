"""Concurrency on PostgreSQL, with real concurrent connections (threads): two loads of the same source and union
at once, and check runs that overlap."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from bangfu.crosscheck.models import CheckRun, DataSource, Finding, Snapshot
from bangfu.crosscheck.services import run_checks, snapshot_push, start_run
from bangfu.crosscheck.services.evaluate import is_alive
from bangfu.crosscheck.tests.conftest import head_id
from bangfu.crosscheck.tests.test_rules import world  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections need a server database"),
]


def _in_thread(target, errors: list) -> threading.Thread:
    def body():
        try:
            target()
        except Exception as error:  # noqa: BLE001 - collected for the test's assertion
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread


def _wait_for_lock_waits(count: int, timeout: float = 30) -> int:
    """Wait until `count` other connections of this database wait for a lock; returns how many do."""
    deadline = time.monotonic() + timeout
    waiting = 0
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else read once per transaction
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
            waiting = cursor.fetchone()[0]
            if waiting >= count:
                break
            time.sleep(0.05)
    return waiting


def test_two_loads_of_the_same_source_and_union_at_once_get_versions_1_and_2(tree, households, province_cadre):
    source = DataSource.objects.get(code="dibao_roster")
    rows = [{"身份证号": head_id(households[0]), "纳入日期": "2026-01-05", "救助类别": "低保"}]
    versions, errors = [], []

    def load():
        versions.append(snapshot_push(province_cadre, tree.province, source, rows=rows,
                                      as_of=dt.date(2026, 1, 31)).version)

    with transaction.atomic(), connection.cursor() as cursor:
        # Both loads stop at their last statement (ANALYZE of the kept rows needs this lock) until both have
        # got as far as they can: neither commits before the other has allocated its version.
        cursor.execute("LOCK TABLE crosscheck_snapshotrow IN SHARE UPDATE EXCLUSIVE MODE")
        threads = [_in_thread(load, errors) for _ in range(2)]
        assert _wait_for_lock_waits(2) == 2
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sorted(versions) == [1, 2]
    assert list(Snapshot.objects.filter(source=source, org=tree.province).order_by("version").values_list(
        "version", "is_latest", "rows_matched")) == [(1, False, 1), (2, True, 1)]


def test_a_running_run_blocks_a_second_start_and_overlapping_runs_do_not_collide(tree, world, province_cadre,  # noqa: F811
                                                                                 monkeypatch):
    monkeypatch.setenv("BANGFU_CROSSCHECK_PAUSE", "homes:3")  # inside the homes rule's transaction
    first = CheckRun.objects.create(org=tree.province, on=dt.date.today())
    errors = []
    thread = _in_thread(lambda: run_checks(CheckRun.objects.select_related("org").get(pk=first.pk)), errors)
    deadline = time.monotonic() + 30
    while "vehicle" not in first.rules_done and time.monotonic() < deadline:
        time.sleep(0.1)
        first.refresh_from_db()
    assert first.state == "running" and is_alive(first)

    # the same union: refused with a clear message
    with pytest.raises(ValidationError, match="already running") as refused:
        start_run(province_cadre, tree.province)
    assert f"run #{first.pk}" in str(refused.value)
    # a run of the county (inside the province's subtree) at the same time waits for the first's rule to commit
    # and skips what it found, instead of failing on the unique finding
    county = run_checks(CheckRun.objects.create(org=tree.county, on=first.on))
    thread.join(60)
    assert not errors, errors
    first.refresh_from_db()
    assert (first.state, county.state) == ("done", "done")
    assert first.findings_opened + county.findings_opened == Finding.objects.count() == 4
    assert not is_alive(first)
    assert start_run(province_cadre, tree.province).state == "queued"
