"""Separation of duties: system, security and audit administrators are three people, none can do another's
work, and no path that grants roles (function, page form, admin, model) lets a combination through."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bangfu.accounts.models import User, UserRole, validate_role_combination
from bangfu.accounts.roles import ADMIN_ROLES, UNION_STAFF_ROLES, Role
from bangfu.accounts.services import user_grant_role, user_revoke_role, user_set_roles


@pytest.mark.parametrize(("first", "second"), list(itertools.combinations(sorted(ADMIN_ROLES), 2)))
def test_two_admin_roles_never_combine(first, second):
    with pytest.raises(ValidationError) as caught:
        validate_role_combination({first, second})
    assert caught.value.code == "admin_separation"


@pytest.mark.parametrize("admin", sorted(ADMIN_ROLES))
def test_an_admin_holds_no_business_role(admin):
    for business in UNION_STAFF_ROLES:
        with pytest.raises(ValidationError):
            validate_role_combination({admin, business})


def test_business_roles_combine():
    validate_role_combination({Role.CASE_WORKER, Role.REVIEWER, Role.COUNSELLOR})


def test_grant_refuses_a_second_admin_role(national_sysadmin, tree):
    secadmin = tree.user("sec2", tree.province, Role.SECURITY_ADMIN)
    with pytest.raises(ValidationError):
        user_grant_role(national_sysadmin, secadmin, Role.AUDIT_ADMIN)
    assert secadmin.roles.count() == 1


def test_grant_refuses_self(national_sysadmin):
    with pytest.raises(ValidationError) as caught:
        user_grant_role(national_sysadmin, national_sysadmin, Role.REVIEWER)
    assert caught.value.code == "self_grant"


def test_grant_outside_the_actors_subtree_is_refused(tree):
    gd_admin = tree.user("gd_admin", tree.province, Role.SYSTEM_ADMIN)
    sc_user = tree.user("sc_user", tree.other_grassroots, Role.CASE_WORKER)
    with pytest.raises(PermissionDenied):
        user_grant_role(gd_admin, sc_user, Role.REVIEWER)


def test_only_system_admins_grant_roles(security_admin, grassroots_cadre):
    with pytest.raises(PermissionDenied):
        user_grant_role(security_admin, grassroots_cadre, Role.REVIEWER)


def test_grant_and_revoke_follow_is_staff(national_sysadmin, tree):
    user = tree.user("newadmin", tree.province)
    assert not user.is_staff
    user_grant_role(national_sysadmin, user, Role.SYSTEM_ADMIN)
    user.refresh_from_db()
    assert user.is_staff
    user_revoke_role(national_sysadmin, user, Role.SYSTEM_ADMIN)
    user.refresh_from_db()
    assert not user.is_staff


def test_set_roles_switches_between_incompatible_sets(national_sysadmin, grassroots_cadre):
    user_set_roles(national_sysadmin, grassroots_cadre, {Role.AUDIT_ADMIN})
    assert grassroots_cadre.role_set == {Role.AUDIT_ADMIN}


def test_the_model_itself_refuses_a_bad_combination(security_admin):
    with pytest.raises(ValidationError):
        UserRole.objects.create(user=security_admin, role=Role.SYSTEM_ADMIN)
    assert security_admin.roles.count() == 1


def test_worker_accounts_hold_only_the_worker_role(national_sysadmin, worker_user):
    with pytest.raises(ValidationError):
        user_grant_role(national_sysadmin, worker_user, Role.CASE_WORKER)


# --- none can do another's work (pages answer 404) -------------------------------------------------


def test_security_admin_cannot_create_users_or_change_roles(tree, security_admin, grassroots_cadre, verified_login):
    client = verified_login(security_admin)
    assert client.get(f"/accounts/orgs/{tree.grassroots.pk}/users/new/").status_code == 404
    response = client.post(f"/accounts/users/{grassroots_cadre.pk}/roles/", {"roles": [Role.REVIEWER]})
    assert response.status_code == 404
    assert client.post(f"/accounts/users/{grassroots_cadre.pk}/reset-password/").status_code == 404
    assert grassroots_cadre.role_set == {Role.CASE_WORKER}


def test_audit_admin_sees_no_users(tree, audit_admin, grassroots_cadre, verified_login):
    client = verified_login(audit_admin)
    assert client.get(f"/accounts/orgs/{tree.grassroots.pk}/users/").status_code == 404
    assert client.get(f"/accounts/users/{grassroots_cadre.pk}/").status_code == 404
    assert client.post(f"/accounts/users/{grassroots_cadre.pk}/unlock/").status_code == 404


def test_roles_form_refuses_two_admin_roles_with_a_field_error(national_sysadmin, grassroots_cadre, verified_login):
    client = verified_login(national_sysadmin)
    response = client.post(
        f"/accounts/users/{grassroots_cadre.pk}/roles/", {"roles": [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN]}
    )
    assert response.status_code == 200
    assert response.context["roles_form"].errors["roles"]
    assert User.objects.get(pk=grassroots_cadre.pk).role_set == {Role.CASE_WORKER}


def test_roles_form_refuses_an_unknown_role(national_sysadmin, grassroots_cadre, verified_login):
    client = verified_login(national_sysadmin)
    response = client.post(f"/accounts/users/{grassroots_cadre.pk}/roles/", {"roles": ["superhero"]})
    assert response.status_code == 200
    assert response.context["roles_form"].errors["roles"]


def test_roles_form_saves_a_valid_set(national_sysadmin, grassroots_cadre, verified_login):
    client = verified_login(national_sysadmin)
    response = client.post(
        f"/accounts/users/{grassroots_cadre.pk}/roles/", {"roles": [Role.CASE_WORKER, Role.REVIEWER]}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=grassroots_cadre.pk).role_set == {Role.CASE_WORKER, Role.REVIEWER}


def test_nobody_edits_their_own_roles_on_the_page(national_sysadmin, verified_login):
    client = verified_login(national_sysadmin)
    page = client.get(f"/accounts/users/{national_sysadmin.pk}/")
    assert page.status_code == 200 and page.context["roles_form"] is None
    response = client.post(f"/accounts/users/{national_sysadmin.pk}/roles/", {"roles": []})
    assert response.status_code == 404
    assert User.objects.get(pk=national_sysadmin.pk).role_set == {Role.SYSTEM_ADMIN}
