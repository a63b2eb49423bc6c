"""The Django admin for users and roles: system administrators only, scoped, and every write through the rules."""

from __future__ import annotations

import pytest

from bangfu.accounts.models import User, UserRole
from bangfu.accounts.roles import Role


@pytest.fixture(autouse=True)
def production_gates(settings):
    settings.DEMO_MODE = False


def change_data(user, *roles, **fields):
    """The admin change form of `user` as posted, with `roles` as its inline rows (existing ones kept)."""
    existing = list(user.roles.order_by("pk"))
    data = {
        "username": user.username, "full_name": user.full_name, "phone": user.phone, "email": user.email,
        "org": user.org_id, "kind": user.kind, "is_active": "on",
        "roles-TOTAL_FORMS": str(len(existing) + len(roles)), "roles-INITIAL_FORMS": str(len(existing)),
        "roles-MIN_NUM_FORMS": "0", "roles-MAX_NUM_FORMS": "1000",
    }
    for i, grant in enumerate(existing):
        data.update({f"roles-{i}-id": grant.pk, f"roles-{i}-user": user.pk, f"roles-{i}-role": grant.role})
    for j, role in enumerate(roles, start=len(existing)):
        data.update({f"roles-{j}-user": user.pk, f"roles-{j}-role": role})
    data.update(fields)
    return data


def test_system_admin_uses_the_admin(national_sysadmin, grassroots_cadre, verified_login):
    national_sysadmin.refresh_from_db()
    assert national_sysadmin.is_staff  # set when the role was granted
    client = verified_login(national_sysadmin)
    assert client.get("/admin/").status_code == 200
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert "cadre" in response.content.decode()
    assert client.get(f"/admin/accounts/user/{grassroots_cadre.pk}/change/").status_code == 200


def test_anonymous_is_sent_to_the_platform_login(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("persona", ["security_admin", "audit_admin", "county_reviewer"])
def test_other_roles_get_404_from_the_admin(db, persona, request, verified_login):
    # `db` is named so that pytest-django orders this test with the other database tests (the persona
    # fixtures are requested dynamically, which it cannot see).
    client = verified_login(request.getfixturevalue(persona))
    assert client.get("/admin/", follow=True).status_code == 404
    assert client.get("/admin/accounts/user/", follow=True).status_code == 404


def test_a_superuser_without_the_role_gets_404(client, db):
    root = User.objects.create_superuser("root", password="Sup3r-user-2026", must_change_password=False)
    client.force_login(root)
    assert client.get("/admin/", follow=True).status_code == 404


def test_admin_lists_only_the_subtree(tree, grassroots_cadre, verified_login):
    sc_admin = tree.user("sc_admin", tree.other_province, Role.SYSTEM_ADMIN)
    client = verified_login(sc_admin)
    response = client.get("/admin/accounts/user/")
    assert "cadre" not in {u.username for u in response.context["cl"].result_list}
    response = client.get(f"/admin/accounts/user/{grassroots_cadre.pk}/change/")
    assert response.status_code == 302  # "does not exist" for the admin, no data shown
    response = client.post(f"/admin/accounts/user/{grassroots_cadre.pk}/password/",
                           {"password1": "Hijack-pass-2026", "password2": "Hijack-pass-2026"})
    assert response.status_code in (302, 404)
    grassroots_cadre.refresh_from_db()
    assert not grassroots_cadre.check_password("Hijack-pass-2026")


def test_admin_inline_refuses_a_second_admin_role(national_sysadmin, security_admin, verified_login):
    client = verified_login(national_sysadmin)
    response = client.post(f"/admin/accounts/user/{security_admin.pk}/change/",
                           change_data(security_admin, Role.AUDIT_ADMIN))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.non_form_errors()
    assert security_admin.role_set == {Role.SECURITY_ADMIN}


def test_admin_inline_grants_system_admin_and_sets_is_staff(national_sysadmin, tree, verified_login):
    user = tree.user("future_admin", tree.province)
    client = verified_login(national_sysadmin)
    response = client.post(f"/admin/accounts/user/{user.pk}/change/", change_data(user, Role.SYSTEM_ADMIN))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.role_set == {Role.SYSTEM_ADMIN} and user.is_staff


def test_admin_cannot_edit_its_own_roles(national_sysadmin, verified_login):
    client = verified_login(national_sysadmin)
    page = client.get(f"/admin/accounts/user/{national_sysadmin.pk}/change/")
    inline = page.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission and not inline.has_delete_permission


def test_admin_password_goes_through_the_policy(national_sysadmin, grassroots_cadre, verified_login):
    client = verified_login(national_sysadmin)
    url = f"/admin/accounts/user/{grassroots_cadre.pk}/password/"
    response = client.post(url, {"password1": "weakpass", "password2": "weakpass"})
    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    response = client.post(url, {"password1": "Admin-set-2026", "password2": "Admin-set-2026"})
    assert response.status_code == 302
    grassroots_cadre.refresh_from_db()
    assert grassroots_cadre.check_password("Admin-set-2026")
    assert grassroots_cadre.must_change_password  # someone else chose it: change at next sign-in
    # ... and it went into the history: setting it again is refused.
    response = client.post(url, {"password1": "Admin-set-2026", "password2": "Admin-set-2026"})
    assert response.status_code == 200
    codes = {e.code for e in response.context["form"].errors.as_data()["password2"]}
    assert "password_used" in codes


def test_admin_add_user_validates_the_password_and_saves_nothing_on_error(tree, national_sysadmin, verified_login):
    client = verified_login(national_sysadmin)
    data = {
        "username": "added", "full_name": "新用户", "org": tree.county.pk, "kind": "staff",
        "password1": "added123", "password2": "added123",
        "roles-TOTAL_FORMS": "1", "roles-INITIAL_FORMS": "0", "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000", "roles-0-role": Role.REVIEWER,
    }
    response = client.post("/admin/accounts/user/add/", data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["password2"]
    assert not User.objects.filter(username="added").exists()
    data.update(password1="Fresh-staff-2026", password2="Fresh-staff-2026")
    response = client.post("/admin/accounts/user/add/", data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    user = User.objects.get(username="added")
    assert user.must_change_password and user.role_set == {Role.REVIEWER}


def test_userrole_admin_grants_through_the_rules(national_sysadmin, security_admin, grassroots_cadre,
                                                 verified_login):
    client = verified_login(national_sysadmin)
    response = client.post("/admin/accounts/userrole/add/", {"user": security_admin.pk, "role": Role.AUDIT_ADMIN})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["role"]
    response = client.post("/admin/accounts/userrole/add/", {"user": grassroots_cadre.pk, "role": Role.REVIEWER})
    assert response.status_code == 302
    assert grassroots_cadre.role_set == {Role.CASE_WORKER, Role.REVIEWER}
    grant = UserRole.objects.get(user=grassroots_cadre, role=Role.REVIEWER)
    response = client.post(f"/admin/accounts/userrole/{grant.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not UserRole.objects.filter(pk=grant.pk).exists()
