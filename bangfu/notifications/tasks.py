"""Delivery of notices by e-mail (Django's mail backend) and SMS (`bangfu.notifications.sms`)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import TaskContext, task

from bangfu.core.tasks import _as_task

logger = logging.getLogger(__name__)


def deliver_now(ids: list[int]) -> int:
    """Send each notice not yet sent; returns how many messages went out. Idempotent (sent ones are skipped)."""
    from bangfu.notifications.models import Notification, Urgency
    from bangfu.notifications.sms import SmsError, get_backend

    sent = 0
    sms = None
    for notice in Notification.objects.filter(pk__in=ids).select_related("recipient"):
        user = notice.recipient
        text = f"{notice.title}\n\n{notice.body}".strip()
        if notice.link:
            text += "\n\n" + settings.BANGFU.get("BASE_URL", "") + notice.link
        errors = []
        if user.email and notice.emailed_at is None:
            try:
                send_mail(notice.title, text, None, [user.email])
                notice.emailed_at = timezone.now()
                sent += 1
            except Exception as exc:  # a mail server error must not lose the SMS or the other notices
                logger.warning("E-mail of notice %s failed: %s", notice.pk, exc)
                errors.append("email")
        if notice.urgency == Urgency.URGENT and user.phone and notice.texted_at is None:
            sms = sms or get_backend()
            try:
                sms.send(user.phone, notice.title)
                notice.texted_at = timezone.now()
                sent += 1
            except SmsError as exc:
                logger.warning("SMS of notice %s failed: %s", notice.pk, exc)
                errors.append("sms")
        notice.delivery_error = ",".join(errors)
        notice.save(update_fields=["emailed_at", "texted_at", "delivery_error"])
    return sent


@task(takes_context=True)
def deliver(context: TaskContext, ids: list[int]) -> int:
    with _as_task(context):
        return deliver_now(ids)
