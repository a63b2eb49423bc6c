"""Fuzz every operation of the OpenAPI schema (schemathesis), in-process, as a signed-in user with a token.

The schema is loaded from /api/v1/schema/ through the WSGI application itself, so an endpoint that a
later app adds is fuzzed here without touching this file. Any 5xx fails the run; answers must also
match the documented schema (status codes, bodies, content types).

The application runs in the test's database transaction (pytest-django): Django's handler closes
"old" connections at the start and end of every request, which inside the test transaction would
drop the connection, so those two signal receivers are detached while the fuzzer runs (Django's own
test client does the same).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks as st_checks

from bangfu.accounts.roles import Role

SCHEMA_PATH = "/api/v1/schema/?format=json"


APP = WSGIHandler()
# Loaded at collection time through the application itself (anonymous GET: the schema is public and
# building it reads no database), so that pytest reports one test per operation.
schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, APP)


@pytest.fixture
def in_test_transaction(db):
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_user(tree):
    """A case worker at the county: sees a small subtree, so list and detail answers carry real rows."""
    return tree.user("fuzzer", tree.county, Role.CASE_WORKER)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_every_operation_survives_fuzzing(case, fuzz_user, in_test_transaction):
    # The token is re-created when a fuzzed DELETE /auth/token/ has revoked it, so every case is authenticated.
    token, _created = Token.objects.get_or_create(user=fuzz_user)
    case.call_and_validate(
        headers={"Authorization": f"Token {token.key}"},
        checks=[
            st_checks.not_a_server_error,
            st_checks.status_code_conformance,
            st_checks.content_type_conformance,
            st_checks.response_schema_conformance,
        ],
    )
