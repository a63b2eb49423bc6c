"""Work-list querysets (due_for, overdue, due_within) and the daily notice of due measures: one notice per owner
per day with the counts, open archives and open measures only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.core import scheduler
from bangfu.notifications.models import Notification
from bangfu.plans.models import Measure
from bangfu.plans.tasks import notify_due
from bangfu.plans.tests.factories import make_measure
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def helper(tree):
    return tree.user("helper", tree.grassroots, Role.HELPER)


@pytest.fixture
def measures(tree, grassroots_cadre, helper):
    household = make_household(tree.grassroots)
    closed = make_household(tree.grassroots, state="exited")
    return {
        "overdue": make_measure(household, grassroots_cadre, due_in=-2),
        "today": make_measure(household, grassroots_cadre, due_in=0, state="in_progress"),
        "soon": make_measure(household, grassroots_cadre, due_in=5),
        "later": make_measure(household, grassroots_cadre, due_in=30),
        "done": make_measure(household, grassroots_cadre, due_in=-9, state="done"),
        "helper_overdue": make_measure(household, helper, due_in=-1),
        "closed_archive": make_measure(closed, grassroots_cadre, due_in=-5),
    }


def names(queryset, measures) -> set[str]:
    ids = set(queryset.values_list("pk", flat=True))
    return {name for name, m in measures.items() if m.pk in ids}


def test_querysets(measures, grassroots_cadre, helper):
    assert names(Measure.objects.overdue(), measures) == {"overdue", "helper_overdue"}
    assert names(Measure.objects.due_within(7), measures) == {"overdue", "today", "soon", "helper_overdue"}
    assert names(Measure.objects.due_for(grassroots_cadre, 7), measures) == {"overdue", "today", "soon"}
    assert names(Measure.objects.due_for(helper, 0), measures) == {"helper_overdue"}
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert names(Measure.objects.overdue(today=tomorrow), measures) == {"overdue", "today", "helper_overdue"}
    assert names(Measure.objects.restrict(helper, "view").due_for(grassroots_cadre, 7), measures) == {
        "overdue", "today", "soon"}


def test_one_notice_per_owner_per_day(measures, grassroots_cadre, helper, settings):
    settings.PLANS_DUE_SOON_DAYS = 7
    result = notify_due()
    assert result["owners"] == 2 and result["notified"] == 2
    notice = Notification.objects.get(recipient=grassroots_cadre)
    assert notice.title == "您有3项帮扶措施即将到期或已逾期"  # built in the platform language (simplified Chinese)
    assert "其中1项已逾期" in notice.body and "2项将在7天内到期" in notice.body
    assert notice.link == "/work/measures/" and notice.kind == "measures_due"
    assert Notification.objects.get(recipient=helper).title == "您有1项帮扶措施即将到期或已逾期"
    assert notify_due()["notified"] == 0  # the same day again: nothing new (dedupe key)
    assert Notification.objects.count() == 2
    notify_due(today=timezone.localdate() + dt.timedelta(days=1))  # the next day: a new notice
    assert Notification.objects.filter(recipient=grassroots_cadre).count() == 2


def test_inactive_owners_and_quiet_days(measures, grassroots_cadre, helper, settings):
    settings.PLANS_DUE_SOON_DAYS = 0
    helper.is_active = False
    helper.save()
    assert notify_due()["notified"] == 1  # the case worker's overdue and due-today measures only
    assert not Notification.objects.filter(recipient=helper).exists()


def test_the_check_is_scheduled_daily():
    assert any(path == "bangfu.plans.tasks.notify_due_measures" for _cron, path in scheduler.SCHEDULE)
    scheduler.validate_schedule()
