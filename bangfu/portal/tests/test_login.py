"""Signing in: phone + password, then the SMS code (good, wrong, expired, too many tries, resend limits);
the lockout of django-axes applies; a password-only session does not open the portal."""

from __future__ import annotations

import re

from django.test import Client
from django.utils import timezone

from bangfu.audit.models import AccessLogEntry
from bangfu.portal.models import OneTimeCode
from bangfu.portal.tests.conftest import PASSWORD


def _step_one(client, phone="13800138000", password=PASSWORD):
    return client.post("/portal/login/", {"phone": phone, "password": password, "next": "/portal/requests/"})


def _code(outbox) -> str:
    return re.search(r"\b(\d{6})\b", outbox[-1][1]).group(1)


def test_good_code_signs_in_verified(me, outbox, english):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = _step_one(client)
    assert response.status_code == 302 and response["Location"] == "/portal/login/code/"
    assert "_auth_user_id" not in client.session  # not signed in before the code
    assert client.get("/portal/").status_code == 302
    assert outbox[-1][0] == "13800138000"
    done = client.post("/portal/login/code/", {"code": _code(outbox)})
    assert done.status_code == 302 and done["Location"] == "/portal/requests/"
    assert client.get("/portal/").status_code == 200
    assert AccessLogEntry.objects.filter(user=me, action="login").exists()


def test_wrong_code_then_too_many(me, outbox, settings):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _step_one(client)
    good = _code(outbox)
    wrong = "000000" if good != "000000" else "111111"
    first = client.post("/portal/login/code/", {"code": wrong})
    assert first.status_code == 200
    assert "The code is not right. You have 4 more tries." in first.content.decode()
    for _ in range(4):
        last = client.post("/portal/login/code/", {"code": wrong})
    assert "Too many wrong codes. Ask for a new code." in last.content.decode()
    # Even the right code no longer works: the code is dead.
    dead = client.post("/portal/login/code/", {"code": good})
    assert dead.status_code == 200 and "Too many wrong codes" in dead.content.decode()
    assert client.get("/portal/").status_code == 302
    assert AccessLogEntry.objects.filter(user=me, action="login_failed", result="denied").count() == 6


def test_expired_code(me, outbox):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _step_one(client)
    OneTimeCode.objects.filter(user=me).update(expires_at=timezone.now())
    response = client.post("/portal/login/code/", {"code": _code(outbox)})
    assert "This code has expired. Ask for a new code." in response.content.decode()
    assert client.get("/portal/").status_code == 302


def test_resend_is_rate_limited_and_replaces_the_code(me, outbox, settings):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _step_one(client)
    first = _code(outbox)
    client.post("/portal/login/code/resend/")
    assert len(outbox) == 1  # within a minute: no new message
    settings.PORTAL_CODE_RESEND_SECONDS = 0
    client.post("/portal/login/code/resend/")
    assert len(outbox) == 2
    second = _code(outbox)
    if first != second:
        assert client.post("/portal/login/code/", {"code": first}).status_code == 200  # the old one died
    assert client.post("/portal/login/code/", {"code": second}).status_code == 302
    settings.PORTAL_CODE_MAX_PER_HOUR = 2
    client2 = Client()
    _step_one(client2)
    assert len(outbox) == 2  # two codes this hour already: the third waits


def test_wrong_password_and_lockout(me, outbox):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(5):
        _step_one(client, password="Wrong-pass-2026!")
    assert not outbox
    locked = _step_one(client)  # the right password, but the account is locked now
    assert locked.status_code in (403, 429) and not outbox
    assert AccessLogEntry.objects.filter(user=me, action="lockout").exists()
    unknown = _step_one(Client(), phone="13700137000")
    assert unknown.status_code == 200 and not outbox


def test_password_only_session_and_staff_do_not_open_the_portal(me, grassroots_cadre, client, signed_in):
    client.force_login(me)  # e.g. through the staff sign-in page: the SMS step is still owed
    response = client.get("/portal/requests/")
    assert response.status_code == 302 and response["Location"].startswith("/portal/login/")
    assert signed_in(grassroots_cadre).get("/portal/").status_code == 404
    anonymous = Client().get("/portal/archive/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/portal/login/")


def test_workers_cannot_sign_in_on_the_staff_page_or_the_api_with_a_password_only(me, client):
    response = client.post("/accounts/login/", {"username": me.username, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "portal" in response.content.decode() or "网上工会" in response.content.decode()
    answer = client.post("/api/v1/auth/token/", {"username": me.username, "password": PASSWORD},
                         content_type="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "worker_portal"
