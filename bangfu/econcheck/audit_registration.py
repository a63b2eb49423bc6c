"""Check requests go to the field-level change log (state, sending, cancelling). Items and results are written in
bulk: the request's creation and every import are access-log entries, each import one bulk job that stamps its
rows (`CheckResult.job`)."""

from bangfu import audit
from bangfu.econcheck.models import CheckRequest

audit.register(CheckRequest, exclude=["created_at"])
