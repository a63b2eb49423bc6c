from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from bangfu.accounts.roles import Role
from bangfu.registry.models import Consent
from bangfu.registry.tests.factories import make_household

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _sources(db):
    """The shipped sources and rules (a transactional test's flush empties them)."""
    call_command("load_data_sources", verbosity=0)


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are asserted in English (the default UI language is simplified Chinese)."""


@pytest.fixture
def signed_in(signed_in_en):
    return signed_in_en


def authorise(household, on=dt.date(2025, 1, 1)):
    Consent.objects.create(household=household, kind="economic_check", signed_on=on, signed_by_name="户主")
    return household


def head_id(household) -> str:
    return household.members.get(is_head=True).identity_number


@pytest.fixture
def province_reviewer(tree):
    return tree.user("provrev", tree.province, Role.REVIEWER)


@pytest.fixture
def province_cadre(tree):
    return tree.user("provcadre", tree.province, Role.CASE_WORKER)


@pytest.fixture
def households(tree):
    """Three authorised active households of the grassroots union, one unauthorised, one of the other province."""
    made = [authorise(make_household(tree.grassroots, name=n)) for n in ("王一", "王二", "王三")]
    made.append(make_household(tree.grassroots, name="赵无权"))
    made.append(authorise(make_household(tree.other_grassroots, name="川外人")))
    return made


def csv_bytes(header, rows, encoding="utf-8") -> bytes:
    lines = [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)
