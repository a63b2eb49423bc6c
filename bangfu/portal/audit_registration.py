"""Invitations go to the field-level change log (who created, used or revoked one); one-time codes do not (a
row per SMS, its hash only: the access log records failed codes, the timeline records accounts opened)."""

from bangfu import audit
from bangfu.portal.models import WorkerInvitation

audit.register(WorkerInvitation, exclude=["code_hash"])
