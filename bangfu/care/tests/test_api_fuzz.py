"""The care endpoints fuzzed as a counsellor (the suite-wide fuzzing runs as a case worker, who only ever gets
404s and empty lists here): no 5xx, answers as documented, for any body the schema allows."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks as st_checks

from bangfu.accounts.roles import Role
from tests.test_api_schema import APP, SCHEMA_PATH, in_test_transaction  # noqa: F401 - the fixture is used

schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, APP).include(
    path_regex=r"^/api/v1/(care-plans|screenings|crisis-cases|counselling-sessions)/")


@pytest.fixture
def fuzz_counsellor(tree):
    from bangfu.registry.tests.factories import make_household

    make_household(tree.grassroots, size=2)
    return tree.user("fuzzcounsellor", tree.county, Role.COUNSELLOR)


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_care_endpoints_survive_fuzzing_as_a_counsellor(case, fuzz_counsellor, in_test_transaction):  # noqa: F811
    token, _created = Token.objects.get_or_create(user=fuzz_counsellor)
    case.call_and_validate(
        headers={"Authorization": f"Token {token.key}"},
        checks=[st_checks.not_a_server_error, st_checks.status_code_conformance,
                st_checks.content_type_conformance, st_checks.response_schema_conformance],
    )
