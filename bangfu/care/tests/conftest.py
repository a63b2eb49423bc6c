"""Fixtures of the care tests: counsellors at the grassroots union and the county, a household with two
members, and its responsible helper (a HelperAssignment row written directly)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.registry.tests.factories import make_household

PHQ9_POSITIVE_ITEM_9 = [1, 1, 0, 1, 0, 0, 1, 0, 1]  # score 5 (mild), item 9 positive
PHQ9_MILD = [1, 1, 1, 1, 1, 0, 0, 0, 0]  # score 5, item 9 negative: no crisis


@pytest.fixture(autouse=True)
def _english(settings):
    """Notices are written in the platform language; the tests read them in English."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def counsellor(tree):
    return tree.user("counsellor", tree.grassroots, Role.COUNSELLOR)


@pytest.fixture
def county_counsellor(tree):
    return tree.user("countycounsellor", tree.county, Role.COUNSELLOR)


@pytest.fixture
def sibling_counsellor(tree):
    return tree.user("siblingcounsellor", tree.sibling, Role.COUNSELLOR)


@pytest.fixture
def helper_user(tree):
    return tree.user("helper", tree.grassroots, Role.HELPER)


@pytest.fixture
def household(tree):
    return make_household(tree.grassroots, size=2, name="王秘密")


@pytest.fixture
def member(household):
    return household.members.get(is_head=True)


@pytest.fixture
def assignment(household, helper_user, grassroots_cadre):
    from bangfu.helpers.models import HelperAssignment, HelperMode

    return HelperAssignment.objects.create(
        household=household, mode=HelperMode.PAIRING, helper=helper_user, helper_org=helper_user.org,
        helper_kind="branch_cadre", starts_on=dt.date(2026, 1, 1), created_by=grassroots_cadre)


@pytest.fixture
def screen(household, member, counsellor, django_capture_on_commit_callbacks):
    """`screen(answers, instrument="phq9", ...)` records a screening and runs its after-commit notices."""
    from bangfu.care.services import record_screening

    def _screen(answers, instrument="phq9", *, by=None, on=None, now=None):
        with django_capture_on_commit_callbacks(execute=True):
            return record_screening(household, member, instrument, answers, on or timezone.localdate(),
                                    by or counsellor, "", now=now)

    return _screen


@pytest.fixture
def api_as():
    """`api_as(user)` → an API client sending the user's token."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def _as(user):
        client = APIClient()
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return _as
