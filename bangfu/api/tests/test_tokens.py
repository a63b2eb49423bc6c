"""Token authentication: the sign-in page's rules (lockout, two-factor, initial password) apply to the API."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


def _otp(device: TOTPDevice) -> str:
    return str(totp(device.bin_key, device.step, device.t0, device.digits, device.drift)).zfill(device.digits)


def test_token_for_username_and_password_opens_the_api(api_client, grassroots_cadre):
    response = api_client.post(TOKEN_URL, {"username": "cadre", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    key = response.json()["token"]
    assert Token.objects.get(user=grassroots_cadre).key == key

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    orgs = api_client.get("/api/v1/orgs/")
    assert orgs.status_code == 200
    assert [o["code"] for o in orgs.json()["results"]] == ["GD-GZ-TH-001"]


def test_wrong_password_is_a_field_error_in_the_users_language(api_client, grassroots_cadre):
    zh = api_client.post(TOKEN_URL, {"username": "cadre", "password": "wrong-Pass-1"}, format="json")
    en = api_client.post(
        TOKEN_URL, {"username": "cadre", "password": "wrong-Pass-1"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert zh.status_code == en.status_code == 400
    assert en.json()["fields"] == {"non_field_errors": ["Unable to sign in with the given username and password."]}
    assert en.json()["code"] == "authorization"
    assert not Token.objects.exists()
    # Missing fields: Django REST framework's own messages, translated.
    missing_en = api_client.post(TOKEN_URL, {}, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    missing_zh = api_client.post(TOKEN_URL, {}, format="json").json()
    assert missing_en["fields"] == {"username": ["This field is required."], "password": ["This field is required."]}
    assert missing_zh["fields"]["username"] == ["该字段是必填项。"]


def test_five_failures_lock_the_account_for_the_api_too(api_client, grassroots_cadre):
    answers = [
        api_client.post(TOKEN_URL, {"username": "cadre", "password": f"Wrong-pass-{i}"}, format="json")
        for i in range(5)
    ]
    assert [a.status_code for a in answers] == [400, 400, 400, 400, 429]
    assert answers[-1].json()["code"] == "locked_out"
    assert answers[-1]["Content-Type"] == "application/json"
    # Now even the right password is refused, and no token is issued.
    right = api_client.post(TOKEN_URL, {"username": "cadre", "password": PASSWORD}, format="json")
    assert right.status_code == 429
    assert not Token.objects.filter(user=grassroots_cadre).exists()
    assert AccessAttempt.objects.get(username="cadre").failures_since_start >= 5


def test_success_clears_earlier_failures(api_client, grassroots_cadre):
    for i in range(3):
        api_client.post(TOKEN_URL, {"username": "cadre", "password": f"Wrong-pass-{i}"}, format="json")
    assert api_client.post(TOKEN_URL, {"username": "cadre", "password": PASSWORD}, format="json").status_code == 200
    for i in range(4):  # four more failures would have locked without the reset
        api_client.post(TOKEN_URL, {"username": "cadre", "password": f"Wrong-pass-{i}"}, format="json")
    assert api_client.post(TOKEN_URL, {"username": "cadre", "password": PASSWORD}, format="json").status_code == 200


def test_two_factor_role_needs_a_valid_code_in_the_same_request(api_client, county_reviewer):
    credentials = {"username": "countyrev", "password": PASSWORD}
    no_device = api_client.post(TOKEN_URL, credentials, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert no_device.status_code == 400
    assert no_device.json()["code"] == "no_device"
    assert list(no_device.json()["fields"]) == ["otp_token"]

    device = TOTPDevice.objects.create(user=county_reviewer, name="phone", confirmed=True)
    without_code = api_client.post(TOKEN_URL, credentials, format="json")
    assert without_code.status_code == 400 and without_code.json()["code"] == "required"
    wrong = (int(_otp(device)) + 1) % 10**device.digits
    bad_code = api_client.post(TOKEN_URL, {**credentials, "otp_token": str(wrong).zfill(6)}, format="json")
    assert bad_code.status_code == 400 and bad_code.json()["code"] == "invalid"
    assert not Token.objects.exists()

    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code above started django-otp's back-off
    device.throttling_failure_timestamp = None
    device.save()
    ok = api_client.post(TOKEN_URL, {**credentials, "otp_token": _otp(device)}, format="json")
    assert ok.status_code == 200, ok.content
    assert Token.objects.get(user=county_reviewer).key == ok.json()["token"]


def test_an_unconfirmed_device_does_not_count(api_client, county_reviewer):
    device = TOTPDevice.objects.create(user=county_reviewer, name="phone", confirmed=False)
    answer = api_client.post(
        TOKEN_URL, {"username": "countyrev", "password": PASSWORD, "otp_token": _otp(device)}, format="json"
    )
    assert answer.status_code == 400 and answer.json()["code"] == "no_device"


def test_initial_password_must_be_changed_first(api_client, grassroots_cadre):
    grassroots_cadre.must_change_password = True
    grassroots_cadre.save(update_fields=["must_change_password"])
    answer = api_client.post(TOKEN_URL, {"username": "cadre", "password": PASSWORD}, format="json")
    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == ["password"]
    assert not Token.objects.exists()


@override_settings(DEMO_MODE=True)
def test_demo_mode_relaxes_two_factor_and_initial_password(api_client, county_reviewer):
    county_reviewer.must_change_password = True
    county_reviewer.save(update_fields=["must_change_password"])
    answer = api_client.post(TOKEN_URL, {"username": "countyrev", "password": PASSWORD}, format="json")
    assert answer.status_code == 200


def test_delete_revokes_the_token(api_as, grassroots_cadre):
    client = api_as(grassroots_cadre)
    assert client.get("/api/v1/orgs/").status_code == 200
    assert client.delete(TOKEN_URL).status_code == 204
    assert not Token.objects.filter(user=grassroots_cadre).exists()
    after = client.get("/api/v1/orgs/")
    assert after.status_code == 401
    assert after.json()["status"] == 401


def test_delete_without_a_token_is_401(api_client, grassroots_cadre):
    assert api_client.delete(TOKEN_URL).status_code == 401


def test_inactive_user_gets_no_token_and_loses_api_access(api_client, api_as, grassroots_cadre):
    client = api_as(grassroots_cadre)
    grassroots_cadre.is_active = False
    grassroots_cadre.save(update_fields=["is_active"])
    assert client.get("/api/v1/orgs/").status_code == 401
    answer = api_client.post(TOKEN_URL, {"username": "cadre", "password": PASSWORD}, format="json")
    assert answer.status_code == 400


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "cadre\x00", "password": PASSWORD},
        {"username": "x" * 151, "password": PASSWORD},
        {"username": ["cadre"], "password": {"a": 1}},
        {"username": "cadre", "password": PASSWORD, "otp_token": "1" * 17},
    ],
)
def test_malformed_token_requests_are_field_errors(api_client, grassroots_cadre, payload):
    answer = api_client.post(TOKEN_URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert answer.json()["fields"]
    assert not Token.objects.exists()


def test_session_with_pending_two_factor_cannot_use_the_api(client, login, county_reviewer):
    TOTPDevice.objects.create(user=county_reviewer, name="phone", confirmed=True)
    login(county_reviewer)  # password only: the two-factor step is still pending
    answer = client.get("/api/v1/orgs/", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 403
    assert "two-factor" in answer.json()["detail"]


def test_session_that_passed_the_gates_uses_the_api(client, login, grassroots_cadre):
    login(grassroots_cadre)
    answer = client.get("/api/v1/orgs/")
    assert answer.status_code == 200
    assert [o["code"] for o in answer.json()["results"]] == ["GD-GZ-TH-001"]
