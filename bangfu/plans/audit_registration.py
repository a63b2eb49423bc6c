"""Which plans models go to the field-level change log. A recommendation's matched facts are written once by
the engine and may tell of illness: they are not copied into the log."""

from bangfu import audit
from bangfu.plans.models import Measure, Plan, Recommendation, RecommendationRule

audit.register(Plan, exclude=["updated_at"])
audit.register(Measure, exclude=["updated_at"])
audit.register(Recommendation, exclude=["facts"])
audit.register(RecommendationRule)
