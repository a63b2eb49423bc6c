"""The OpenAPI schema stays valid without warnings, and the docs pages load nothing from outside."""

from __future__ import annotations

import re

import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    # --fail-on-warn: a later endpoint that spectacular cannot describe fails here, with the warning.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/orgs/", "/api/v1/orgs/{id}/", "/api/v1/divisions/", "/api/v1/auth/token/"} <= set(schema["paths"])
    token_auth = schema["components"]["securitySchemes"]["tokenAuth"]
    assert (token_auth["in"], token_auth["name"]) == ("header", "Authorization")


def test_schema_is_public_and_follows_the_language(client):
    zh = client.get("/api/v1/schema/?format=json")
    en = client.get("/api/v1/schema/?format=json", HTTP_ACCEPT_LANGUAGE="en")
    assert zh.status_code == en.status_code == 200
    assert en.json()["paths"]["/api/v1/orgs/"]["get"]["parameters"]


def test_docs_pages_use_local_assets_only(client):
    for url in ("/api/v1/docs/", "/api/v1/redoc/"):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert not re.search(r"https?://", html), f"{url} refers to an outside address"
        assets = re.findall(r'(?:src|href)="/static/([^"?]+)', html)
        assert assets, url
        missing = [a for a in assets if finders.find(a) is None]
        assert not missing, missing
