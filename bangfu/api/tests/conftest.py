from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def api_client():
    """A fresh API client; `api_as(user)` gives one that sends the user's token."""
    return APIClient()


@pytest.fixture
def api_as():
    def _as(user, language: str | None = None) -> APIClient:
        client = APIClient()
        token, _created = Token.objects.get_or_create(user=user)
        headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
        if language:
            headers["HTTP_ACCEPT_LANGUAGE"] = language
        client.credentials(**headers)
        return client

    return _as
