"""Idle sessions end after 30 minutes without a request."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone


def test_29_minutes_idle_keeps_the_session_31_signs_out(grassroots_cadre, login):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = login(grassroots_cadre)
        assert client.get("/").status_code == 200
        traveller.shift(dt.timedelta(minutes=29))
        assert client.get("/").status_code == 200  # still in, and the request restarts the clock
        traveller.shift(dt.timedelta(minutes=29))
        assert client.get("/").status_code == 200
        traveller.shift(dt.timedelta(minutes=31))
        response = client.get("/orgs/")
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")
        assert "next=/orgs/" in response.url
        assert client.get("/accounts/me/").status_code == 302  # signed out, not just redirected once


def test_idle_check_holds_even_when_the_session_store_keeps_sessions_longer(grassroots_cadre, login, settings):
    settings.SESSION_COOKIE_AGE = 8 * 3600  # e.g. a session store configured with a longer lifetime
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = login(grassroots_cadre)
        assert client.get("/").status_code == 200
        traveller.shift(dt.timedelta(minutes=31))
        response = client.get("/orgs/")
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")
        assert "reason=idle" in response.url
        notice = client.get(response.url)
        assert 'data-testid="idle-notice"' in notice.content.decode()
        assert client.get("/accounts/me/").status_code == 302


def test_the_session_is_written_at_most_once_a_minute(grassroots_cadre, login):
    from django.contrib.sessions.models import Session

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = login(grassroots_cadre)
        key = client.session.session_key
        client.get("/")
        stored = Session.objects.get(session_key=key)
        traveller.shift(dt.timedelta(seconds=30))
        client.get("/")
        assert Session.objects.get(session_key=key).expire_date == stored.expire_date  # no write
        traveller.shift(dt.timedelta(seconds=31))
        client.get("/")
        renewed = Session.objects.get(session_key=key).expire_date
        assert renewed - stored.expire_date == dt.timedelta(seconds=61)  # the expiry moved with the mark
