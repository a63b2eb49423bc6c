"""Run (or resume) a cross-check run in this process: `manage.py crosscheck_run --org <id>` creates one,
`--run <id>` completes an interrupted one."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bangfu.core import context
from bangfu.crosscheck.models import CheckRun
from bangfu.crosscheck.services.evaluate import run_checks
from bangfu.orgs.models import Org


class Command(BaseCommand):
    help = "Evaluate the cross-check rules for a union's subtree."

    def add_arguments(self, parser):
        parser.add_argument("--org", type=int)
        parser.add_argument("--run", type=int)

    def handle(self, *args, **options):
        if options["run"]:
            run = CheckRun.objects.select_related("org").get(pk=options["run"])
        elif options["org"]:
            run = CheckRun.objects.create(org=Org.objects.get(pk=options["org"]), on=timezone.localdate())
        else:
            raise CommandError("--org or --run")
        self.stdout.write(f"run {run.pk}", ending="\n")
        self.stdout.flush()
        with context.acting(user_id=None, username="", org_id=None, source="task", job_id=f"cli-{run.pk}"):
            run = run_checks(run)
        self.stdout.write(f"done {run.pk} findings {run.findings_opened}")
