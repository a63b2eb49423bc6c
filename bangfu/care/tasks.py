"""Scheduled checks of the care app.

* `escalate_crisis_cases` (every five minutes): every crisis case still unacknowledged after its deadline goes
  one level up with a new deadline, and the counsellors there are told (`services.crisis.escalate_overdue`).
  Idempotent: a second run finds the moved cases' new deadlines ahead of it.
"""

from __future__ import annotations

from django_tasks import TaskContext, task

from bangfu.core.tasks import _as_task


def register_schedule() -> None:
    from bangfu.core.scheduler import register

    register("*/5 * * * *", "bangfu.care.tasks.escalate_crisis_cases")


@task(takes_context=True)
def escalate_crisis_cases(context: TaskContext) -> dict:
    from bangfu.care.services.crisis import escalate_overdue

    with _as_task(context):
        return escalate_overdue()
