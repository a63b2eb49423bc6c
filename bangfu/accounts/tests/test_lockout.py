"""Lockout after 5 failed sign-ins for 30 minutes (django-axes), and unlocking by a security admin."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.accounts.security import lockout_status
from bangfu.accounts.services import user_unlock
from conftest import PASSWORD


def sign_in(client, user, password):
    return client.post("/accounts/login/", {"username": user.username, "password": password})


def fail_five_times(client, user):
    for _ in range(5):
        sign_in(client, user, "Wrong-pass-0000")


def is_signed_in(client) -> bool:
    return client.get("/accounts/me/").status_code == 200


def test_four_failures_do_not_lock(client, grassroots_cadre):
    for _ in range(4):
        response = sign_in(client, grassroots_cadre, "Wrong-pass-0000")
        assert response.status_code == 200
        assert response.context["form"].errors
    assert sign_in(client, grassroots_cadre, PASSWORD).status_code == 302


def test_five_failures_lock_even_the_right_password(client, grassroots_cadre):
    fail_five_times(client, grassroots_cadre)
    response = sign_in(client, grassroots_cadre, PASSWORD)
    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    assert not is_signed_in(client)
    assert lockout_status(grassroots_cadre).locked


def test_locked_out_page_speaks_the_users_language(client, grassroots_cadre):
    fail_five_times(client, grassroots_cadre)
    client.cookies["django_language"] = "en"
    response = sign_in(client, grassroots_cadre, PASSWORD)
    body = response.content.decode()
    assert 'lang="en"' in body
    assert "This account was locked after 5 failed sign-ins in a row. Try again in 30 minutes" in body
    client.cookies["django_language"] = "zh-hans"
    body = sign_in(client, grassroots_cadre, PASSWORD).content.decode()
    assert 'lang="zh' in body


def test_lock_holds_before_the_cool_off_and_lifts_after_it(client, grassroots_cadre):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        fail_five_times(client, grassroots_cadre)
        traveller.shift(dt.timedelta(minutes=29))
        assert sign_in(client, grassroots_cadre, PASSWORD).status_code == 429
        # That refused attempt restarted the 30 minutes: wait them out in full.
        traveller.shift(dt.timedelta(minutes=31))
        assert sign_in(client, grassroots_cadre, PASSWORD).status_code == 302
        assert is_signed_in(client)


def test_security_admin_unlocks_through_the_user_page(client, grassroots_cadre, security_admin, verified_login):
    fail_five_times(client, grassroots_cadre)
    admin_client = verified_login(security_admin)
    page = admin_client.get(f"/accounts/users/{grassroots_cadre.pk}/")
    assert page.status_code == 200 and page.context["lockout"].locked
    assert 'data-testid="unlock"' in page.content.decode()
    response = admin_client.post(f"/accounts/users/{grassroots_cadre.pk}/unlock/")
    assert response.status_code == 302
    assert not lockout_status(grassroots_cadre).locked
    from bangfu.audit.models import AccessLogEntry

    entry = AccessLogEntry.objects.get(action="unlock")
    assert entry.user_id == security_admin.pk and entry.object_id == str(grassroots_cadre.pk)
    admin_client.post("/accounts/logout/")
    assert sign_in(client, grassroots_cadre, PASSWORD).status_code == 302


def test_unlock_is_post_only(grassroots_cadre, security_admin, verified_login):
    client = verified_login(security_admin)
    assert client.get(f"/accounts/users/{grassroots_cadre.pk}/unlock/").status_code == 405


def test_system_admin_cannot_unlock(client, grassroots_cadre, national_sysadmin, verified_login):
    fail_five_times(client, grassroots_cadre)
    admin_client = verified_login(national_sysadmin)
    assert admin_client.post(f"/accounts/users/{grassroots_cadre.pk}/unlock/").status_code == 404
    assert lockout_status(grassroots_cadre).locked
    with pytest.raises(PermissionDenied):
        user_unlock(national_sysadmin, grassroots_cadre)


def test_security_admin_of_another_union_cannot_unlock(client, tree, grassroots_cadre, verified_login):
    other = tree.user("sc_secadmin", tree.other_province, Role.SECURITY_ADMIN, password=PASSWORD)
    fail_five_times(client, grassroots_cadre)
    admin_client = verified_login(other)
    assert admin_client.get(f"/accounts/users/{grassroots_cadre.pk}/").status_code == 404
    assert admin_client.post(f"/accounts/users/{grassroots_cadre.pk}/unlock/").status_code == 404
    assert lockout_status(grassroots_cadre).locked


def test_user_unlock_function(client, grassroots_cadre, security_admin):
    fail_five_times(client, grassroots_cadre)
    assert user_unlock(security_admin, grassroots_cadre) >= 1
    assert not lockout_status(grassroots_cadre).locked
