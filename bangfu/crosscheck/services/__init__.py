"""Write functions of bangfu.crosscheck, used by pages, the API and tasks alike."""

from bangfu.crosscheck.services.evaluate import run_checks, start_run, unauthorised_households
from bangfu.crosscheck.services.findings import finding_confirm, finding_dismiss, rule_edit
from bangfu.crosscheck.services.ingest import snapshot_load, snapshot_push

__all__ = ["finding_confirm", "finding_dismiss", "rule_edit", "run_checks", "snapshot_load", "snapshot_push",
           "start_run", "unauthorised_households"]
