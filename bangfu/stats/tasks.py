"""Scheduled work of the statistics: fold the pending deltas into the rollups every minute (also called at the
end of bulk jobs, and harmless to run twice: what one run folded, the other does not see)."""

from __future__ import annotations

from django_tasks import TaskContext, task

from bangfu.core.tasks import _as_task


def register_schedule() -> None:
    from bangfu.core.scheduler import register

    register("* * * * *", "bangfu.stats.tasks.compact_rollups")


@task(takes_context=True)
def compact_rollups(context: TaskContext) -> int:
    from bangfu.stats.rollup import compact

    with _as_task(context):
        return compact()
