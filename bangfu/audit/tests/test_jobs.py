"""Bulk jobs: one change-log entry per job, every row stamped with its job."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, models
from django.test.utils import isolate_apps

from bangfu.audit.jobs import active_job_id, bulk_job
from bangfu.audit.models import ChangeLogEntry, Job, JobStamped
from bangfu.core import context
from bangfu.orgs.models import LocalStandard


@pytest.fixture
def stamped_model(db):
    """A throwaway model using the `JobStamped` mixin, with its table created inside the test transaction.

    It lives in an isolated app registry so it never shows up in migrations; the schema editor only
    collects SQL here because SQLite's refuses to run inside a transaction.
    """
    with isolate_apps("bangfu.audit") as test_apps:
        test_apps.register_model("audit", Job)

        class StampedRow(JobStamped):
            name = models.CharField(max_length=20)

            class Meta:
                app_label = "audit"
                db_table = "audit_test_stampedrow"

        editor = connection.schema_editor(collect_sql=True)
        editor.deferred_sql = []
        editor.create_model(StampedRow)
        with connection.cursor() as cursor:
            for statement in [*editor.collected_sql, *map(str, editor.deferred_sql)]:
                cursor.execute(statement)
        yield StampedRow


def _standard(amount):
    return LocalStandard(division_id="440106", kind="living_line", amount=Decimal(amount), source="import",
                         effective_from=f"20{amount[-2:]}-01-01", illustrative=True)


def test_a_bulk_job_writes_one_entry_and_stamps_every_row(tree, city_fund_manager, stamped_model):
    before = ChangeLogEntry.objects.count()
    with context.acting_as_user(city_fund_manager, source="task", job_id="task-7"):
        with bulk_job("standards_import", model=LocalStandard, parameters={"file": "lines.csv"}) as job:
            assert context.current().job_id == str(job.pk) and active_job_id() == job.pk
            rows = job.stamp([stamped_model(name=f"row {i}") for i in range(30)])
            stamped_model.objects.bulk_create(rows)
            single = stamped_model(name="saved one by one")
            single.save()  # stamped automatically
            LocalStandard.objects.bulk_create([_standard("1010"), _standard("1011")])
            _standard("1012").save()  # a registered model saved inside the job: no per-row entry
            job.add(created=34)
    assert ChangeLogEntry.objects.count() == before + 1
    entry = ChangeLogEntry.objects.latest("id")
    assert (entry.action, entry.object_id, entry.job_ref, entry.source) == ("bulk", str(job.pk), str(job.pk), "task")
    assert (entry.actor_id, entry.org_id) == (city_fund_manager.pk, tree.city.pk)
    assert entry.changes["rows_created"] == [None, 34]
    assert entry.changes["parameters"][1] == {"file": "lines.csv", "model": "orgs.LocalStandard"}
    assert set(stamped_model.objects.values_list("job_id", flat=True)) == {job.pk}
    assert stamped_model.objects.count() == 31
    job = Job.objects.get(pk=job.pk)
    assert (job.status, job.kind, job.task_ref, job.actor_id) == ("done", "standards_import", "task-7",
                                                                  city_fund_manager.pk)
    assert job.finished_at is not None
    assert active_job_id() is None and context.current().job_id == ""


def test_a_failed_job_rolls_back_its_rows_and_is_recorded_as_failed(tree, stamped_model):
    before = ChangeLogEntry.objects.count()
    with pytest.raises(ValueError, match="bad row 3"):
        with bulk_job("standards_import", parameters={"file": "broken.csv"}) as job:
            stamped_model.objects.bulk_create(job.stamp([stamped_model(name="a"), stamped_model(name="b")]))
            job.add(created=2)
            raise ValueError("bad row 3")
    assert not stamped_model.objects.exists()  # all or nothing
    job = Job.objects.get(pk=job.pk)
    assert job.status == "failed" and "bad row 3" in job.error and job.rows_created == 0
    assert ChangeLogEntry.objects.count() == before + 1
    assert ChangeLogEntry.objects.latest("id").changes["status"] == [None, "failed"]
    assert active_job_id() is None


def test_saves_outside_a_job_are_not_stamped(tree, stamped_model):
    row = stamped_model(name="plain")
    row.save()
    assert row.job_id is None
