"""The helper panel tells the household's current responsible helper, on top, that an urgent contact is due while
their "urgent contact" notice about this household is unread: no reason, only the user's own notices, one
query. Nobody else sees it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from bangfu.helpers.panel import urgent_notice_at
from bangfu.helpers.services import assign_helper
from bangfu.notifications.models import Notification
from bangfu.notifications.services import notify
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db
ALERT = 'data-testid="helper-urgent-contact"'


def _urgent_contact(user, household, **fields):
    defaults = {"kind": "urgent_contact", "title": f"Urgent contact due: household {household.archive_number}",
                "body": "Please get in touch.", "link": reverse("registry:detail", args=[household.pk]),
                "urgent": True}
    defaults.update(fields)
    return notify([user], **defaults)[0]


@pytest.fixture
def assigned(household, helper, grassroots_cadre, today):
    return assign_helper(household, mode="pairing", helper=helper, helper_kind="branch_cadre", starts_on=today,
                         actor=grassroots_cadre)


def _panel(client, household) -> str:
    html = client.get(f"/households/{household.pk}/").content.decode()
    return html.split('data-testid="panel-helpers"')[1].split("</section>")[0]


def test_the_current_helper_sees_the_alert_until_the_notice_is_read(en, household, helper, assigned):
    client = en(helper)
    assert ALERT not in _panel(client, household)
    notice = _urgent_contact(helper, household)
    panel = _panel(client, household)
    assert ALERT in panel
    sent = timezone.localtime(notice.created_at).strftime("%Y-%m-%d %H:%M")
    assert f"An urgent contact with this household is due (see your notice of {sent})." in panel
    assert panel.index(ALERT) < panel.index('data-testid="helper-current"')  # at the top of the panel
    Notification.objects.filter(pk=notice.pk).update(read_at=timezone.now())
    assert ALERT not in _panel(client, household)


def test_nobody_else_sees_it_and_other_notices_do_not_count(tree, en, household, helper, helper_b,
                                                            grassroots_cadre, assigned):
    # The case worker has an urgent-contact notice too, but is not the responsible helper.
    _urgent_contact(grassroots_cadre, household)
    assert ALERT not in _panel(en(grassroots_cadre), household)
    # The helper's notice of another household, a normal notice, another kind: none of them count.
    other = make_household(tree.grassroots)
    _urgent_contact(helper, other)
    _urgent_contact(helper, household, urgent=False)
    _urgent_contact(helper, household, kind="helper_assigned", title="x")
    assert ALERT not in _panel(en(helper), household)
    # Another user's unread notice is never read for this user.
    _urgent_contact(helper_b, household)
    assert ALERT not in _panel(en(helper), household)


def test_the_look_up_is_one_query_of_the_users_own_notices(household, helper, helper_b, assigned,
                                                           django_assert_num_queries):
    _urgent_contact(helper_b, household)
    with django_assert_num_queries(1):
        assert urgent_notice_at(helper, household) is None
    notice = _urgent_contact(helper, household)
    with django_assert_num_queries(1):
        assert urgent_notice_at(helper, household) == notice.created_at
