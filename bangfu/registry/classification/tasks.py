"""Tasks and signals of the classification engine: a new line, minimum wage or policy row proposes a
bulk re-classification of the affected archives (a `ReclassificationRun` waiting for review)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django_tasks import TaskContext, task

from bangfu.core.tasks import _as_task


@task(takes_context=True)
def propose_reclassification(context: TaskContext, trigger: str, division_code: str | None, on: str,
                             detail: str = "") -> int:
    from bangfu.registry.services.reclassification import reclassification_start

    with _as_task(context):
        run = reclassification_start(trigger, division_code=division_code, on=dt.date.fromisoformat(on),
                                     detail=detail)
        return run.pk


def _enqueue(trigger, division_code, on, detail):
    transaction.on_commit(
        lambda: propose_reclassification.enqueue(trigger, division_code, on.isoformat(), detail)
    )


@receiver(post_save, sender="orgs.LocalStandard", dispatch_uid="engine_line_saved")
def _line_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        _enqueue("line", instance.division_id, instance.effective_from, str(instance)[:300])


@receiver(post_save, sender="registry.ClassificationPolicy", dispatch_uid="engine_policy_saved")
def _policy_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        _enqueue("policy", instance.division_id, instance.effective_from, str(instance)[:300])
