"""Which helpers models go to the field-level change log: assignments (who was made responsible, ended,
handed over), visit records and the visit frequencies a union sets."""

from bangfu import audit
from bangfu.helpers.models import HelperAssignment, Visit, VisitFrequency

audit.register(HelperAssignment)
audit.register(VisitFrequency)
# The photo's stored name is a random file name: its SHA-256 is what proves the file.
audit.register(Visit, exclude=["photo"])
