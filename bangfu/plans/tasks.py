"""Scheduled checks of the household plans.

* `notify_due_measures` (daily, 07:30 Beijing time): each owner of open measures that are due within
  `settings.PLANS_DUE_SOON_DAYS` days or overdue gets ONE notice with the counts (not one per measure). The
  counts are one aggregate query over all owners; the notice's `dedupe_key` holds the date, so a second run on
  the same day (a retry, a catch-up) writes nothing new.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django_tasks import TaskContext, task

from bangfu.core.tasks import _as_task

logger = logging.getLogger(__name__)
NOTICE_KIND = "measures_due"


def register_schedule() -> None:
    from bangfu.core.scheduler import register

    register("30 7 * * *", "bangfu.plans.tasks.notify_due_measures")


def _work_list_link() -> str:
    # The work lists (bangfu.worklist) show a person's due measures (/work/measures/); without them, no link.
    for name, args in (("worklist:list", ["measures"]), ("worklist:home", [])):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return ""


def notify_due(today: dt.date | None = None) -> dict:
    """Notify every owner of measures due soon or overdue; returns how many owners were counted and notified."""
    from bangfu.accounts.models import User
    from bangfu.notifications.services import notify
    from bangfu.plans.models import Measure

    today = today or timezone.localdate()
    days = int(settings.PLANS_DUE_SOON_DAYS)
    counts = (Measure.objects.due_within(days, today=today).values("owner")
              .annotate(due=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today))).order_by("owner"))
    by_owner = {row["owner"]: row for row in counts}
    owners = User.objects.filter(pk__in=by_owner, is_active=True)
    link = _work_list_link()
    written = 0
    with translation.override(settings.LANGUAGE_CODE):
        for owner in owners:
            row = by_owner[owner.pk]
            overdue, soon = row["overdue"], row["due"] - row["overdue"]
            title = ngettext("You have %(count)d measure due soon or overdue",
                             "You have %(count)d measures due soon or overdue", row["due"]) % {"count": row["due"]}
            parts = []
            if overdue:
                parts.append(ngettext("%(count)d is overdue.", "%(count)d are overdue.", overdue) % {"count": overdue})
            if soon:
                parts.append(ngettext("%(count)d is due within %(days)d days.",
                                      "%(count)d are due within %(days)d days.", soon) % {"count": soon, "days": days})
            parts.append(gettext("Open the household plans to update them."))
            written += len(notify([owner], kind=NOTICE_KIND, title=title, body=" ".join(parts), link=link,
                                  dedupe_key=f"plans:measures_due:{today.isoformat()}"))
    return {"owners": len(by_owner), "notified": written, "date": today.isoformat()}


@task(takes_context=True)
def notify_due_measures(context: TaskContext) -> dict:
    with _as_task(context):
        result = notify_due()
        logger.info("Measures due: %s", result)
        return result
