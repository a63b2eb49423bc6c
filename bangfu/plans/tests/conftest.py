"""Messages are asserted in English (their msgids); the platform's default language is Chinese."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield
