"""Run (or re-run after a crash) one import job in this process: `manage.py run_import_job <id>`."""

from django.core.management.base import BaseCommand

from bangfu.imports.models import ImportJob
from bangfu.imports.pipeline import run_job


class Command(BaseCommand):
    help = "Run or re-run an import job (a job left running by a killed worker starts again from scratch)."

    def add_arguments(self, parser):
        parser.add_argument("job_id", type=int)
        parser.add_argument("--workers", type=int, default=None)

    def handle(self, job_id, workers=None, **options):
        ImportJob.objects.filter(pk=job_id, state=ImportJob.State.RUNNING).update(state=ImportJob.State.QUEUED)
        job = run_job(job_id, workers=workers)
        self.stdout.write(f"job {job.pk}: {job.state} created={job.households_created} "
                          f"changed={job.households_changed} unchanged={job.households_unchanged} "
                          f"rejected_rows={job.rows_rejected}")
