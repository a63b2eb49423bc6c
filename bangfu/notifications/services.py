"""`notify(...)`: the one way any app tells a user something (assignments, deadlines, escalations), and the
recipient's own actions on their notices (mark read, preferences).

The in-app notice is written in the caller's transaction; e-mail and SMS go out after commit, from a
background task (`bangfu.notifications.tasks.deliver`), so a slow mail server never holds a request and a
rolled-back action never sends a message (its notices vanish with it, and the delivery registered with
`on_commit` is dropped). Callers pass text already translated for the recipient — notices are short, and a
recipient's language is the platform default (simplified Chinese) unless the text was built under
`translation.override`. The text says what is due and links to the page; it never says why when the why is
health data (a helper is told that an urgent contact is due, not about the screening).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from bangfu.notifications.models import Notification, NotificationPreference, Urgency

logger = logging.getLogger(__name__)


def notify(recipients: Iterable, *, kind: str, title: str, body: str = "", link: str = "",
           urgent: bool = False, dedupe_key: str = "") -> list[Notification]:
    """Write one notice per active recipient (skipping those who already have one with `dedupe_key`) and
    schedule their delivery by e-mail (everyone with an address) and SMS (urgent notices, users with a phone)
    for when the caller's transaction commits. Returns the notices written now."""
    written = []
    fields = {"kind": kind[:40], "title": title[:200], "body": body, "link": link[:300],
              "urgency": Urgency.URGENT if urgent else Urgency.NORMAL}
    for user in {u.pk: u for u in recipients if u is not None and u.is_active}.values():
        if dedupe_key:
            # get_or_create writes in a savepoint and re-reads on a unique-key conflict: a notice the same
            # check wrote concurrently is found, not duplicated (partial unique index on recipient + key).
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
    """Queue the delivery task. Runs after the commit: a queue that is down must not turn the caller's
    committed action into an error, so the failure is recorded on the notices (the hourly retry sends them)."""
    from bangfu.notifications.tasks import deliver

    try:
        deliver.enqueue(ids)
    except Exception as exc:  # noqa: BLE001 - recorded on the notices, retried by the scheduler
        logger.warning("Delivery of notices %s could not be queued: %s", ids, type(exc).__name__)
        Notification.objects.filter(pk__in=ids).update(delivery_error=f"queue: {type(exc).__name__}"[:200])


# --- the recipient's own actions ---------------------------------------------------------------------------


def mark_read(user, notice: Notification) -> Notification:
    """Mark one of the user's notices read (once: the first reading time is kept)."""
    if notice.recipient_id != user.pk:
        raise Http404  # callers look notices up through restrict(); somebody else's notice does not exist
    if notice.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=now)
        notice.read_at = now
    return notice


def mark_all_read(user) -> int:
    """Mark every unread notice of the user read, in one UPDATE; returns how many."""
    return Notification.objects.restrict(user, "change").unread().update(read_at=timezone.now())


@transaction.atomic
def set_preferences(user, *, email_enabled: bool, sms_urgent_enabled: bool) -> NotificationPreference:
    """Store how the user wants notices delivered besides the inbox."""
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    preference.email_enabled = bool(email_enabled)
    preference.sms_urgent_enabled = bool(sms_urgent_enabled)
    preference.save()
    return preference
