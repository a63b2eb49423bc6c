"""Scheduled checks of bangfu.helpers (registered with the scheduler from `HelpersConfig.ready()`):

* `notify_overdue_visits` (daily, 07:40): each current responsible helper with overdue visits gets one notice a
  day with how many households are overdue and a link to the overdue list. The counts are one grouped query
  (`HelperAssignment.objects.overdue`); the notice carries a per-day `dedupe_key`, so running the task twice on
  the same day (a retry, a catch-up) sends nothing more.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext
from django_tasks import TaskContext, task

from bangfu.core.tasks import _as_task


def register_schedule() -> None:
    from bangfu.core.scheduler import register

    register("40 7 * * *", "bangfu.helpers.tasks.notify_overdue_visits")


def overdue_counts(today: dt.date) -> dict[int, int]:
    """{helper user id: households whose visit is overdue}, one grouped query over every union."""
    from bangfu.helpers.models import HelperAssignment

    rows = (HelperAssignment.objects.overdue(today).filter(helper__isnull=False, helper__is_active=True)
            .order_by().values("helper_id").annotate(n=Count("pk")).values_list("helper_id", "n"))
    return dict(rows)


def notify_overdue(today: dt.date | None = None) -> dict:
    """Send today's notices; returns how many helpers had overdue visits and how many notices were written."""
    from bangfu.accounts.models import User
    from bangfu.notifications.services import notify

    today = today or timezone.localdate()
    counts = overdue_counts(today)
    written = 0
    link = reverse("helpers:overdue") + "?mine=1"
    with translation.override(settings.LANGUAGE_CODE):
        for helper in User.objects.filter(pk__in=counts).order_by("pk"):
            count = counts[helper.pk]
            title = ngettext("%(count)d household is waiting for your visit",
                             "%(count)d households are waiting for your visit", count) % {"count": count}
            written += len(notify([helper], kind="visits_overdue", title=title, link=link,
                                  dedupe_key=f"visits-overdue:{today.isoformat()}"))
    return {"helpers": len(counts), "notices": written, "on": today.isoformat()}


@task(takes_context=True)
def notify_overdue_visits(context: TaskContext) -> dict:
    with _as_task(context):
        return notify_overdue()
