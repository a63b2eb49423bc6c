"""Fixtures for the audit tests: two-factor-verified sign-in and a test-only URLconf."""

from __future__ import annotations

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from bangfu.accounts.roles import Role


@pytest.fixture
def verified_login(login):
    """Sign in through the form, then mark the session as two-factor verified.

    Admin roles must pass TOTP before any page outside /accounts/; the TOTP flow itself is tested by the
    accounts app, so here the session gets a confirmed device the way django-otp's `login()` would.
    """

    def _login(user):
        if user.kind == "worker":  # workers sign in on the portal (phone, password, SMS code)
            from bangfu.portal.tests.conftest import verified_client

            return verified_client(user)
        client = login(user)
        device = StaticDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return _login


@pytest.fixture
def county_auditor(tree):
    return tree.user("countyaudit", tree.county, Role.AUDIT_ADMIN)
