"""A case's history from the field-level change log, in words.

The change log is scoped by the actor's union (`audit.view_changelogentry` for audit administrators); a
case's own entries are part of the case, so whoever may see the case (checked by the caller through
`RightsCase.objects.restrict`) sees who changed what on it. Coded values are shown as their labels and user
ids as names.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.utils.text import capfirst

from bangfu.accounts.models import User
from bangfu.audit.models import ChangeLogEntry
from bangfu.rights.models import CaseKind, CaseOutcome, CaseState, CaseTopic, RightsCase

HISTORY_ROWS = 50
_CHOICES = {"kind": CaseKind, "topic": CaseTopic, "state": CaseState, "outcome": CaseOutcome}
_USERS = ("handled_by", "created_by")
_HIDDEN = {"household"}  # a case never moves between households: the first entry's household says nothing


def case_history(case: RightsCase) -> list[dict]:
    """The newest `HISTORY_ROWS` change-log entries of the case: time, who, what, and each field's change."""
    content_type = ContentType.objects.get_for_model(RightsCase)
    entries = list(ChangeLogEntry.objects.filter(content_type=content_type, object_id=str(case.pk))
                   .select_related("actor").order_by("-time", "-id")[:HISTORY_ROWS])
    user_ids = {value for e in entries for name in _USERS for value in (e.changes or {}).get(name, []) or []
                if isinstance(value, int)}
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids).only("id", "username", "full_name")}
    labels = {f.name: f.verbose_name for f in RightsCase._meta.get_fields() if hasattr(f, "verbose_name")}

    def shown(name, value):
        if value in (None, ""):
            return "—"
        if name in _CHOICES and value in _CHOICES[name].values:
            return str(_CHOICES[name](value).label)
        if name in _USERS:
            return names.get(value, f"#{value}")
        return str(value)

    rows = []
    for entry in entries:
        created = entry.action == ChangeLogEntry.Action.CREATE
        changes = [(capfirst(str(labels.get(name, name))), shown(name, pair[0]), shown(name, pair[1]))
                   for name, pair in (entry.changes or {}).items()
                   if name not in _HIDDEN and isinstance(pair, list) and len(pair) == 2
                   and not (created and pair[1] in (None, ""))]  # a new case's empty fields say nothing
        rows.append({"entry": entry, "who": str(entry.actor) if entry.actor else entry.actor_username or "—",
                     "changes": changes})
    return rows
