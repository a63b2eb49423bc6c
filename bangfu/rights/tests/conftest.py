from __future__ import annotations

import datetime as dt

import pytest

from bangfu.registry.tests.factories import make_household

ON_RECORD = dt.date(2025, 3, 1)


@pytest.fixture
def household(tree):
    """An active household of the grassroots union, on record since 1 March 2025."""
    return make_household(tree.grassroots, applied_on=ON_RECORD)


@pytest.fixture
def sibling_household(tree):
    return make_household(tree.sibling, applied_on=ON_RECORD, name="李四")


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are asserted in English (the default UI language is simplified Chinese)."""


@pytest.fixture
def signed_in(signed_in_en):
    """The project's `signed_in(user)`, asking for English pages."""
    return signed_in_en
