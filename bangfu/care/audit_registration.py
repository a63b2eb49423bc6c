"""Which care models go to the field-level change log. Everything health-related is logged masked: the change
log is read by audit administrators, who are not counsellors (DOMAIN.md §9) — they see that a record changed,
by whom and when, never the answers, scores, notes or reasons. Objects are named by kind and number only.

Who a record is about is health data too (that a household had a screening, a counselling session or a crisis
is the sensitive fact), so every field that leads to the household or the member — the household, the member,
the screening a crisis was opened by, the union responsible for a crisis — is logged masked as well: the entry
still shows that the field was set or changed (for forensics), never its value. The object's own number stays:
someone entitled to it (a counsellor, or an investigation with database access) can follow it to the record.
The people acting (counsellor, acknowledged by, closed by) stay in clear: they are who the log is about."""

from bangfu import audit
from bangfu.care.models import CarePlan, CounsellingSession, CrisisCase, GroupActivity, Screening


def _named(label: str):
    return lambda obj: f"{label} {obj.pk}"


audit.register(CarePlan, exclude=["updated_at"], masked=["household", "goals"], describe=_named("care plan"))
audit.register(CounsellingSession, masked=["household", "member", "kind", "notes", "next_step"],
               describe=_named("counselling session"))
# A group activity is the union's (its households are a many-to-many list, which the change log does not hold).
audit.register(GroupActivity, masked=["notes"])
audit.register(Screening, masked=["household", "member", "instrument", "answers", "score", "band",
                                  "self_harm_positive", "notes"], describe=_named("screening"))
audit.register(CrisisCase, masked=["household", "screening", "responsible_org", "reason", "action_taken", "outcome"],
               describe=_named("crisis case"))
