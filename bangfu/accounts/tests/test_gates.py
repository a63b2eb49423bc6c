"""The security gates: forced change of an initial password, and TOTP two-factor for the roles that need it.

Demo mode relaxes both; everything else here runs with the production behaviour (DEMO_MODE off).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.accounts.services import user_reset_two_factor
from bangfu.accounts.tests.conftest import code_for, wrong_code
from conftest import PASSWORD


@pytest.fixture(autouse=True)
def production_gates(settings):
    settings.DEMO_MODE = False


def sign_in(client, user, password=PASSWORD, next_url=None):
    data = {"username": user.username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


# --- forced change of an initial password -----------------------------------------------------------


@pytest.fixture
def new_cadre(grassroots_cadre):
    grassroots_cadre.must_change_password = True
    grassroots_cadre.save(update_fields=["must_change_password"])
    return grassroots_cadre


def test_initial_password_sends_every_page_to_the_change_page(client, new_cadre):
    response = sign_in(client, new_cadre)
    assert response.url == "/accounts/password/?next=%2F"
    for path in ["/", "/orgs/", f"/orgs/{new_cadre.org_id}/", "/accounts/me/", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith("/accounts/password/?next="), path
    api = client.get("/api/v1/orgs/", HTTP_ACCEPT="application/json")
    assert api.status_code == 403
    assert client.get("/accounts/password/").status_code == 200


def test_after_the_change_the_user_goes_where_they_were_going(client, new_cadre):
    sign_in(client, new_cadre)
    response = client.post("/accounts/password/?next=/orgs/", {
        "old_password": PASSWORD, "new_password1": "My-own-pass-26", "new_password2": "My-own-pass-26",
        "next": "/orgs/",
    })
    assert response.status_code == 302 and response.url == "/orgs/"
    new_cadre.refresh_from_db()
    assert not new_cadre.must_change_password
    assert client.get("/").status_code == 200


def test_a_refused_change_keeps_the_gate_closed(client, new_cadre):
    sign_in(client, new_cadre)
    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": "weakpass", "new_password2": "weakpass",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    assert client.get("/").status_code == 302


def test_demo_mode_relaxes_the_password_gate(client, new_cadre, settings):
    settings.DEMO_MODE = True
    sign_in(client, new_cadre)
    assert client.get("/").status_code == 200


# --- login honours ?next= ------------------------------------------------------------------------


def test_login_returns_to_next(client, grassroots_cadre):
    response = client.get("/orgs/")
    assert response.status_code == 302 and response.url == "/accounts/login/?next=/orgs/"
    assert sign_in(client, grassroots_cadre, next_url="/orgs/").url == "/orgs/"


def test_login_ignores_a_next_to_another_site(client, grassroots_cadre):
    assert sign_in(client, grassroots_cadre, next_url="https://evil.example/").url == "/"


def test_login_form_bad_input_is_a_field_error(client, grassroots_cadre):
    response = client.post("/accounts/login/", {"username": "", "password": ""})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"username", "password"}
    response = sign_in(client, grassroots_cadre, "Wrong-pass-0000")
    assert response.status_code == 200 and response.context["form"].non_field_errors()


# --- two-factor ---------------------------------------------------------------------------------------


def test_reviewer_without_a_device_is_sent_to_enrolment(client, county_reviewer):
    response = sign_in(client, county_reviewer, next_url="/orgs/")
    assert response.url == "/accounts/two-factor/setup/?next=%2Forgs%2F"
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/two-factor/setup/")
    page = client.get("/accounts/two-factor/setup/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in body and 'data-testid="secret"' in body


def test_enrolment_refuses_a_wrong_code_and_accepts_the_right_one(client, county_reviewer):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        sign_in(client, county_reviewer)
        client.get("/accounts/two-factor/setup/")
        device = TOTPDevice.objects.get(user=county_reviewer, confirmed=False)
        response = client.post("/accounts/two-factor/setup/", {"token": wrong_code(device)})
        assert response.status_code == 200
        assert response.context["form"].errors["token"]
        assert not TOTPDevice.objects.filter(user=county_reviewer, confirmed=True).exists()
        traveller.shift(dt.timedelta(seconds=31))  # past the throttle delay, into the next time step
        response = client.post("/accounts/two-factor/setup/?next=/orgs/", {"token": code_for(device), "next": "/orgs/"})
        assert response.status_code == 302 and response.url == "/orgs/"
        assert TOTPDevice.objects.get(pk=device.pk).confirmed
        assert client.get("/").status_code == 200  # this session is verified


def test_enrolment_code_must_be_six_digits(client, county_reviewer):
    sign_in(client, county_reviewer)
    client.get("/accounts/two-factor/setup/")
    response = client.post("/accounts/two-factor/setup/", {"token": "12ab"})
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["token"]] == ["format"]


def test_enrolled_reviewer_must_verify_at_login(client, county_reviewer, enrol):
    device = enrol(county_reviewer)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        response = sign_in(client, county_reviewer, next_url="/orgs/")
        assert response.url == "/accounts/two-factor/?next=%2Forgs%2F"
        assert client.get("/").url.startswith("/accounts/two-factor/?next=")
        # The password alone cannot enrol a second device nor change the password.
        assert client.get("/accounts/two-factor/setup/").url.startswith("/accounts/two-factor/")
        assert client.get("/accounts/password/").url.startswith("/accounts/two-factor/")
        response = client.post("/accounts/two-factor/", {"token": wrong_code(device), "next": "/orgs/"})
        assert response.status_code == 200
        assert [e.code for e in response.context["form"].errors.as_data()["token"]] == ["invalid"]
        assert client.get("/").status_code == 302
        traveller.shift(dt.timedelta(seconds=31))
        response = client.post("/accounts/two-factor/", {"token": code_for(device), "next": "/orgs/"})
        assert response.status_code == 302 and response.url == "/orgs/"
        assert client.get("/").status_code == 200


def test_wrong_codes_in_a_row_are_throttled(client, county_reviewer, enrol):
    device = enrol(county_reviewer)
    with time_machine.travel(timezone.now(), tick=False):
        sign_in(client, county_reviewer)
        client.post("/accounts/two-factor/", {"token": wrong_code(device)})
        # Immediately after a wrong code even the right one waits (brute force of 10^6 codes is slowed).
        response = client.post("/accounts/two-factor/", {"token": code_for(device)})
        assert [e.code for e in response.context["form"].errors.as_data()["token"]] == ["throttled"]
        assert client.get("/").status_code == 302


def test_a_code_cannot_be_replayed(client, county_reviewer, enrol):
    device = enrol(county_reviewer)
    with time_machine.travel(timezone.now(), tick=False):
        sign_in(client, county_reviewer)
        code = code_for(device)
        assert client.post("/accounts/two-factor/", {"token": code}).status_code == 302
        client.post("/accounts/logout/")
        sign_in(client, county_reviewer)
        response = client.post("/accounts/two-factor/", {"token": code})
        assert response.status_code == 200 and response.context["form"].errors["token"]


def test_roles_without_two_factor_pass_without_a_device(client, grassroots_cadre):
    sign_in(client, grassroots_cadre)
    assert client.get("/").status_code == 200
    assert client.get("/accounts/two-factor/setup/").url == "/accounts/me/"


def test_demo_mode_relaxes_two_factor(client, county_reviewer, settings):
    settings.DEMO_MODE = True
    assert sign_in(client, county_reviewer).url == "/"
    assert client.get("/").status_code == 200
    assert client.get("/orgs/").status_code == 200


def test_reset_two_factor_sends_the_user_back_to_enrolment(
    client, county_reviewer, security_admin, enrol, verified_login, django_user_model
):
    from django.test import Client

    reviewer_client = verified_login(county_reviewer)
    assert reviewer_client.get("/").status_code == 200
    admin_client = Client()
    admin_device = enrol(security_admin)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=40), tick=False):
        admin_client.post("/accounts/login/", {"username": security_admin.username, "password": PASSWORD})
        assert admin_client.post("/accounts/two-factor/", {"token": code_for(admin_device)}).status_code == 302
        response = admin_client.post(f"/accounts/users/{county_reviewer.pk}/reset-two-factor/")
        assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=county_reviewer).exists()
    # The reviewer's verified session no longer counts: back to enrolment.
    response = reviewer_client.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/two-factor/setup/")


def test_only_security_admins_reset_two_factor(county_reviewer, national_sysadmin, enrol, verified_login):
    enrol(county_reviewer)
    client = verified_login(national_sysadmin)
    assert client.post(f"/accounts/users/{county_reviewer.pk}/reset-two-factor/").status_code == 404
    assert TOTPDevice.objects.filter(user=county_reviewer).exists()


def test_user_reset_two_factor_function(county_reviewer, security_admin, enrol):
    enrol(county_reviewer)
    assert user_reset_two_factor(security_admin, county_reviewer) == 1
    assert not TOTPDevice.objects.filter(user=county_reviewer).exists()


def test_a_verified_user_may_move_to_a_new_phone(client, county_reviewer, enrol, verified_login):
    old = enrol(county_reviewer)
    client = verified_login(county_reviewer)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=40), tick=False):
        page = client.get("/accounts/two-factor/setup/")
        assert page.status_code == 200 and page.context["replacing"]
        new = TOTPDevice.objects.get(user=county_reviewer, confirmed=False)
        assert client.post("/accounts/two-factor/setup/", {"token": code_for(new)}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=county_reviewer).values_list("pk", flat=True)) == [new.pk]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
