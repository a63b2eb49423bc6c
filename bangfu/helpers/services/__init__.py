"""Named atomic write functions of bangfu.helpers (the pages and the API call these and nothing else)."""

from bangfu.helpers.services.assignments import assign_helper, end_assignment, hand_over
from bangfu.helpers.services.visits import record_visit, remove_visit_frequency, set_visit_frequency

__all__ = ["assign_helper", "end_assignment", "hand_over", "record_visit", "remove_visit_frequency",
           "set_visit_frequency"]
