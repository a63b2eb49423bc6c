"""Test fixtures shared by every app: the reference data and personas at each level of the tree.

Personas (healthchecks' Alice/Bob/Charlie, for unions):
  national_sysadmin  system admin at the national federation
  security_admin     security admin at the national federation
  audit_admin        audit admin at the national federation
  city_fund_manager  fund manager at 广州市总工会
  county_reviewer    reviewer at 天河区总工会
  grassroots_cadre   case worker at 天河 enterprise union A
  outsider           case worker at the sibling enterprise union B (same county!)
  provider, worker   accounts of the other kinds
"""

from __future__ import annotations

import contextlib
import os

import pytest

from bangfu.accounts.roles import Role
from tests.factories import TreeFactory
from tests.reference import flush_by_delete, load_reference_data
from tests.shared_data import TEST_SETTINGS

IN_CI = os.environ.get("CI", "").lower() == "true"

# Browser-test fixtures (Chromium + Playwright on the live server): browser, browser_db, open_page.
pytest_plugins = ["tests.browser"]

PASSWORD = "Test-pass-2026!"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load divisions once per test database (public reference data every org needs)."""
    with django_db_blocker.unblock():
        load_reference_data()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends with a flush that empties every table, divisions included. pytest-django
    runs those tests last, but `-n 2 --dist loadfile` hands whole files to a worker, so a later file on
    the same worker would find no divisions: reload them, committed, right after the flush.

    Both the flush and the reload are done the cheaper way of tests/reference.py (DELETE instead of TRUNCATE on
    PostgreSQL, divisions copied from the first load), with the same result. A test module that tests the
    flush itself sets `REAL_TEARDOWN_FLUSH = True` to keep Django's own flush after its tests too."""
    marker = item.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or "transactional_db" in getattr(
        item, "fixturenames", ()
    )
    if not transactional:
        return (yield)
    real_flush = getattr(getattr(item, "module", None), "REAL_TEARDOWN_FLUSH", False)
    with contextlib.nullcontext() if real_flush else flush_by_delete():
        result = yield
    if nextitem is not None:
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            load_reference_data()
    return result


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests hash with one PBKDF2 iteration (see tests/hashers.py); the policy code is unchanged. `seed_demo` in
    tests builds the tree and users only, unless a test asks for households (tests.shared_data.TEST_SETTINGS)."""
    for name, value in TEST_SETTINGS.items():
        setattr(settings, name, value)


@pytest.fixture(scope="session")
def _media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("protected")


@pytest.fixture(autouse=True)
def _private_media_in_tmp(settings, _media_dir):
    """Uploaded evidence written by tests goes to a temporary folder, never the checkout's var/."""
    settings.MEDIA_ROOT = _media_dir


@pytest.fixture
def tree(db):
    return TreeFactory().build()


def _user(tree, username, org, *roles, kind="staff"):
    return tree.user(username, org, *roles, kind=kind, password=PASSWORD)


@pytest.fixture
def national_sysadmin(tree):
    return _user(tree, "sysadmin", tree.national, Role.SYSTEM_ADMIN)


@pytest.fixture
def security_admin(tree):
    return _user(tree, "secadmin", tree.national, Role.SECURITY_ADMIN)


@pytest.fixture
def audit_admin(tree):
    return _user(tree, "auditor", tree.national, Role.AUDIT_ADMIN)


@pytest.fixture
def city_fund_manager(tree):
    return _user(tree, "cityfund", tree.city, Role.FUND_MANAGER)


@pytest.fixture
def county_reviewer(tree):
    return _user(tree, "countyrev", tree.county, Role.REVIEWER)


@pytest.fixture
def grassroots_cadre(tree):
    return _user(tree, "cadre", tree.grassroots, Role.CASE_WORKER)


@pytest.fixture
def outsider(tree):
    return _user(tree, "outsider", tree.sibling, Role.CASE_WORKER)


@pytest.fixture
def provider_user(tree):
    return _user(tree, "provider", tree.county, Role.PROVIDER, kind="provider")


@pytest.fixture
def worker_user(tree):
    return _user(tree, "worker", tree.grassroots, Role.WORKER, kind="worker")


@pytest.fixture
def login(client):
    """Sign a user in through the real login form (so axes, gates and sessions are exercised)."""

    def _login(user, password=PASSWORD):
        response = client.post("/accounts/login/", {"username": user.username, "password": password})
        assert response.status_code in (302, 303), response.content[:500]
        return client

    return _login


@pytest.fixture
def signed_in(db):
    """`signed_in(user)` → a new test client signed in as `user`, two-factor verified when the user needs it
    (a confirmed static OTP device), so each test can act as several people at once."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    def _signed_in(user):
        client = Client()
        client.force_login(user)
        if user.requires_two_factor:
            device = StaticDevice.objects.filter(user=user, name="test").first() or StaticDevice.objects.create(
                user=user, name="test", confirmed=True)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return _signed_in


@pytest.fixture
def english():
    """Messages in English while the test runs (the UI default is simplified Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def signed_in_en(signed_in):
    """`signed_in_en(user)`: like `signed_in`, with the pages asked for in English."""

    def _signed_in_en(user):
        client = signed_in(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return _signed_in_en
