"""Scheduled work of the service platform (registered with the scheduler from `ServicesConfig.ready()`):

* `escalate_service_requests` (hourly, at :10): requests still unanswered past their due time go up one level
  of the union tree and its staff are told (事事有回音); see `actions.requests.escalate_overdue_requests`.
"""

from __future__ import annotations

from django_tasks import TaskContext, task

from bangfu.core.tasks import _as_task


def register_schedule() -> None:
    from bangfu.core.scheduler import register

    register("10 * * * *", "bangfu.services.tasks.escalate_service_requests")


@task(takes_context=True)
def escalate_service_requests(context: TaskContext) -> dict:
    from bangfu.services.actions.requests import escalate_overdue_requests

    with _as_task(context):
        return {"escalated": escalate_overdue_requests()}
