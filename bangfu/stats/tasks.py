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
    """Recompute the rollups from the history, after a union was moved in the tree (again if PostgreSQL broke a
    deadlock with a writer by aborting it)."""
    from django.db import OperationalError

    from bangfu.stats.rollup import rebuild

    with _as_task(context):
        for attempt in range(3):
            try:
                return rebuild()
            except OperationalError as error:  # a deadlock with a writer: PostgreSQL aborted the rebuild
                if getattr(getattr(error, "__cause__", None), "sqlstate", None) != "40P01" or attempt == 2:
                    raise


def on_org_moved(sender, org, **kwargs) -> None:
    """A union moved: its subtree now has other ancestors, so every per-ancestor rollup is recomputed (in the
    background, after the move commits; until then the figures of the old and new ancestors are off)."""
    from django.db import transaction

    transaction.on_commit(lambda: rebuild_rollups.enqueue())


def on_org_deleted(sender, instance, **kwargs) -> None:
    """A union is about to be deleted: fold the deltas pending at it first. Compaction and readers find a delta's
    ancestors through its union; once the union is gone, a −1 left there (a household that moved out) would be
    lost while its +1 elsewhere counts, and the common ancestors would count the household twice."""
    from bangfu.stats.rollup import compact

    compact()
