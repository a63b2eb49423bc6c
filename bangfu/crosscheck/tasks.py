"""Background work of bangfu.crosscheck: evaluating a check run (resumable: a killed run is completed by running
it again)."""

from __future__ import annotations

from django_tasks import TaskContext, task

from bangfu.core.tasks import _as_task


@task(takes_context=True)
def evaluate_run(context: TaskContext, run_id: int) -> dict:
    from bangfu.crosscheck.models import CheckRun
    from bangfu.crosscheck.services.evaluate import run_checks

    with _as_task(context):
        run = run_checks(CheckRun.objects.select_related("org").get(pk=run_id))
    return {"run": run.pk, "findings_opened": run.findings_opened, "rules": run.rules_done}
