"""Fixtures of the portal tests: SMS to a list, workers bound to households, verified worker sessions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from bangfu.accounts.roles import Role
from bangfu.notifications import sms
from bangfu.portal.codes import worker_username
from bangfu.portal.models import SmsDevice
from bangfu.registry.tests.factories import make_household

LOCMEM_SMS = "bangfu.notifications.sms.LocmemSmsBackend"
PASSWORD = "Test-pass-2026!"


@pytest.fixture
def outbox(settings):
    """Text messages go to `sms.outbox` (emptied before and after)."""
    settings.BANGFU_SMS_BACKEND = LOCMEM_SMS
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()


def make_worker(tree, household, phone: str, *, member=None):
    """A worker account bound to `member` (default: the head) of `household`, password PASSWORD."""
    user = tree.user(worker_username(phone), household.org, Role.WORKER, kind="worker")
    member = member or household.members.get(is_head=True)
    user.phone, user.full_name = phone, member.name_masked
    user.save(update_fields=["phone", "full_name"])
    member.account = user
    member.save(update_fields=["account"])
    return user


@pytest.fixture
def household(tree):
    return make_household(tree.grassroots, name="王自己", monthly_wage=Decimal("800"))


@pytest.fixture
def other_household(tree):
    return make_household(tree.grassroots, name="李别人", monthly_wage=Decimal("700"))


@pytest.fixture
def me(tree, household):
    return make_worker(tree, household, "13800138000")


@pytest.fixture
def neighbour(tree, other_household):
    return make_worker(tree, other_household, "13900139000")


def verified_client(user) -> Client:
    """A session of `user` that passed the SMS step (as `views_auth.login_code` leaves it)."""
    client = Client()
    client.force_login(user)
    device, _created = SmsDevice.objects.get_or_create(user=user, defaults={"name": "SMS"})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def my_client(me):
    return verified_client(me)
