"""`notify(...)`: the one way any app tells a user something (assignments, deadlines, escalations).

The in-app notice is written in the caller's transaction; e-mail and SMS go out after commit, from a
background task (`bangfu.notifications.tasks.deliver`), so a slow mail server never holds a request or a
rolled-back action never sends a message. Callers pass text already translated for the recipient — notices
are short, and a recipient's language is the platform default (simplified Chinese) unless the text was built
under `translation.override`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from bangfu.notifications.models import Notification, Urgency


def notify(recipients: Iterable, *, kind: str, title: str, body: str = "", link: str = "",
           urgent: bool = False, dedupe_key: str = "") -> list[Notification]:
    """Write one notice per recipient (skipping those who already have one with `dedupe_key`) and schedule
    their delivery by e-mail (everyone with an address) and SMS (urgent notices, users with a phone).
    Returns the notices written now."""
    written = []
    for user in {u.pk: u for u in recipients if u is not None and u.is_active}.values():
        fields = {"kind": kind, "title": title[:200], "body": body, "link": link[:300],
                  "urgency": Urgency.URGENT if urgent else Urgency.NORMAL}
        if dedupe_key:
            notice, created = Notification.objects.get_or_create(recipient=user, dedupe_key=dedupe_key[:120],
                                                                 defaults=fields)
            if not created:
                continue
        else:
            notice = Notification.objects.create(recipient=user, **fields)
        written.append(notice)
    if written:
        ids = [n.pk for n in written]
        transaction.on_commit(lambda: _enqueue_delivery(ids))
    return written


def _enqueue_delivery(ids: list[int]) -> None:
    from bangfu.notifications.tasks import deliver

    deliver.enqueue(ids)
