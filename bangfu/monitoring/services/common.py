"""Helpers the services share: who is told, the errors' shape, today."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from bangfu.accounts.roles import Role


def today() -> dt.date:
    return timezone.localdate()


def raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def case_workers(org_ids) -> dict[int, list]:
    """{org id: active case workers of that union} (one query)."""
    from bangfu.accounts.models import User

    result: dict[int, list] = {}
    users = (User.objects.filter(org_id__in=set(org_ids), is_active=True, kind="staff", roles__role=Role.CASE_WORKER)
             .distinct().order_by("pk"))
    for user in users:
        result.setdefault(user.org_id, []).append(user)
    return result


def tell_unions(counts: dict[int, int], *, kind: str, title, link: str, dedupe: str) -> int:
    """One notice per case worker of each union in `counts` ({org id: how many}); `title(count)` builds the text
    in the platform's language; `dedupe` makes a rerun on the same day send nothing more."""
    from bangfu.notifications.services import notify

    written = 0
    by_org = case_workers(counts)
    with translation.override(settings.LANGUAGE_CODE):
        for org_id, users in by_org.items():
            written += len(notify(users, kind=kind, title=title(counts[org_id]), link=link,
                                  dedupe_key=f"{dedupe}:{org_id}"))
    return written


def policies_by_org(org_ids, on: dt.date) -> dict:
    """{org id: MonitoringPolicy in force} for many unions with two queries (orgs, policy rows)."""
    from bangfu.monitoring.models import MonitoringPolicy
    from bangfu.orgs.models import Org

    orgs = list(Org.objects.filter(pk__in=set(org_ids)))
    rows = list(MonitoringPolicy.objects.filter(effective_from__lte=on).select_related("org")
                .order_by("-effective_from"))
    national = next((r for r in rows if r.org_id is None), None)
    by_path: dict[str, MonitoringPolicy] = {}
    for row in rows:
        if row.org_id is not None and row.org.path not in by_path:
            by_path[row.org.path] = row
    result = {}
    for org in orgs:
        found = None
        for i in range(len(org.path), 0, -org.steplen):
            found = by_path.get(org.path[:i])
            if found is not None:
                break
        result[org.pk] = found or national or MonitoringPolicy.in_force(None, on)
    return result
