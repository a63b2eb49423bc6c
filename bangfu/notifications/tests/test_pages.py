"""The inbox page and the bell: the recipient's own notices only, state changes by POST, the badge in one query."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bangfu.notifications.models import Notification, NotificationPreference
from bangfu.notifications.services import notify

pytestmark = pytest.mark.django_db


def _notice(user, title, **kwargs):
    return notify([user], kind="test", title=title, **kwargs)[0]


def test_inbox_lists_own_notices_newest_first_unread_bold_urgent_marked(signed_in, recipient, other_user):
    old = _notice(recipient, "First notice")
    new = _notice(recipient, "Second notice", urgent=True, body="Within 24 hours")
    _notice(other_user, "Somebody else's notice")
    Notification.objects.filter(pk=old.pk).update(read_at=old.created_at)

    html = signed_in(recipient).get("/notifications/").content.decode()

    assert html.index("Second notice") < html.index("First notice")
    assert "Somebody else" not in html
    new_row = html[html.index(f'data-testid="notice-{new.pk}"'):html.index(f'data-testid="notice-{old.pk}"')]
    assert "fw-bold" in new_row and 'data-testid="urgent"' in new_row and "Within 24 hours" in new_row
    old_row = html[html.index(f'data-testid="notice-{old.pk}"'):]
    old_row = old_row[:old_row.index("</li>")]
    assert "fw-bold" not in old_row and 'data-testid="urgent"' not in old_row
    assert re.search(r'data-testid="unread-badge"[^>]*>\s*1\s*<', html)  # the bell counts the unread one


def test_another_users_notice_is_a_404_and_stays_unread(signed_in, recipient, other_user):
    theirs = _notice(other_user, "Not yours", link="/rights/")
    client = signed_in(recipient)
    for url in (f"/notifications/{theirs.pk}/open/", f"/notifications/{theirs.pk}/read/"):
        assert client.post(url).status_code == 404
    client.post("/notifications/read-all/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_state_changes_need_a_post(signed_in, recipient):
    notice = _notice(recipient, "Unread")
    client = signed_in(recipient)
    assert client.get(f"/notifications/{notice.pk}/read/").status_code == 405
    assert client.get(f"/notifications/{notice.pk}/open/").status_code == 405
    assert client.get("/notifications/read-all/").status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is None


def test_mark_one_and_all_read(signed_in, recipient):
    a, b, c = (_notice(recipient, t) for t in ("A", "B", "C"))
    client = signed_in(recipient)
    response = client.post(f"/notifications/{a.pk}/read/", {"next": "/notifications/?show=unread"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?show=unread"
    a.refresh_from_db()
    assert a.read_at is not None
    assert Notification.objects.filter(read_at__isnull=True).count() == 2

    html = client.get("/notifications/?show=unread").content.decode()
    assert f'data-testid="notice-{a.pk}"' not in html and f'data-testid="notice-{b.pk}"' in html

    response = client.post("/notifications/read-all/", follow=True)
    assert "2 notices marked read." in response.content.decode()
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert 'data-testid="unread-badge"' not in response.content.decode()
    c.refresh_from_db()
    assert c.read_at is not None


def test_opening_marks_read_and_follows_the_link_inside_the_platform_only(signed_in, recipient):
    inside = _notice(recipient, "Go to the case", link="/rights/")
    outside = _notice(recipient, "Phishing", link="https://evil.example/steal")
    protocol_relative = _notice(recipient, "Phishing 2", link="//evil.example/steal")
    client = signed_in(recipient)

    response = client.post(f"/notifications/{inside.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/rights/"
    inside.refresh_from_db()
    assert inside.read_at is not None
    for notice in (outside, protocol_relative):
        response = client.post(f"/notifications/{notice.pk}/open/", {"next": "https://evil.example/"})
        assert response["Location"] == "/notifications/"


def test_preferences_are_saved_and_shown(signed_in, recipient):
    client = signed_in(recipient)
    html = client.get("/notifications/").content.decode()
    assert 'name="email_enabled"' in html and "138****5678" in html and "13812345678" not in html
    assert not NotificationPreference.objects.exists()  # defaults need no row

    response = client.post("/notifications/preferences/", {"sms_urgent_enabled": "on"}, follow=True)
    assert "Your delivery choices were saved." in response.content.decode()
    preference = NotificationPreference.objects.get(user=recipient)
    assert (preference.email_enabled, preference.sms_urgent_enabled) == (False, True)
    assert client.get("/notifications/preferences/").status_code == 302  # a GET changes nothing


def test_the_bell_costs_one_query_on_any_page(signed_in, recipient):
    for i in range(3):
        _notice(recipient, f"N{i}")
    client = signed_in(recipient)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/").content.decode()
    notice_queries = [q["sql"] for q in queries.captured_queries if "notifications_notification" in q["sql"]]
    assert len(notice_queries) == 1, notice_queries
    assert re.search(r'data-testid="unread-badge"[^>]*>\s*3\s*<', html)

    with CaptureQueriesContext(connection) as queries:
        client.get("/notifications/")
    counts = [q for q in queries.captured_queries if "notifications_notification" in q["sql"]
              and "COUNT" in q["sql"].upper() and "LIMIT" in q["sql"].upper()]
    assert len(counts) == 1  # the inbox's unread count is the bell's, asked once


def test_many_unread_show_as_99_plus(signed_in, recipient):
    Notification.objects.bulk_create([Notification(recipient=recipient, kind="t", title=f"n{i}")
                                      for i in range(120)])
    html = signed_in(recipient).get("/").content.decode()
    assert re.search(r'data-testid="unread-badge"[^>]*>\s*99\+\s*<', html)


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_inbox_and_the_api_do_not_query_per_notice(signed_in, recipient):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = signed_in(recipient)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=recipient)[0].key}")

    def count(c, url):
        c.get(url)  # warm: the session and the caches of the first request are not the page's cost
        with CaptureQueriesContext(connection) as queries:
            assert c.get(url).status_code == 200
        return len(queries.captured_queries)

    _notice(recipient, "one", link="/rights/")
    few = (count(client, "/notifications/"), count(api, "/api/v1/notifications/"))
    for i in range(8):
        _notice(recipient, f"n{i}", link="/rights/", urgent=bool(i % 2))
    assert (count(client, "/notifications/"), count(api, "/api/v1/notifications/")) == few
