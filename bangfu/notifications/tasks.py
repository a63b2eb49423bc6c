"""Delivery of notices by e-mail (Django's mail backend) and SMS (`bangfu.notifications.sms`).

* `deliver(ids)` is enqueued by `notify()` after the caller's transaction commits.
* Each channel of each notice goes out at most once: the channel's timestamp (`emailed_at`, `texted_at`) is
  claimed by a conditional UPDATE before sending, so two workers (a retry and the first run) never both send;
  a failed send releases the claim and records the error on the notice (`delivery_error`) instead of raising,
  so one bad address or a gateway outage never loses the other notices.
* E-mail goes to every recipient with an address unless their preference turns it off; SMS only for urgent
  notices, to recipients with a phone, unless their preference turns it off.
* `retry_failed_deliveries` (hourly) tries again the notices of the last day whose delivery failed.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks import TaskContext, task

from bangfu.core.masking import mask_phone
from bangfu.core.tasks import _as_task

logger = logging.getLogger(__name__)

RETRY_WITHIN = dt.timedelta(days=1)  # failed deliveries older than this are left as recorded
RETRY_BATCH = 500
ERROR_LENGTH = 200  # Notification.delivery_error


def register_schedule() -> None:
    from bangfu.core.scheduler import register

    # Minute 50: away from the nightly jobs at the full and quarter hours.
    register("50 * * * *", "bangfu.notifications.tasks.retry_failed_deliveries")


def _claim(pk: int, field: str, now) -> bool:
    from bangfu.notifications.models import Notification

    return Notification.objects.filter(pk=pk, **{f"{field}__isnull": True}).update(**{field: now}) == 1


def _release(pk: int, field: str, now) -> None:
    from bangfu.notifications.models import Notification

    Notification.objects.filter(pk=pk, **{field: now}).update(**{field: None})


def _error_text(channel: str, exc: Exception, phone: str = "") -> str:
    text = f"{channel}: {type(exc).__name__}: {exc}"
    if phone:  # a gateway's message may quote the number: never store it in full
        text = text.replace(phone, mask_phone(phone))
    return text


def _email_text(notice) -> str:
    text = notice.body.strip()
    if notice.link:
        text = (text + "\n\n" if text else "") + settings.BANGFU.get("BASE_URL", "") + notice.link
    with translation.override(settings.LANGUAGE_CODE):
        footer = gettext("You can choose how notices reach you on the notifications page of the platform.")
    return (text + "\n\n" if text else "") + "-- \n" + footer


def deliver_now(ids: list[int]) -> int:
    """Send each channel of each notice that is due and not sent yet; returns how many messages went out.
    Idempotent: sent channels are skipped, so a retry or a second worker sends nothing twice."""
    from bangfu.notifications.models import Notification, NotificationPreference, Urgency
    from bangfu.notifications.sms import get_backend

    sent = 0
    sms = None
    notices = (Notification.objects.filter(pk__in=ids)
               .select_related("recipient", "recipient__notification_preference").order_by("pk"))
    for notice in notices:
        user = notice.recipient
        if not user.is_active:
            continue  # a departed user gets nothing outside the platform
        try:
            preference = user.notification_preference
        except NotificationPreference.DoesNotExist:
            preference = NotificationPreference(user=user)
        errors = []
        now = timezone.now()
        if user.email and preference.email_enabled and notice.emailed_at is None and _claim(notice.pk, "emailed_at",
                                                                                               now):
            try:
                send_mail(" ".join(notice.title.split()), _email_text(notice), None, [user.email])
                sent += 1
            except Exception as exc:  # noqa: BLE001 - any mail error is recorded, never raised
                _release(notice.pk, "emailed_at", now)
                logger.warning("E-mail of notice %s failed: %s", notice.pk, type(exc).__name__)
                errors.append(_error_text("email", exc))
        wants_sms = notice.urgency == Urgency.URGENT and user.phone and preference.sms_urgent_enabled
        if wants_sms and notice.texted_at is None and _claim(notice.pk, "texted_at", now):
            try:
                sms = sms or get_backend()
                sms.send(user.phone, " ".join(notice.title.split()))
                sent += 1
            except Exception as exc:  # noqa: BLE001 - a gateway error is recorded, never raised
                _release(notice.pk, "texted_at", now)
                logger.warning("SMS of notice %s failed: %s", notice.pk, type(exc).__name__)
                errors.append(_error_text("sms", exc, user.phone))
        error = "; ".join(errors)[:ERROR_LENGTH]
        if error != notice.delivery_error:
            Notification.objects.filter(pk=notice.pk).update(delivery_error=error)
    return sent


@task(takes_context=True)
def deliver(context: TaskContext, ids: list[int]) -> int:
    with _as_task(context):
        return deliver_now(ids)


def retry_failed() -> int:
    """Deliver again the notices of the last day whose delivery failed (or could not be queued)."""
    from bangfu.notifications.models import Notification

    since = timezone.now() - RETRY_WITHIN
    ids = list(Notification.objects.filter(created_at__gte=since).exclude(delivery_error="")
               .order_by("pk").values_list("pk", flat=True)[:RETRY_BATCH])
    return deliver_now(ids) if ids else 0


@task(takes_context=True)
def retry_failed_deliveries(context: TaskContext) -> int:
    with _as_task(context):
        return retry_failed()
