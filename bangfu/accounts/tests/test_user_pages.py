"""Pages: my account, users of an org, one user, creating a user (scoped; outsiders get 404)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from bangfu.accounts.models import User
from bangfu.accounts.roles import Role
from conftest import PASSWORD


@pytest.fixture(autouse=True)
def production_gates(settings):
    settings.DEMO_MODE = False


def test_my_account_shows_org_roles_and_two_factor(county_reviewer, verified_login):
    client = verified_login(county_reviewer)
    response = client.get("/accounts/me/")
    body = response.content.decode()
    assert response.status_code == 200
    assert county_reviewer.org.name in body
    assert response.context["two_factor_enrolled"] and response.context["two_factor_verified"]
    assert [g.role for g in response.context["roles"]] == [Role.REVIEWER]
    assert "/accounts/password/" in body


def test_my_account_offers_enrolment_when_required(county_reviewer, client, settings):
    settings.DEMO_MODE = True  # demo: the gate lets the reviewer reach the page before enrolling
    client.post("/accounts/login/", {"username": county_reviewer.username, "password": PASSWORD})
    body = client.get("/accounts/me/").content.decode()
    assert "/accounts/two-factor/setup/" in body


def test_org_users_lists_the_orgs_users(tree, grassroots_cadre, outsider, national_sysadmin, verified_login):
    client = verified_login(national_sysadmin)
    response = client.get(f"/accounts/orgs/{tree.grassroots.pk}/users/")
    assert response.status_code == 200
    assert [u.username for u in response.context["rows"]] == ["cadre"]
    response = client.get(f"/accounts/orgs/{tree.county.pk}/users/?subtree=1")
    assert {u.username for u in response.context["rows"]} == {"cadre", "outsider"}
    response = client.get(f"/accounts/orgs/{tree.county.pk}/users/?subtree=1&q=out")
    assert [u.username for u in response.context["rows"]] == ["outsider"]


def test_org_users_of_another_union_is_404(tree, grassroots_cadre, verified_login):
    sibling_admin = tree.user("sib_admin", tree.sibling, Role.SYSTEM_ADMIN)
    client = verified_login(sibling_admin)
    assert client.get(f"/accounts/orgs/{tree.grassroots.pk}/users/").status_code == 404
    assert client.get(f"/accounts/users/{grassroots_cadre.pk}/").status_code == 404
    assert client.get(f"/accounts/orgs/{tree.grassroots.pk}/users/new/").status_code == 404
    assert client.post(f"/accounts/users/{grassroots_cadre.pk}/roles/", {"roles": []}).status_code == 404
    assert client.post(f"/accounts/users/{grassroots_cadre.pk}/reset-password/").status_code == 404
    assert client.get(f"/accounts/orgs/{tree.sibling.pk}/users/").status_code == 200


def test_a_case_worker_has_no_user_pages(tree, grassroots_cadre, login):
    client = login(grassroots_cadre)
    assert client.get(f"/accounts/orgs/{tree.grassroots.pk}/users/").status_code == 404
    assert client.get(f"/accounts/users/{grassroots_cadre.pk}/").status_code == 404


def test_org_users_query_count_does_not_grow_with_users(tree, national_sysadmin, verified_login):
    client = verified_login(national_sysadmin)
    url = f"/accounts/orgs/{tree.grassroots.pk}/users/"
    tree.user("u0", tree.grassroots, Role.CASE_WORKER)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(1, 8):
        tree.user(f"u{i}", tree.grassroots, Role.CASE_WORKER, Role.HELPER)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["rows"]) == 8
    assert len(many) == len(few)


def test_security_admin_sees_unlock_and_reset_but_not_role_editing(tree, county_reviewer, security_admin, enrol,
                                                                    verified_login):
    enrol(county_reviewer)
    client = verified_login(security_admin)
    response = client.get(f"/accounts/users/{county_reviewer.pk}/")
    assert response.status_code == 200
    assert response.context["can_unlock"] and response.context["can_reset_two_factor"]
    assert response.context["roles_form"] is None and not response.context["can_reset_password"]
    assert 'data-testid="reset-2fa"' in response.content.decode()


# --- creating a user --------------------------------------------------------------------------------


def create(client, page_org, **data):
    payload = {"username": "newcadre", "full_name": "王小明", "phone": "13800138000", "kind": "staff",
               "roles": [Role.CASE_WORKER]}
    payload.update(data)
    return client.post(f"/accounts/orgs/{page_org.pk}/users/new/", payload)


def test_system_admin_creates_a_user_who_must_change_the_shown_password(client, tree, national_sysadmin,
                                                                         verified_login):
    admin_client = verified_login(national_sysadmin)
    assert admin_client.get(f"/accounts/orgs/{tree.grassroots.pk}/users/new/").status_code == 200
    response = create(admin_client, tree.grassroots)
    assert response.status_code == 200
    password = response.context["password"]
    assert password in response.content.decode()
    assert "no-store" in response["Cache-Control"]  # shown once: not kept by the browser cache
    user = User.objects.get(username="newcadre")
    assert user.org == tree.grassroots and user.role_set == {Role.CASE_WORKER}
    assert user.must_change_password
    assert password not in user.password  # stored hashed only
    # The new user signs in with it and is held at the password change.
    admin_client.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"username": "newcadre", "password": password})
    assert response.url.startswith("/accounts/password/")
    assert client.get("/").url.startswith("/accounts/password/")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": "bad name!"}, "username"),
        ({"username": "CADRE"}, "username"),  # taken, whatever the case
        ({"full_name": ""}, "full_name"),
        ({"phone": "call me"}, "phone"),
        ({"roles": []}, "roles"),
        ({"roles": [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN]}, "roles"),
        ({"roles": [Role.AUDIT_ADMIN, Role.REVIEWER]}, "roles"),
        ({"kind": "worker", "roles": [Role.CASE_WORKER]}, "roles"),
        ({"kind": "robot"}, "kind"),
    ],
)
def test_create_user_bad_input_gives_field_errors_and_saves_nothing(tree, grassroots_cadre, national_sysadmin,
                                                                     verified_login, data, field):
    client = verified_login(national_sysadmin)
    before = User.objects.count()
    response = create(client, tree.grassroots, **data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.count() == before


def test_create_user_in_an_org_outside_the_subtree_is_refused(tree, verified_login):
    gd_admin = tree.user("gd_admin", tree.province, Role.SYSTEM_ADMIN)
    client = verified_login(gd_admin)
    assert client.get(f"/accounts/orgs/{tree.other_grassroots.pk}/users/new/").status_code == 404
    assert create(client, tree.other_grassroots).status_code == 404
    assert not User.objects.filter(username="newcadre").exists()
    # The org is the page's own: a posted "org" field is ignored.
    response = create(client, tree.grassroots, **{"org": tree.other_grassroots.pk})
    assert response.status_code == 200
    assert User.objects.get(username="newcadre").org == tree.grassroots


def test_create_user_errors_are_in_the_users_language(tree, national_sysadmin, verified_login):
    client = verified_login(national_sysadmin)
    client.cookies["django_language"] = "zh-hans"
    response = create(client, tree.grassroots, full_name="")
    with translation.override("zh-hans"):
        required_zh = translation.gettext("This field is required.")
    assert required_zh in response.content.decode()


def test_system_admin_gives_a_new_initial_password(client, grassroots_cadre, national_sysadmin, verified_login):
    admin_client = verified_login(national_sysadmin)
    response = admin_client.post(f"/accounts/users/{grassroots_cadre.pk}/reset-password/")
    assert response.status_code == 200
    password = response.context["password"]
    grassroots_cadre.refresh_from_db()
    assert grassroots_cadre.must_change_password
    assert grassroots_cadre.check_password(password) and not grassroots_cadre.check_password(PASSWORD)
