"""The notifications API: the user's own notices only; mark read, mark all read, preferences."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangfu.notifications.models import Notification, NotificationPreference
from bangfu.notifications.services import notify

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}",
                       HTTP_ACCEPT_LANGUAGE="en")
    return client


def test_list_and_retrieve_own_notices_only(recipient, other_user, county_reviewer):
    mine = notify([recipient], kind="t", title="Mine", urgent=True)[0]
    notify([recipient], kind="t", title="Mine too")
    theirs = notify([other_user], kind="t", title="Theirs")[0]

    data = api(recipient).get("/api/v1/notifications/").json()
    assert [row["title"] for row in data["results"]] == ["Mine too", "Mine"]
    assert api(recipient).get("/api/v1/notifications/", {"urgency": "urgent"}).json()["count"] == 1
    assert api(recipient).get(f"/api/v1/notifications/{mine.pk}/").json()["urgency"] == "urgent"
    # Another user's notice is a 404 for anyone, whatever their role or level (a county reviewer too).
    for user in (recipient, county_reviewer):
        assert api(user).get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
        assert api(user).post(f"/api/v1/notifications/{theirs.pk}/mark-read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_and_mark_all_read(recipient, other_user):
    a, b = (notify([recipient], kind="t", title=t)[0] for t in ("A", "B"))
    theirs = notify([other_user], kind="t", title="Theirs")[0]
    client = api(recipient)

    response = client.post(f"/api/v1/notifications/{a.pk}/mark-read/")
    assert response.status_code == 200 and response.json()["is_read"] is True
    assert client.get("/api/v1/notifications/", {"unread": "true"}).json()["count"] == 1

    assert client.post("/api/v1/notifications/mark-all-read/").json() == {"marked": 1}
    assert client.post("/api/v1/notifications/mark-all-read/").json() == {"marked": 0}
    b.refresh_from_db()
    theirs.refresh_from_db()
    assert b.read_at is not None and theirs.read_at is None


def test_preferences(recipient):
    client = api(recipient)
    assert client.get("/api/v1/notifications/preferences/").json() == {"email_enabled": True,
                                                                        "sms_urgent_enabled": True}
    response = client.patch("/api/v1/notifications/preferences/", {"sms_urgent_enabled": False}, format="json")
    assert response.json() == {"email_enabled": True, "sms_urgent_enabled": False}
    assert NotificationPreference.objects.get(user=recipient).sms_urgent_enabled is False
    bad = client.patch("/api/v1/notifications/preferences/", {"email_enabled": "perhaps"}, format="json")
    assert bad.status_code == 400 and "email_enabled" in bad.json()["fields"]
    assert NotificationPreference.objects.get(user=recipient).email_enabled is True


def test_anonymous_gets_401(recipient):
    notify([recipient], kind="t", title="A")
    assert APIClient().get("/api/v1/notifications/").status_code == 401
    assert Notification.objects.count() == 1
