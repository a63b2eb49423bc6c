"""Decisions of people go to the field-level change log (the daily tasks' rows are stamped with their job)."""

from bangfu import audit
from bangfu.monitoring.models import ExitSuggestion, MonitoringPolicy, RelapseWatch, Review

audit.register(MonitoringPolicy)
audit.register(Review, exclude=["notified_at"])
audit.register(ExitSuggestion, exclude=["evidence"])
audit.register(RelapseWatch)
