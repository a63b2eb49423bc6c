"""Reference data through the API: divisions and local standards (any signed-in user, filters validated)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bangfu.orgs.models import Division, LocalStandard

DIVISIONS = "/api/v1/divisions/"
STANDARDS = "/api/v1/local-standards/"
IN_FORCE = "/api/v1/local-standards/in-force/"


@pytest.fixture
def standards(db):
    def add(code, kind, amount, date):
        return LocalStandard.objects.create(
            division_id=code,
            kind=kind,
            amount=Decimal(amount),
            effective_from=date,
            source="test",
            illustrative=True,
        )

    return [
        add("440000", "living_line", "800", dt.date(2024, 1, 1)),
        add("440100", "living_line", "1200", dt.date(2024, 7, 1)),
        add("440100", "living_line", "1250", dt.date(2025, 7, 1)),
        add("440100", "minimum_wage", "2500", dt.date(2025, 3, 1)),
        add("510100", "living_line", "1000", dt.date(2025, 1, 1)),
    ]


def _all(client, url, params):
    answer = client.get(url, {**params, "limit": 500})
    assert answer.status_code == 200, answer.content
    return answer.json()["results"]


def test_any_signed_in_user_reads_divisions(tree, api_as, worker_user, api_client):
    client = api_as(worker_user)
    tianhe = client.get(f"{DIVISIONS}440106/").json()
    assert tianhe == {
        "code": "440106",
        "name": "天河区",
        "level": 3,
        "parent": "440100",
        "is_current": True,
        "last_revision": Division.objects.get(pk="440106").last_revision,
    }
    assert client.get(f"{DIVISIONS}999999/").status_code == 404
    assert api_client.get(DIVISIONS).status_code == 401


def test_division_filters(tree, api_as, worker_user):
    client = api_as(worker_user)
    provinces = _all(client, DIVISIONS, {"level": 1, "is_current": "true"})
    assert {d["code"] for d in provinces} >= {"440000", "510000", "110000"}
    assert all(d["level"] == 1 and d["code"].endswith("0000") for d in provinces)
    guangzhou = _all(client, DIVISIONS, {"parent": "440100"})
    assert "440106" in {d["code"] for d in guangzhou}
    assert all(d["parent"] == "440100" and d["level"] == 3 for d in guangzhou)
    prefixed = _all(client, DIVISIONS, {"code_prefix": "4401"})
    assert prefixed and all(d["code"].startswith("4401") for d in prefixed)
    assert len(prefixed) == Division.objects.filter(code__startswith="4401").count()
    assert {d["code"] for d in _all(client, DIVISIONS, {"name": "天河"})} >= {"440106"}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"level": 7}, "level"),
        ({"code_prefix": "44a"}, "code_prefix"),
        ({"code_prefix": "4401001"}, "code_prefix"),
        ({"parent": "4401"}, "parent"),
    ],
)
def test_bad_division_filters_are_400(tree, api_as, worker_user, params, field):
    en = api_as(worker_user, language="en").get(DIVISIONS, params)
    zh = api_as(worker_user).get(DIVISIONS, params)
    assert en.status_code == zh.status_code == 400
    assert list(en.json()["fields"]) == list(zh.json()["fields"]) == [field]


def test_local_standard_filters(tree, api_as, outsider, standards):
    client = api_as(outsider)
    lines = _all(client, STANDARDS, {"division": "440100", "kind": "living_line"})
    assert [(s["amount"], s["effective_from"]) for s in lines] == [("1250.00", "2025-07-01"), ("1200.00", "2024-07-01")]
    recent = _all(client, STANDARDS, {"effective_from_after": "2025-01-01", "effective_from_before": "2025-06-30"})
    assert sorted(s["amount"] for s in recent) == ["1000.00", "2500.00"]
    assert _all(client, STANDARDS, {"kind": "minimum_wage"})[0]["division"] == "440100"


def test_in_force_calls_the_model_rule(tree, api_as, outsider, standards):
    client = api_as(outsider)
    for division, on in [
        ("440106", "2025-07-01"),
        ("440106", "2025-06-30"),
        ("440106", "2024-03-01"),
        ("440100", "2025-12-31"),
        ("510104", "2025-02-01"),
    ]:
        answer = client.get(IN_FORCE, {"division": division, "kind": "living_line", "on": on})
        assert answer.status_code == 200, answer.content
        expected = LocalStandard.in_force("living_line", division, dt.date.fromisoformat(on))
        assert answer.json()["id"] == expected.pk
    assert (
        client.get(IN_FORCE, {"division": "440106", "kind": "living_line", "on": "2025-07-01"}).json()["amount"]
        == "1250.00"
    )


def test_in_force_without_a_value_is_404(tree, api_as, outsider, standards):
    answer = api_as(outsider, language="en").get(
        IN_FORCE, {"division": "440106", "kind": "living_line", "on": "2023-12-31"}
    )
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "params, fields",
    [
        ({}, ["division", "kind"]),
        ({"division": "440106", "kind": "living_line", "on": "2025-02-30"}, ["on"]),
        ({"division": "999999", "kind": "living_line"}, ["division"]),
        ({"division": "44", "kind": "rent"}, ["division", "kind"]),
    ],
)
def test_in_force_bad_params_are_field_errors(tree, api_as, outsider, params, fields):
    en = api_as(outsider, language="en").get(IN_FORCE, params)
    zh = api_as(outsider).get(IN_FORCE, params)
    assert en.status_code == zh.status_code == 400
    assert sorted(en.json()["fields"]) == sorted(zh.json()["fields"]) == sorted(fields)


def test_in_force_errors_follow_accept_language(tree, api_as, outsider):
    params = {"kind": "rent", "on": "2025-02-30"}
    en = api_as(outsider, language="en").get(IN_FORCE, params).json()["fields"]
    zh = api_as(outsider).get(IN_FORCE, params).json()["fields"]
    assert en["division"] == ["This field is required."]
    assert en["on"][0].startswith("Date has wrong format.")
    assert zh["division"] == ["该字段是必填项。"]
    assert zh["kind"] != en["kind"] and zh["on"] != en["on"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"effective_from_after": "yesterday"}, "effective_from"),
        ({"kind": "rent"}, "kind"),
        ({"division": "44010x"}, "division"),
    ],
)
def test_bad_standard_filters_are_400(tree, api_as, outsider, params, field):
    answer = api_as(outsider, language="en").get(STANDARDS, params)
    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == [field]
