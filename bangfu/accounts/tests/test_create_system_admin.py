"""`manage.py create_system_admin`: the first administrator of a new installation, never a default password."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from bangfu.accounts.models import User
from bangfu.accounts.roles import Role


def test_creates_a_system_admin_with_a_one_time_password(tree):
    out = io.StringIO()
    call_command("create_system_admin", "--username", "root1", "--org", "ACFTU", "--full-name", "管理员", stdout=out)
    user = User.objects.get(username="root1")
    assert user.role_set == {Role.SYSTEM_ADMIN}
    assert user.org == tree.national
    assert user.must_change_password
    password = re.search(r"first sign-in\): (\S+)", out.getvalue()).group(1)
    assert user.check_password(password)


def test_refuses_a_taken_username_and_an_unknown_org(tree, grassroots_cadre):
    with pytest.raises(CommandError, match="taken"):
        call_command("create_system_admin", "--username", "cadre", "--org", "ACFTU", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No org"):
        call_command("create_system_admin", "--username", "root2", "--org", "NOPE", stdout=io.StringIO())
    assert not User.objects.filter(username="root2").exists()
