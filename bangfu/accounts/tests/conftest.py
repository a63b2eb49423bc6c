"""Helpers for the accounts tests: real TOTP devices and codes, and signing in through both factors."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app would show now for this device (RFC 6238, django-otp's own totp)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    right = int(code_for(device))
    return f"{(right + 1) % 10**device.digits:0{device.digits}d}"


@pytest.fixture
def enrol():
    def _enrol(user) -> TOTPDevice:
        return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    return _enrol


@pytest.fixture
def verified_login(client, enrol):
    """Sign in with password and TOTP code, as a user of a two-factor role does in production."""

    def _login(user, password=PASSWORD):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or enrol(user)
        response = client.post("/accounts/login/", {"username": user.username, "password": password})
        assert response.status_code == 302, response.content[:500]
        response = client.post("/accounts/two-factor/", {"token": code_for(device)})
        assert response.status_code == 302, response.content[:500]
        return client

    return _login
