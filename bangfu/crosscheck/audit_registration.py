"""Rule versions and data-source schemas go to the field-level change log; findings too (their resolution).
Snapshot rows are bulk data: one audit record per load (`services.ingest`), each row stamped with its snapshot."""

from bangfu import audit
from bangfu.crosscheck.models import CheckRule, DataSource, Finding

audit.register(DataSource)
audit.register(CheckRule, exclude=["created_at"])
audit.register(Finding, exclude=["evidence"])
