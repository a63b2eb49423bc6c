"""Which care models go to the field-level change log. Everything health-related is logged masked: the change
log is read by audit administrators, who are not counsellors (DOMAIN.md §9) — they see that a record changed,
by whom and when, never the answers, scores, notes or reasons. Objects are named by kind and number only."""

from bangfu import audit
from bangfu.care.models import CarePlan, CounsellingSession, CrisisCase, GroupActivity, Screening


def _named(label: str):
    return lambda obj: f"{label} {obj.pk}"


audit.register(CarePlan, exclude=["updated_at"], masked=["goals"], describe=_named("care plan"))
audit.register(CounsellingSession, masked=["kind", "notes", "next_step"], describe=_named("counselling session"))
audit.register(GroupActivity, masked=["notes"])
audit.register(Screening, masked=["instrument", "answers", "score", "band", "self_harm_positive", "notes"],
               describe=_named("screening"))
audit.register(CrisisCase, masked=["reason", "action_taken", "outcome"], describe=_named("crisis case"))
