"""Password policy (DOMAIN.md §9): ≥ 8 characters, 3 character classes, not the username, not common,
no reuse of the last 5 — on every path that sets a password."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from bangfu.accounts.models import User
from bangfu.accounts.services import generate_initial_password, user_set_password
from bangfu.accounts.validators import validate_new_password
from bangfu.orgs import demo
from conftest import PASSWORD


def codes(error: ValidationError) -> set[str]:
    return {e.code for e in error.error_list}


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Ab1!xyz", "password_too_short"),
        ("abcdefgh12", "password_character_classes"),  # two classes only
        ("ABCDEFGH!!", "password_character_classes"),
        ("Password1!", "password_too_common"),
        ("Xx-cadre-2026", "password_has_username"),
    ],
)
def test_each_rule_refuses_a_bad_password(grassroots_cadre, password, code):
    with pytest.raises(ValidationError) as caught:
        validate_new_password(password, grassroots_cadre)
    assert code in codes(caught.value)


def test_a_good_password_passes_every_rule(grassroots_cadre):
    validate_new_password("Tian-he-2026", grassroots_cadre)  # raises on failure


def test_no_reuse_of_the_last_five_passwords(grassroots_cadre):
    user = grassroots_cadre  # its first password (PASSWORD) is in the history since creation
    passwords = [PASSWORD] + [f"Second-{i}-pass" for i in range(4)]
    for new in passwords[1:]:
        user_set_password(user, new)
    # The last five (including the current one) are refused, the oldest of them too.
    for old in passwords:
        with pytest.raises(ValidationError) as caught:
            user_set_password(user, old)
        assert "password_used" in codes(caught.value)
    user_set_password(user, "Sixth-pass-2026")
    # Now the very first password has dropped out of the last five and may be used again.
    user_set_password(user, PASSWORD)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_create_user_refuses_a_weak_password(tree):
    with pytest.raises(ValidationError):
        User.objects.create_user("newbie", password="newbie123", org=tree.grassroots)
    assert not User.objects.filter(username="newbie").exists()


def test_create_user_starts_the_history(tree):
    user = User.objects.create_user("newbie", password="Fresh-start-2026", org=tree.grassroots)
    assert user.password_changed_at is not None
    with pytest.raises(ValidationError) as caught:
        user_set_password(user, "Fresh-start-2026")
    assert "password_used" in codes(caught.value)


def test_generated_initial_passwords_meet_the_policy(grassroots_cadre):
    for _ in range(20):
        validate_new_password(generate_initial_password(), grassroots_cadre)


@pytest.mark.django_db
def test_the_demo_password_meets_the_policy_for_every_demo_user():
    for username, _org, _roles, _kind in demo.personas():
        validate_new_password(demo.DEMO_PASSWORD, User(username=username))


# --- the change-password page -------------------------------------------------------------------


def test_change_form_shows_field_errors_and_keeps_the_old_password(grassroots_cadre, login):
    client = login(grassroots_cadre)
    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": "short1A", "new_password2": "short1A",
    })
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    grassroots_cadre.refresh_from_db()
    assert grassroots_cadre.check_password(PASSWORD)


def test_change_form_refuses_a_wrong_old_password(grassroots_cadre, login):
    client = login(grassroots_cadre)
    response = client.post("/accounts/password/", {
        "old_password": "Not-my-pass-1", "new_password1": "Brand-new-2026", "new_password2": "Brand-new-2026",
    })
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors


def test_change_form_refuses_the_current_password(grassroots_cadre, login):
    client = login(grassroots_cadre)
    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD,
    })
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors


def test_change_form_refuses_a_recent_password(grassroots_cadre, login):
    user_set_password(grassroots_cadre, "Older-pass-2025")
    user_set_password(grassroots_cadre, "Current-pass-2026")
    client = login(grassroots_cadre, "Current-pass-2026")
    response = client.post("/accounts/password/", {
        "old_password": "Current-pass-2026", "new_password1": "Older-pass-2025", "new_password2": "Older-pass-2025",
    })
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()["new_password2"]
    assert "password_used" in {e.code for e in errors}


def test_change_form_sets_the_new_password_and_stays_signed_in(grassroots_cadre, login):
    client = login(grassroots_cadre)
    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": "Brand-new-2026", "new_password2": "Brand-new-2026",
    })
    assert response.status_code == 302
    assert response.url == "/accounts/me/"
    grassroots_cadre.refresh_from_db()
    assert grassroots_cadre.check_password("Brand-new-2026")
    assert not grassroots_cadre.must_change_password
    assert client.get("/accounts/me/").status_code == 200  # the session survived the change


def test_change_form_errors_are_in_the_users_language(grassroots_cadre, login):
    client = login(grassroots_cadre)
    client.cookies["django_language"] = "zh-hans"
    response = client.post("/accounts/password/", {"old_password": "", "new_password1": "", "new_password2": ""})
    assert response.status_code == 200
    with translation.override("zh-hans"):
        required_zh = translation.gettext("This field is required.")  # from Django's own catalogue
    assert required_zh != "This field is required."
    assert required_zh in response.content.decode()
    client.cookies["django_language"] = "en"
    response = client.post("/accounts/password/", {"old_password": "", "new_password1": "", "new_password2": ""})
    assert "This field is required." in response.content.decode()
