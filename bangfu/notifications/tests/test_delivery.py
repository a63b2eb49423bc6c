"""Delivery by e-mail (Django's mail backend, locmem here) and SMS (BANGFU_SMS_BACKEND, locmem here):
who gets what, the preference, errors recorded and not raised, nothing sent twice, and the real path through
the task queue (database backend and worker) after a commit."""

from __future__ import annotations

import logging
import signal
from io import StringIO

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from bangfu.notifications.models import Notification
from bangfu.notifications.services import notify, set_preferences
from bangfu.notifications.sms import ConsoleSmsBackend, SmsError
from bangfu.notifications.tasks import deliver_now, retry_failed

pytestmark = pytest.mark.django_db


class FailingSms:
    def send(self, phone, text):
        raise SmsError(f"gateway refused {phone}")


class FailingMail(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def _notice(user, *, urgent=False, **kwargs):
    return notify([user], kind="test", title=kwargs.pop("title", "Urgent contact due"), urgent=urgent,
                  link="/households/5/", **kwargs)[0]


def test_email_for_every_notice_sms_only_for_urgent_ones(recipient, outboxes, settings):
    settings.BANGFU = {**settings.BANGFU, "BASE_URL": "https://bangfu.example.org"}
    normal, urgent = _notice(recipient, title="Measure due"), _notice(recipient, urgent=True)

    assert deliver_now([normal.pk, urgent.pk]) == 3

    assert [m.subject for m in outboxes["mail"]] == ["Measure due", "Urgent contact due"]
    assert outboxes["mail"][0].to == ["recipient@example.org"]
    assert "https://bangfu.example.org/households/5/" in outboxes["mail"][0].body
    assert outboxes["sms"] == [("13812345678", "Urgent contact due")]
    normal.refresh_from_db()
    urgent.refresh_from_db()
    assert normal.emailed_at and normal.texted_at is None
    assert urgent.emailed_at and urgent.texted_at and urgent.delivery_error == ""


def test_nothing_is_sent_twice(recipient, outboxes):
    notice = _notice(recipient, urgent=True)
    assert deliver_now([notice.pk]) == 2
    assert deliver_now([notice.pk]) == 0  # a retry, or a second worker with the same task
    assert len(outboxes["mail"]) == 1 and len(outboxes["sms"]) == 1


def test_no_address_no_phone_nothing_outside_the_inbox(other_user, outboxes):
    notice = _notice(other_user, urgent=True)
    assert deliver_now([notice.pk]) == 0
    assert outboxes["mail"] == [] and outboxes["sms"] == []
    notice.refresh_from_db()
    assert notice.emailed_at is None and notice.texted_at is None and notice.delivery_error == ""


def test_the_preference_switches_each_channel_off(recipient, outboxes):
    set_preferences(recipient, email_enabled=False, sms_urgent_enabled=True)
    assert deliver_now([_notice(recipient, urgent=True).pk]) == 1
    assert outboxes["mail"] == [] and len(outboxes["sms"]) == 1

    set_preferences(recipient, email_enabled=True, sms_urgent_enabled=False)
    assert deliver_now([_notice(recipient, urgent=True).pk]) == 1
    assert len(outboxes["mail"]) == 1 and len(outboxes["sms"]) == 1  # no second SMS


def test_a_failing_gateway_is_recorded_not_raised_and_retried(recipient, outboxes, settings):
    settings.BANGFU_SMS_BACKEND = "bangfu.notifications.tests.test_delivery.FailingSms"
    settings.EMAIL_BACKEND = "bangfu.notifications.tests.test_delivery.FailingMail"
    notice = _notice(recipient, urgent=True)
    other = _notice(recipient, title="Second notice")

    assert deliver_now([notice.pk, other.pk]) == 0  # no exception: the next notice was still tried

    notice.refresh_from_db()
    assert notice.emailed_at is None and notice.texted_at is None
    assert "email: ConnectionRefusedError" in notice.delivery_error
    assert "sms: SmsError" in notice.delivery_error
    assert "13812345678" not in notice.delivery_error and "138****5678" in notice.delivery_error

    # The gateways are back: the hourly retry sends what failed, once, and clears the error.
    settings.BANGFU_SMS_BACKEND = "bangfu.notifications.sms.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert retry_failed() == 3
    assert retry_failed() == 0
    notice.refresh_from_db()
    assert notice.emailed_at and notice.texted_at and notice.delivery_error == ""


def test_console_sms_masks_the_phone(capsys):
    ConsoleSmsBackend().send("13812345678", "Urgent contact due")
    out = capsys.readouterr().out
    assert "[SMS to 138****5678] Urgent contact due" in out
    assert "13812345678" not in out


@pytest.fixture
def restore_process_state():
    """The in-process db_worker installs signal handlers and sets log levels: put them back."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    levels = {name: logging.getLogger(name).level for name in ("django_tasks", "django_tasks_db")}
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.django_db(transaction=True)  # the worker closes its connections: outside the test transaction
def test_the_database_worker_delivers_what_the_commit_queued(recipient, outboxes, settings, restore_process_state):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    with transaction.atomic():
        notice = _notice(recipient, urgent=True)
        assert not DBTaskResult.objects.exists()  # queued at the commit, not before
    assert outboxes["mail"] == []  # queued, not sent in the caller's request
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--queue-name", "default",
                 stdout=StringIO())

    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert [m.subject for m in outboxes["mail"]] == ["Urgent contact due"]
    assert outboxes["sms"] == [("13812345678", "Urgent contact due")]
    notice.refresh_from_db()
    assert notice.emailed_at and notice.texted_at


@pytest.mark.django_db(transaction=True)
def test_real_commit_delivers_and_real_rollback_neither_stores_nor_sends(recipient, outboxes, settings):
    """Outside the test transaction, with the immediate task backend: a committed action's notice is e-mailed
    at the commit; a rolled-back action leaves no notice and sends nothing."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        notify([recipient], kind="test", title="Rolled back", urgent=True)
        assert outboxes["mail"] == []  # nothing goes out before the commit
        _ = 1 / 0
    assert not Notification.objects.exists()
    assert outboxes["mail"] == [] and outboxes["sms"] == []

    with transaction.atomic():
        notify([recipient], kind="test", title="Committed", urgent=True)
        assert outboxes["mail"] == []
    assert [m.subject for m in outboxes["mail"]] == ["Committed"]
    assert outboxes["sms"] == [("13812345678", "Committed")]
    assert Notification.objects.get().emailed_at is not None


def test_a_queue_that_is_down_does_not_fail_the_committed_action(recipient, outboxes, settings,
                                                                 django_capture_on_commit_callbacks):
    """Redis unreachable at the commit: the caller's action stands, the notice is in the inbox with the error
    recorded, and the hourly retry delivers it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 5}}  # nothing listens
    with django_capture_on_commit_callbacks(execute=True):
        notice = _notice(recipient, urgent=True)  # no exception at the commit

    notice.refresh_from_db()
    assert notice.delivery_error == "queue: ConnectionError"
    assert retry_failed() == 2
    notice.refresh_from_db()
    assert notice.delivery_error == "" and notice.emailed_at and notice.texted_at
