"""Daily tasks of dynamic management (registered with the scheduler from `MonitoringConfig.ready()`); each is
idempotent — a second run the same day creates nothing and sends nothing more:

* `create_review_cycles` (06:10): this year's cycles and a review for every active archive without one;
  reminders of reviews coming due;
* `suggest_exits` (06:20): exit suggestions from the months above the line;
* `watch_relapse` (06:30): watches of exits (backfill), ending passed ones, triggers from the data.
"""

from __future__ import annotations

from django_tasks import TaskContext, task

from bangfu.core.tasks import _as_task


def register_schedule() -> None:
    from bangfu.core.scheduler import register

    register("10 6 * * *", "bangfu.monitoring.tasks.create_review_cycles")
    register("20 6 * * *", "bangfu.monitoring.tasks.suggest_exits")
    register("30 6 * * *", "bangfu.monitoring.tasks.watch_relapse")


def run_review_cycles(on=None) -> dict:
    from bangfu.monitoring.services.common import today
    from bangfu.monitoring.services.reviews import create_review_cycles as create
    from bangfu.monitoring.services.reviews import remind_due_reviews

    on = on or today()
    return {**create(on.year), **{f"reminders_{k}": v for k, v in remind_due_reviews(on).items()}}


@task(takes_context=True)
def create_review_cycles(context: TaskContext) -> dict:
    with _as_task(context):
        return run_review_cycles()


@task(takes_context=True)
def suggest_exits(context: TaskContext) -> dict:
    from bangfu.monitoring.services.exits import suggest_exits as run

    with _as_task(context):
        return run()


@task(takes_context=True)
def watch_relapse(context: TaskContext) -> dict:
    from bangfu.monitoring.services.relapse import watch_relapse as run

    with _as_task(context):
        return run()
