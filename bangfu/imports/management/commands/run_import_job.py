"""Run (or re-run after a crash) one import job in this process: `manage.py run_import_job <id> [--force]`."""

from django.core.management.base import BaseCommand

from bangfu.imports.models import ImportJob
from bangfu.imports.pipeline import run_job


class Command(BaseCommand):
    help = ("Run or re-run an import job: a queued job, or a running one whose worker shows no sign of life "
            "(a job left running by a killed worker starts again from scratch). --force takes over a running job "
            "whose heartbeat is still recent: only when you know its worker is dead.")

    def add_arguments(self, parser):
        parser.add_argument("job_id", type=int)
        parser.add_argument("--workers", type=int, default=None)
        parser.add_argument("--force", action="store_true",
                            help="Run a job marked running even if its heartbeat is recent (its worker is dead).")

    def handle(self, job_id, workers=None, force=False, **options):
        if force:
            ImportJob.objects.filter(pk=job_id, state=ImportJob.State.RUNNING).update(state=ImportJob.State.QUEUED)
        before = ImportJob.objects.filter(pk=job_id).values_list("attempts", flat=True).first()
        job = run_job(job_id, workers=workers)
        if job.attempts == before and not job.is_finished:
            self.stderr.write(f"job {job.pk} is {job.state} and another worker shows signs of life: not run "
                              "(use --force if that worker is dead)")
            return
        self.stdout.write(f"job {job.pk}: {job.state} created={job.households_created} "
                          f"changed={job.households_changed} unchanged={job.households_unchanged} "
                          f"rejected_rows={job.rows_rejected}")
