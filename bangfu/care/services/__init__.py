"""Named atomic write functions of the care app (pages and API call the same ones).

* `screenings` — `record_screening`: scored by `bangfu.care.instruments`; a positive self-harm item or a
  severe band opens a crisis case.
* `crisis` — crisis cases: who is responsible, opening, `acknowledge`, `close`, `escalate_overdue` (scheduled).
* `records` — care plans, counselling sessions, group activities.

Every function validates first and raises `ValidationError` (messages through gettext) before writing
anything, so a refused call leaves nothing behind.
"""

from bangfu.care.services.crisis import (
    acknowledge,
    close,
    escalate_overdue,
    escalation_target,
    open_crisis_case,
    responsible_org_for,
)
from bangfu.care.services.records import (
    close_care_plan,
    open_care_plan,
    record_activity,
    record_session,
    update_activity,
    update_care_plan,
)
from bangfu.care.services.screenings import record_screening

__all__ = [
    "acknowledge", "close", "close_care_plan", "escalate_overdue", "escalation_target", "open_care_plan",
    "open_crisis_case", "record_activity", "record_screening", "record_session", "responsible_org_for",
    "update_activity", "update_care_plan",
]
