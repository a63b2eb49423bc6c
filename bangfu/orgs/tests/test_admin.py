"""The configuration admin: divisions (read-only), local standards, the union tree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bangfu.orgs.models import Division, LocalStandard, Org


@pytest.fixture(autouse=True)
def demo_gates(settings):
    # System administrators need two-factor outside demo mode; the gate is tested with the accounts.
    settings.DEMO_MODE = True


@pytest.fixture
def admin_client(national_sysadmin, login):
    return login(national_sysadmin)


def test_admin_lists_and_searches_the_configuration_tables(tree, admin_client):
    LocalStandard.objects.create(
        division_id="440100",
        kind="living_line",
        amount=Decimal("1200"),
        effective_from=dt.date(2024, 7, 1),
        source="demo value, illustrative — not an official figure",
        illustrative=True,
    )
    response = admin_client.get("/admin/orgs/division/", {"q": "天河"})
    assert response.status_code == 200
    assert "440106" in response.content.decode()
    response = admin_client.get("/admin/orgs/localstandard/", {"illustrative__exact": "1"})
    assert response.status_code == 200 and "1200" in response.content.decode()
    assert admin_client.get("/admin/orgs/org/").status_code == 200
    assert admin_client.get(f"/admin/orgs/org/{tree.county.pk}/change/").status_code == 200


def test_admin_divisions_are_read_only_and_standards_are_not_deleted(tree, admin_client):
    before = Division.objects.get(pk="440106").name
    response = admin_client.post("/admin/orgs/division/440106/change/", {"name": "改名", "level": 3})
    assert response.status_code == 403
    assert Division.objects.get(pk="440106").name == before
    row = LocalStandard.objects.create(
        division_id="440100",
        kind="minimum_wage",
        amount=Decimal("2300"),
        effective_from=dt.date(2024, 7, 1),
        source="x",
        illustrative=True,
    )
    assert admin_client.post(f"/admin/orgs/localstandard/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LocalStandard.objects.filter(pk=row.pk).exists()


def _org_form(**fields):
    data = {
        "name": "天河丙公司工会",
        "short_name": "",
        "code": "GD-GZ-TH-003",
        "level": Org.Level.GRASSROOTS,
        "kind": Org.Kind.ENTERPRISE,
        "division": "440106",
        "address": "",
        "phone": "",
        "member_count": "88",
        "is_active": "on",
        "treebeard_position": "sorted-child",
        "treebeard_ref_node": "",
    }
    data.update(fields)
    return data


def test_admin_adds_an_org_in_the_tree_and_rejects_a_wrong_level(tree, admin_client):
    response = admin_client.post("/admin/orgs/org/add/", _org_form(treebeard_ref_node=tree.grassroots.pk))
    assert response.status_code == 200  # the form again, with the error on the level field
    assert response.context["adminform"].form.errors["level"]
    response = admin_client.post("/admin/orgs/org/add/", _org_form(level=Org.Level.COUNTY))
    assert response.context["adminform"].form.errors["treebeard_ref_node"]  # only the national org is a root
    assert not Org.objects.filter(code="GD-GZ-TH-003").exists()

    response = admin_client.post("/admin/orgs/org/add/", _org_form(treebeard_ref_node=tree.county.pk))
    assert response.status_code == 302, response.context["adminform"].form.errors
    added = Org.objects.get(code="GD-GZ-TH-003")
    assert added.path.startswith(tree.county.path) and added.depth == tree.county.depth + 1
    assert Org.objects.get(pk=tree.county.pk).numchild == 3


def test_admin_model_permissions_follow_roles(tree, county_reviewer, national_sysadmin, rf):
    from django.contrib import admin

    for model in (Division, LocalStandard, Org):
        model_admin = admin.site._registry[model]
        request = rf.get("/admin/")
        request.user = county_reviewer
        assert not model_admin.has_module_permission(request)
        assert not model_admin.has_view_permission(request)
        request.user = national_sysadmin
        assert model_admin.has_module_permission(request)
        assert model_admin.has_view_permission(request)
        assert not model_admin.has_delete_permission(request)
