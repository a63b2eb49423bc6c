"""The orgs endpoint: scoped by restrict(), 404 for a sibling union, validated filters, constant queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bangfu.orgs.models import Org

ORGS = "/api/v1/orgs/"


def _codes(response):
    assert response.status_code == 200, response.content
    return [o["code"] for o in response.json()["results"]]


def test_each_persona_lists_its_own_subtree(
    tree, api_as, grassroots_cadre, county_reviewer, outsider, city_fund_manager
):
    assert _codes(api_as(grassroots_cadre).get(ORGS)) == ["GD-GZ-TH-001"]
    assert _codes(api_as(outsider).get(ORGS)) == ["GD-GZ-TH-002"]
    assert _codes(api_as(county_reviewer).get(ORGS)) == ["GD-GZ-TH", "GD-GZ-TH-001", "GD-GZ-TH-002"]
    assert _codes(api_as(city_fund_manager).get(ORGS)) == ["GD-GZ", "GD-GZ-TH", "GD-GZ-TH-001", "GD-GZ-TH-002"]


def test_sibling_union_org_is_404_with_no_data(tree, api_as, outsider):
    client = api_as(outsider, language="en")
    hidden = client.get(f"{ORGS}{tree.grassroots.pk}/")
    missing = client.get(f"{ORGS}{Org.objects.order_by('-pk').first().pk + 1000}/")
    assert hidden.status_code == missing.status_code == 404
    # Forbidden and non-existent answer the very same body.
    assert hidden.json() == missing.json() == {"status": 404, "code": "not_found", "detail": "Not found."}
    assert tree.grassroots.name not in hidden.content.decode()
    assert client.get(f"{ORGS}{tree.sibling.pk}/").json()["name"] == tree.sibling.name


def test_a_role_without_the_permission_sees_nothing(tree, api_as, worker_user, provider_user):
    for user in (worker_user, provider_user):
        client = api_as(user)
        assert _codes(client.get(ORGS)) == []
        assert client.get(f"{ORGS}{tree.grassroots.pk}/").status_code == 404


def test_anonymous_is_401(tree, api_client):
    answer = api_client.get(ORGS)
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"


def test_detail_fields_and_parent_only_when_visible(tree, api_as, county_reviewer):
    client = api_as(county_reviewer)
    county = client.get(f"{ORGS}{tree.county.pk}/").json()
    grassroots = client.get(f"{ORGS}{tree.grassroots.pk}/").json()
    assert county["parent"] is None  # the city is above the reviewer's scope
    assert grassroots["parent"] == tree.county.pk
    assert grassroots["division"] == "440106"
    assert grassroots["division_name"] == "天河区"
    assert grassroots["level"] == Org.Level.GRASSROOTS
    assert grassroots["kind"] == "enterprise"
    assert grassroots["url"].endswith(f"{ORGS}{tree.grassroots.pk}/")


def test_filters(tree, api_as, national_sysadmin):
    client = api_as(national_sysadmin)
    assert _codes(client.get(ORGS, {"level": 4})) == ["GD-GZ-TH-001", "GD-GZ-TH-002", "SC-CD-JJ-001"]
    assert _codes(client.get(ORGS, {"kind": "community"})) == ["SC-CD-JJ-001"]
    assert _codes(client.get(ORGS, {"parent": tree.national.pk})) == ["GD", "SC"]
    assert _codes(client.get(ORGS, {"within": tree.county.pk})) == ["GD-GZ-TH", "GD-GZ-TH-001", "GD-GZ-TH-002"]
    assert _codes(client.get(ORGS, {"division": "510104"})) == ["SC-CD-JJ", "SC-CD-JJ-001"]
    assert _codes(client.get(ORGS, {"level": 4, "within": tree.province.pk})) == ["GD-GZ-TH-001", "GD-GZ-TH-002"]
    assert _codes(client.get(ORGS, {"ordering": "-code", "level": 1})) == ["SC", "GD"]


def test_parent_outside_scope_is_an_invalid_choice_not_a_leak(tree, api_as, outsider):
    client = api_as(outsider, language="en")
    hidden = client.get(ORGS, {"parent": tree.county.pk})
    missing = client.get(ORGS, {"parent": 987654321})
    assert hidden.status_code == missing.status_code == 400
    assert list(hidden.json()["fields"]) == ["parent"]
    assert hidden.json()["fields"]["parent"][0].startswith("Select a valid choice.")
    assert hidden.json() == missing.json()


# The last flag: the message comes from Django's own catalogue (ours are translated by the lead at the end).
@pytest.mark.parametrize(
    "params, field, django_message",
    [
        ({"level": "9"}, "level", True),
        ({"level": "abc"}, "level", True),
        ({"kind": "bank"}, "kind", True),
        ({"parent": "abc"}, "parent", True),
        ({"parent": "99999999999999999999999"}, "parent", True),
        ({"within": "-1"}, "within", True),
        ({"division": "4401"}, "division", False),
        ({"division": "44010\x00"}, "division", False),
        ({"ordering": "password"}, "ordering", True),
    ],
)
def test_bad_query_params_are_400_with_field_errors_in_both_languages(
    tree, api_as, county_reviewer, params, field, django_message
):
    en = api_as(county_reviewer, language="en").get(ORGS, params)
    zh = api_as(county_reviewer).get(ORGS, params)
    assert en.status_code == zh.status_code == 400, en.content
    assert list(en.json()["fields"]) == list(zh.json()["fields"]) == [field]
    assert en.json()["status"] == 400
    en_message, zh_message = en.json()["fields"][field][0], zh.json()["fields"][field][0]
    if not django_message:
        return
    assert en_message != zh_message
    assert en_message.isascii()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh_message), zh_message


def test_list_query_count_is_constant(tree, api_as, county_reviewer, django_assert_max_num_queries):
    client = api_as(county_reviewer)
    with CaptureQueriesContext(connection) as few:
        assert len(_codes(client.get(ORGS))) == 3
    for i in range(30):
        Org.objects.get(pk=tree.county.pk).add_child(
            code=f"GD-GZ-TH-{100 + i}",
            name=f"天河{i}号工会",
            level=Org.Level.GRASSROOTS,
            kind=Org.Kind.ENTERPRISE,
            division_id="440106",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(_codes(client.get(ORGS))) == 33
    # Token, roles, count and the page itself (with parents and divisions joined in): a small constant.
    assert len(few.captured_queries) <= 5
