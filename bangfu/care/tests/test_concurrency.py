"""Escalation under concurrency: several scheduled runs at the same instant (a retry overlapping the next run,
two workers) escalate each overdue case exactly once. Real transactions in real threads, so PostgreSQL only
(SQLite serialises every writer; `select_for_update(skip_locked=True)` is a no-op there)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from bangfu.care.models import CrisisCase
from bangfu.care.services import acknowledge, escalate_overdue, record_screening
from bangfu.care.tests.conftest import PHQ9_POSITIVE_ITEM_9
from bangfu.notifications.models import Notification
from bangfu.registry.tests.factories import make_household
from tests.concurrency import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a race needs concurrent writers (PostgreSQL)"),
]
CASES = 12
RUNS = 6


def test_concurrent_runs_escalate_each_case_once(tree, counsellor, county_counsellor):
    opened = timezone.now() - dt.timedelta(hours=30)
    for i in range(CASES):
        household = make_household(tree.grassroots, name=f"赵{chr(0x4E00 + i)}")
        record_screening(household, household.members.get(), "phq9", PHQ9_POSITIVE_ITEM_9, timezone.localdate(),
                         counsellor, now=opened)
    now = timezone.now()

    results = race(*[(lambda: escalate_overdue(now=now)) for _ in range(RUNS)])

    assert [r for r in results if not isinstance(r, dict)] == []
    assert sum(r["escalated"] for r in results) == CASES
    assert set(CrisisCase.objects.values_list("escalation_level", "responsible_org_id")) == {(1, tree.county.pk)}
    assert Notification.objects.filter(recipient=county_counsellor, kind="crisis_escalated").count() == CASES
    assert escalate_overdue(now=now)["escalated"] == 0


def test_acknowledging_while_the_check_runs(tree, counsellor, county_counsellor):
    household = make_household(tree.grassroots)
    record_screening(household, household.members.get(), "phq9", PHQ9_POSITIVE_ITEM_9, timezone.localdate(),
                     counsellor, now=timezone.now() - dt.timedelta(hours=30))
    case = CrisisCase.objects.get()

    results = race(lambda: escalate_overdue(), lambda: acknowledge(case, counsellor, "Visited at once."))

    assert [r for r in results if isinstance(r, Exception)] == []
    case.refresh_from_db()
    assert case.state == "acknowledged" and case.escalation_level in (0, 1)
    assert escalate_overdue(now=timezone.now() + dt.timedelta(days=3))["escalated"] == 0
