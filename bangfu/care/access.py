"""Who may open care pages, and the access log of every read of a care record.

Care records are health data (DOMAIN.md §8, §9): only counsellors hold the `care.view_*` permissions, so for
anyone else every `restrict(...)` is empty and every page answers 404, exactly like a record of another union.
Each care record shown on a page or by the API is written to the access log, one row per record.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.core.decorators import staff_page


def care_page(permission: str):
    """Signed-in union staff holding `permission` (a `care.*` one: counsellors only); everyone else (case
    workers, helpers, workers) gets a 404."""
    return staff_page(permission)


def log_reads(request, records, **detail) -> None:
    """One access-log row per care record read (None entries are skipped)."""
    for record in records:
        if record is not None:
            audit.log_access(request, "view", obj=record, **detail)


def _duration(delta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return _("%(days)d days %(hours)d h") % {"days": hours // 24, "hours": hours % 24}
    return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}


def deadline_status(case, now=None) -> dict:
    """How a crisis case stands against its deadline, in words: time left, overdue by, or met."""
    now = now or timezone.now()
    if not case.is_awaiting:
        return {"overdue": False, "awaiting": False, "text": case.get_state_display()}
    if case.due_at < now:
        return {"overdue": True, "awaiting": True,
                "text": _("Overdue by %(time)s") % {"time": _duration(now - case.due_at)}}
    return {"overdue": False, "awaiting": True, "text": _("%(time)s left") % {"time": _duration(case.due_at - now)}}
