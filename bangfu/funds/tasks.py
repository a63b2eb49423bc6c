"""Scheduled checks of the funds app.

* `verify_ledger` (daily): recomputes every balance and monthly total from the append-only entries and checks
  that each transaction sums to zero (`ledger.verify`). A difference is logged as an error and returned, so a
  cache that drifted from the ledger (a bug, or somebody's hand in the database) is found within a day.
"""

from __future__ import annotations

import logging

from django_tasks import TaskContext, task

from bangfu.core.tasks import _as_task

logger = logging.getLogger(__name__)


def register_schedule() -> None:
    from bangfu.core.scheduler import register

    register("40 4 * * *", "bangfu.funds.tasks.verify_ledger")


def check() -> dict:
    """Run the ledger check; log and summarise what differs."""
    from bangfu.funds import ledger

    problems = ledger.verify()
    for problem in problems[:50]:
        logger.error("Ledger check: %s", problem)
    return {"ok": not problems, "problems": len(problems), "first": problems[:10]}


@task(takes_context=True)
def verify_ledger(context: TaskContext) -> dict:
    with _as_task(context):
        return check()
