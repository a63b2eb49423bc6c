"""Rights cases go to the field-level change log: every change of a case, field by field, is its history
(shown on the case page)."""

from bangfu import audit
from bangfu.rights.models import RightsCase

audit.register(RightsCase, exclude=["updated_at", "created_at"])
