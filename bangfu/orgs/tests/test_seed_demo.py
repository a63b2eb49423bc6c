"""`manage.py seed_demo`: the demo tree, standards and users; deterministic for a seed."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from django.urls import reverse

from bangfu.accounts.models import User, UserRole
from bangfu.accounts.roles import ADMIN_ROLES, Role
from bangfu.orgs.models import LocalStandard, Org
from bangfu.orgs.tests.test_views import org_codes_in


def _seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def _snapshot():
    return (
        list(
            Org.objects.order_by("path").values_list(
                "path", "code", "name", "short_name", "level", "kind", "division_id", "member_count"
            )
        ),
        list(
            User.objects.order_by("username").values_list(
                "username", "full_name", "kind", "org__code", "must_change_password"
            )
        ),
        sorted(UserRole.objects.values_list("user__username", "role")),
        sorted(LocalStandard.objects.values_list("division_id", "kind", "amount", "effective_from", "illustrative")),
    )


def _seeded_snapshot(seed: int):
    """Seed, snapshot, and roll the seeding back so the next run starts from the same empty database."""
    with transaction.atomic():
        _seed(seed=seed)
        snapshot = _snapshot()
        transaction.set_rollback(True)
    return snapshot


@pytest.mark.django_db
def test_seed_demo_is_deterministic_for_a_seed():
    first, again, other = _seeded_snapshot(5), _seeded_snapshot(5), _seeded_snapshot(6)
    assert first == again
    assert len(first[0]) == 63 and len(first[1]) > 20
    assert [o[1] for o in first[0]] == [o[1] for o in other[0]]  # same structure and codes …
    assert [o[2] for o in first[0]] != [o[2] for o in other[0]]  # … other names for another seed


@pytest.mark.django_db
def test_seed_demo_builds_the_tree_on_real_divisions_with_users_for_every_role():
    output = _seed(seed=1)
    levels = dict(Org.objects.order_by().values_list("level").annotate(n=Count("pk")))
    assert levels == {
        Org.Level.NATIONAL: 1,
        Org.Level.PROVINCE: 2,
        Org.Level.CITY: 4,
        Org.Level.COUNTY: 16,
        Org.Level.GRASSROOTS: 40,
    }
    assert Org.objects.filter(kind=Org.Kind.ASSISTANCE_CENTRE).count() == 8
    assert set(Org.objects.filter(level=Org.Level.GRASSROOTS).values_list("kind", flat=True)) == {
        Org.Kind.ENTERPRISE,
        Org.Kind.COMMUNITY,
    }
    assert not Org.objects.filter(level=Org.Level.GRASSROOTS, member_count__isnull=True).exists()
    for org in Org.objects.select_related("division").exclude(depth=1):
        parent = Org.objects.select_related("division").get(path=org.path[: -Org.steplen])
        assert org.division.is_current
        if org.kind == Org.Kind.ASSISTANCE_CENTRE:
            assert parent.level == Org.Level.COUNTY and org.division_id == parent.division_id, org
        elif org.level == Org.Level.CITY or org.level == Org.Level.COUNTY:
            assert org.division.parent_id == parent.division_id, org  # a county's district lies in its city
        elif org.level == Org.Level.GRASSROOTS:
            assert org.division_id == parent.division_id, org

    assert set(UserRole.objects.values_list("role", flat=True)) == set(Role.values)
    admins = {role: set(UserRole.objects.filter(role=role).values_list("user_id", flat=True)) for role in ADMIN_ROLES}
    assert all(len(ids) == 1 for ids in admins.values()) and len(set.union(*admins.values())) == 3
    for user in User.objects.all():
        assert user.check_password("Bangfu-Demo-2026") and not user.must_change_password
        assert user.org is not None
    assert User.objects.get(username="sysadmin").org.level == Org.Level.NATIONAL

    standards = LocalStandard.objects.all()
    assert standards.count() == 4 * 2 * 2 and not standards.filter(illustrative=False).exists()
    assert {s.source for s in standards} == {"demo value, illustrative — not an official figure"}
    assert "th_reviewer" in output and "Bangfu-Demo-2026" in output


@pytest.mark.django_db
def test_seed_demo_if_empty_keeps_existing_data_and_still_prints_the_logins():
    _seed(seed=1)
    before = _snapshot()
    output = _seed(seed=2, if_empty=True)
    assert _snapshot() == before
    assert "sysadmin" in output and "Bangfu-Demo-2026" in output
    with pytest.raises(CommandError):
        _seed(seed=2)


@pytest.mark.django_db
def test_seed_demo_refuses_production_settings(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        _seed(seed=1)
    assert not Org.objects.exists()


@pytest.mark.django_db
def test_demo_reviewer_signs_in_and_sees_only_their_county(client, settings):
    settings.DEMO_MODE = True  # as under `make run`: the reviewer's two-factor gate is relaxed
    _seed(seed=3)
    response = client.post("/accounts/login/", {"username": "th_reviewer", "password": "Bangfu-Demo-2026"})
    assert response.status_code == 302
    codes = org_codes_in(client.get(reverse("orgs:tree")))
    assert codes == set(Org.objects.filter(code__startswith="GD-GZ-TH-E").values_list("code", flat=True)) | set(
        Org.objects.filter(code__startswith="GD-GZ-TH-S").values_list("code", flat=True)
    ) | {"GD-GZ-TH", "GD-GZ-TH-BF"}  # the county's own assistance centre is in its subtree
    assert len(codes) == 7
