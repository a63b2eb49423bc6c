"""Bulk re-classification with review (DOMAIN.md §1: a new line starts a re-classification of every affected
archive, which a reviewer sees before it takes effect)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.registry.classification import refresh
from bangfu.registry.classification.bulk import categories
from bangfu.registry.models import Household, ReclassificationRow, ReclassificationRun


def _division_prefix(code: str | None) -> str:
    """Households of a division's area: 440100 → "4401", 440000 → "44", 440106 → "440106"."""
    if not code:
        return ""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def affected_households(division_code: str | None):
    qs = Household.objects.open()
    prefix = _division_prefix(division_code)
    return qs.filter(division__code__startswith=prefix) if prefix else qs


@transaction.atomic
def reclassification_start(trigger: str, *, division_code: str | None = None, on: dt.date | None = None,
                           actor=None, detail: str = "") -> ReclassificationRun:
    """Compute (by the bulk SQL path) which open households of the area would change category on `on`."""
    on = on or timezone.localdate()
    queryset = affected_households(division_code)
    new = categories(queryset, on)
    old = dict(queryset.filter(pk__in=list(new)).values_list("pk", "category"))
    run = ReclassificationRun.objects.create(
        trigger=trigger, trigger_detail=detail[:300], division_id=division_code or None, evaluated_on=on,
        households_checked=len(new), started_by=actor if getattr(actor, "pk", None) else None,
    )
    ReclassificationRow.objects.bulk_create([
        ReclassificationRow(run=run, household_id=pk, old_category=old.get(pk) or "", new_category=category)
        for pk, category in sorted(new.items()) if (old.get(pk) or "") != category
    ])
    return run


def _rows_in_scope(run, user):
    households = Household.objects.restrict(user, "change").values("pk")
    return ReclassificationRow.objects.filter(run=run, applied=False, household__in=households)


@transaction.atomic
def reclassification_apply(run: ReclassificationRun, user) -> int:
    """Apply the run's changes the reviewer may act on; returns how many households changed."""
    run = ReclassificationRun.objects.select_for_update().get(pk=run.pk)
    if run.status != ReclassificationRun.Status.PENDING:
        raise ValidationError({"status": [_("This re-classification was already decided.")]})
    rows = list(_rows_in_scope(run, user).select_related("household"))
    with audit.bulk_job("reclassification_apply", actor=user, model=Household,
                        parameters={"run": run.pk, "rows": len(rows)}) as job:
        for row in rows:
            # The single engine writes the stored result with its explanation and the timeline row.
            refresh(row.household, run.evaluated_on, run=run)
        ReclassificationRow.objects.filter(pk__in=[r.pk for r in rows]).update(applied=True)
        job.add(updated=len(rows))
    if not ReclassificationRow.objects.filter(run=run, applied=False).exists():
        run.status = ReclassificationRun.Status.APPLIED
    run.decided_by, run.decided_at = user, timezone.now()
    run.save(update_fields=["status", "decided_by", "decided_at"])
    return len(rows)


@transaction.atomic
def reclassification_discard(run: ReclassificationRun, user) -> None:
    run = ReclassificationRun.objects.select_for_update().get(pk=run.pk)
    if run.status != ReclassificationRun.Status.PENDING:
        raise ValidationError({"status": [_("This re-classification was already decided.")]})
    run.status = ReclassificationRun.Status.DISCARDED
    run.decided_by, run.decided_at = user, timezone.now()
    run.save(update_fields=["status", "decided_by", "decided_at"])
