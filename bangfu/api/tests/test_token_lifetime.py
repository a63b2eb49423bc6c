"""API tokens end: after their lifetime, and at once on a password change, a lockout or a two-factor reset."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework.authtoken.models import Token

from bangfu.accounts.services import user_reset_two_factor, user_set_password
from conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


def _token(api_client, username="cadre"):
    response = api_client.post(TOKEN_URL, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _orgs(api_client, key):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api_client.get("/api/v1/orgs/")


def test_a_token_older_than_its_lifetime_is_refused_and_deleted(api_client, grassroots_cadre, settings):
    settings.API_TOKEN_TTL_HOURS = 12
    grassroots_cadre.password_changed_at = timezone.now() - dt.timedelta(days=3)
    grassroots_cadre.save(update_fields=["password_changed_at"])
    key = _token(api_client)
    assert _orgs(api_client, key).status_code == 200
    Token.objects.filter(key=key).update(created=timezone.now() - dt.timedelta(hours=12, minutes=1))
    answer = _orgs(api_client, key)
    assert answer.status_code == 401
    assert not Token.objects.filter(key=key).exists()


def test_a_token_just_inside_its_lifetime_still_works(api_client, grassroots_cadre, settings):
    settings.API_TOKEN_TTL_HOURS = 12
    grassroots_cadre.password_changed_at = timezone.now() - dt.timedelta(days=3)
    grassroots_cadre.save(update_fields=["password_changed_at"])
    key = _token(api_client)
    Token.objects.filter(key=key).update(created=timezone.now() - dt.timedelta(hours=11, minutes=59))
    assert _orgs(api_client, key).status_code == 200


def test_a_password_change_revokes_the_token(api_client, grassroots_cadre):
    key = _token(api_client)
    user_set_password(grassroots_cadre, "Another-Pass-2027!")
    assert _orgs(api_client, key).status_code == 401
    assert not Token.objects.filter(user=grassroots_cadre).exists()


def test_a_lockout_revokes_the_token(grassroots_cadre):
    from rest_framework.test import APIClient

    holder = APIClient()
    key = _token(holder)
    attacker = APIClient()
    for i in range(5):
        attacker.post(TOKEN_URL, {"username": "cadre", "password": f"Wrong-pass-{i}"}, format="json")
    assert not Token.objects.filter(user=grassroots_cadre).exists()
    assert _orgs(holder, key).status_code == 401


def test_a_two_factor_reset_revokes_the_token(api_client, grassroots_cadre, security_admin):
    key = _token(api_client)
    user_reset_two_factor(security_admin, grassroots_cadre)
    assert _orgs(api_client, key).status_code == 401
