"""notify(): one notice per recipient, idempotent with a dedupe key, delivered only after the caller commits."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from bangfu.notifications.models import Notification, Urgency
from bangfu.notifications.services import notify
from bangfu.notifications.tasks import deliver

pytestmark = pytest.mark.django_db


def test_one_notice_per_recipient_and_none_for_inactive_users(recipient, other_user, tree):
    gone = tree.user("gone", tree.grassroots)
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    written = notify([recipient, other_user, recipient, gone, None], kind="test", title="Visit due",
                     body="Household T1", link="/households/1/", urgent=True)

    assert sorted(n.recipient_id for n in written) == sorted([recipient.pk, other_user.pk])
    notice = Notification.objects.get(recipient=recipient)
    assert (notice.title, notice.body, notice.link, notice.urgency) == ("Visit due", "Household T1",
                                                                         "/households/1/", Urgency.URGENT)
    assert not Notification.objects.filter(recipient=gone).exists()


def test_the_same_dedupe_key_writes_the_notice_once(recipient, other_user):
    first = notify([recipient], kind="visit_overdue", title="Visit overdue", dedupe_key="visit:7:2026-11")
    again = notify([recipient, other_user], kind="visit_overdue", title="Visit overdue (again)",
                   dedupe_key="visit:7:2026-11")

    assert len(first) == 1
    assert [n.recipient_id for n in again] == [other_user.pk]  # only the one who had none yet
    assert Notification.objects.filter(recipient=recipient).count() == 1
    assert Notification.objects.get(recipient=recipient).title == "Visit overdue"
    # Without a key every call writes a notice.
    notify([recipient], kind="x", title="a")
    notify([recipient], kind="x", title="a")
    assert Notification.objects.filter(recipient=recipient).count() == 3


DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def db_tasks(settings):
    """The database task backend: what the test settings use anyway (TASK_BACKEND unset), made explicit so a
    run with TASK_BACKEND=redis or immediate tests the same thing."""
    settings.TASKS = DB_TASKS


def test_delivery_is_queued_on_commit_on_the_configured_task_backend(recipient, db_tasks,
                                                                     django_capture_on_commit_callbacks):
    """The commit of the caller's transaction puts one `deliver` task with the notice ids in the queue (a real
    row of the database backend, run by the worker: test_delivery.py), and nothing before it."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notices = notify([recipient], kind="test", title="Assigned")
    assert len(callbacks) == 1
    assert not DBTaskResult.objects.exists()  # nothing queued before the commit

    callbacks[0]()  # what the commit does
    result = DBTaskResult.objects.get()
    assert result.task_path == deliver.module_path
    assert result.args_kwargs["args"] == [[notices[0].pk]]


def test_a_rolled_back_action_leaves_no_notice_and_queues_no_delivery(recipient, db_tasks,
                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notify([recipient], kind="test", title="Never", dedupe_key="k1")
            raise RuntimeError("the action failed after notifying")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert not DBTaskResult.objects.exists()
    # The dedupe key was rolled back with the notice: the next real run writes it.
    assert len(notify([recipient], kind="test", title="Now", dedupe_key="k1")) == 1
