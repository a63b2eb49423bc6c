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
    from bangfu.stats.rollup import compact, vacuum_deltas

    with _as_task(context):
        folded = compact()
        if folded:
            vacuum_deltas()
        return folded


@task(takes_context=True)
def rebuild_rollups(context: TaskContext) -> None:
    """Recompute the rollups from the history, after a union was moved in the tree."""
    from bangfu.stats.rollup import rebuild

    with _as_task(context):
        rebuild()


def on_org_moved(sender, org, **kwargs) -> None:
    """A union moved: its subtree now has other ancestors, so every per-ancestor rollup is recomputed (in the
    background, after the move commits; until then the figures of the old and new ancestors are off)."""
    from django.db import transaction

    transaction.on_commit(lambda: rebuild_rollups.enqueue())
