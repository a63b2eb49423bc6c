"""Fixtures of the helpers tests: households of the test tree that existed for a while, and people to help them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from bangfu.accounts.roles import Role
from bangfu.registry.models import Household
from bangfu.registry.tests.factories import make_household


def household_since(org, days: int, **fields) -> Household:
    """An active household whose archive was created `days` days ago."""
    household = make_household(org, **fields)
    created = timezone.now() - dt.timedelta(days=days)
    Household.objects.filter(pk=household.pk).update(created_at=created)
    household.refresh_from_db()
    return household


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read the messages in English (the UI default is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def en(signed_in):
    """`en(user)`: a signed-in client whose pages are in English."""

    def _client(user):
        client = signed_in(user)
        client.cookies["django_language"] = "en"
        return client

    return _client


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def household(tree):
    return household_since(tree.grassroots, 400, name="王大山")


@pytest.fixture
def helper(tree):
    return tree.user("helper_a", tree.grassroots, Role.HELPER)


@pytest.fixture
def helper_b(tree):
    return tree.user("helper_b", tree.grassroots, Role.HELPER)


@pytest.fixture
def sibling_helper(tree):
    return tree.user("helper_sibling", tree.sibling, Role.HELPER)
