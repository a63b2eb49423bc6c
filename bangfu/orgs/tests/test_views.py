"""The union tree pages, the home page and navigation by role."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from bangfu.accounts.models import User
from bangfu.orgs.models import LocalStandard, Org
from bangfu.portal.tests.conftest import verified_client  # a worker signed in on the portal


def org_codes_in(response) -> set[str]:
    """The codes of the orgs a page lists (each tree node carries data-org)."""
    return set(re.findall(r'data-org="([^"]+)"', response.content.decode()))


@pytest.fixture(autouse=True)
def demo_gates(settings):
    # Reviewers and admins need two-factor outside demo mode; the gates are tested with the accounts.
    settings.DEMO_MODE = True


def _add_union(parent: Org, code: str, members: int, kind=Org.Kind.ENTERPRISE) -> Org:
    return Org.objects.add_child(
        parent,
        instance=Org(
            code=code,
            name=f"工会{code}",
            level=Org.Level.GRASSROOTS,
            kind=kind,
            division=parent.division,
            member_count=members,
        ),
    )


# --- tree -------------------------------------------------------------------------------------------------


def test_tree_shows_only_the_users_subtree(tree, county_reviewer, login):
    response = login(county_reviewer).get(reverse("orgs:tree"))
    assert response.status_code == 200
    assert org_codes_in(response) == {"GD-GZ-TH", "GD-GZ-TH-001", "GD-GZ-TH-002"}
    assert "四川省总工会" not in response.content.decode()


def test_tree_of_a_grassroots_cadre_is_their_union_alone(tree, outsider, login):
    response = login(outsider).get(reverse("orgs:tree"))
    assert org_codes_in(response) == {"GD-GZ-TH-002"}


def test_tree_rooted_outside_the_users_subtree_is_404(tree, county_reviewer, login):
    client = login(county_reviewer)
    assert client.get(reverse("orgs:tree"), {"root": tree.other_province.pk}).status_code == 404
    assert client.get(reverse("orgs:tree"), {"root": tree.city.pk}).status_code == 404
    assert client.get(reverse("orgs:tree"), {"root": "x"}).status_code == 404
    response = client.get(reverse("orgs:tree"), {"root": tree.grassroots.pk})
    assert org_codes_in(response) == {"GD-GZ-TH-001"}


def test_tree_is_404_for_a_role_that_may_not_see_orgs(tree, worker_user, login):
    assert verified_client(worker_user).get(reverse("orgs:tree")).status_code == 404


def test_tree_counts_equal_plain_orm_counts(tree, national_sysadmin, county_reviewer, grassroots_cadre, login):
    _add_union(tree.county, "GD-GZ-TH-003", 120)
    _add_union(tree.county, "GD-GZ-TH-004", 35, kind=Org.Kind.COMMUNITY)
    _add_union(tree.county, "GD-GZ-TH-005", 900)
    Org.objects.filter(code="GD-GZ-TH-001").update(member_count=77)
    Org.objects.filter(code="SC-CD-JJ-001").update(member_count=5)
    inactive = _add_union(tree.county, "GD-GZ-TH-009", 1000)
    Org.objects.filter(pk=inactive.pk).update(is_active=False)
    User.objects.filter(username="cadre").update(is_active=False)

    response = login(national_sysadmin).get(reverse("orgs:tree"))
    shown = {}
    stack = list(response.context["forest"])
    while stack:
        node = stack.pop()
        shown[node.org.code] = node.org
        stack.extend(node.children)
    assert set(shown) == set(Org.objects.values_list("code", flat=True))
    for code, org in shown.items():
        subtree = Org.objects.filter(path__startswith=org.path, level=Org.Level.GRASSROOTS, is_active=True)
        assert org.grassroots_count == subtree.count(), code
        assert org.membership == (subtree.aggregate(n=Sum("member_count"))["n"] or 0), code
        assert org.user_count == User.objects.filter(org__code=code, is_active=True).count(), code
        assert org.numchild == Org.objects.filter(path__startswith=org.path, depth=org.depth + 1).count(), code
    # Spot-check the figures themselves, not only their agreement with the ORM.
    assert shown["GD-GZ-TH"].grassroots_count == 5  # 001, 002, 003, 004, 005; 009 is inactive
    assert shown["GD-GZ-TH"].membership == 77 + 120 + 35 + 900
    assert shown["ACFTU"].membership == 77 + 120 + 35 + 900 + 5
    assert shown["GD-GZ-TH"].user_count == 1  # the reviewer; the cadre's account is inactive


def test_tree_query_count_does_not_grow_with_the_tree(tree, national_sysadmin, login):
    client = login(national_sysadmin)
    url = reverse("orgs:tree")
    client.get(url)  # warm the session, caches and content types

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200

    county = Org.objects.add_child(
        tree.city,
        instance=Org(
            code="GD-GZ-HZ",
            name="海珠区总工会",
            level=Org.Level.COUNTY,
            division_id="440105",
        ),
    )
    for i in range(12):
        union = _add_union(county if i % 2 else tree.county, f"GD-GZ-X{i:02d}", 10 + i)
        tree.user(f"extra{i}", union)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(org_codes_in(response)) == Org.objects.count() == 10 + 13
    assert len(large.captured_queries) == len(small.captured_queries), [q["sql"] for q in large.captured_queries]


def test_tree_page_stays_bounded_on_a_large_tree(tree, national_sysadmin, login, monkeypatch):
    from bangfu.orgs import views

    monkeypatch.setattr(views, "MAX_NODES", 6)
    client = login(national_sysadmin)
    response = client.get(reverse("orgs:tree"))
    # national + 2 provinces + 2 cities = 5 fit; counties would make 7, so the page stops at cities …
    assert org_codes_in(response) == {"ACFTU", "GD", "SC", "GD-GZ", "SC-CD"}
    assert response.context["org_total"] == 10 and not response.context["truncated"]
    html = response.content.decode()
    assert f"?root={tree.city.pk}" in html  # … and offers to continue from a city
    # Re-rooted on the county, its children are listed even beyond the cap, cut at MAX_NODES.
    for i in range(3, 9):
        _add_union(tree.county, f"GD-GZ-TH-00{i}", 1)
    response = client.get(reverse("orgs:tree"), {"root": tree.county.pk})
    assert len(org_codes_in(response)) == 6 and response.context["truncated"]
    assert response.context["org_total"] == 9


def test_detail_pages_through_many_children(tree, county_reviewer, login, monkeypatch):
    from bangfu.orgs import views

    monkeypatch.setattr(views, "CHILDREN_PER_PAGE", 2)
    for i in range(3, 6):
        _add_union(tree.county, f"GD-GZ-TH-00{i}", 1)
    client = login(county_reviewer)
    seen = []
    for page in (1, 2, 3):
        response = client.get(reverse("orgs:detail", args=[tree.county.pk]), {"page": page})
        seen += [c.code for c in response.context["children"]]
    assert seen == [f"GD-GZ-TH-00{i}" for i in range(1, 6)]
    assert client.get(reverse("orgs:detail", args=[tree.county.pk]), {"page": "x"}).status_code == 200


# --- detail -----------------------------------------------------------------------------------------------


def test_detail_is_404_outside_the_subtree(tree, county_reviewer, outsider, worker_user, login, client):
    client = login(county_reviewer)
    for org in (tree.city, tree.province, tree.national, tree.other_grassroots):
        assert client.get(reverse("orgs:detail", args=[org.pk])).status_code == 404
    assert client.get(reverse("orgs:detail", args=[99999])).status_code == 404
    assert client.get(reverse("orgs:detail", args=[tree.grassroots.pk])).status_code == 200
    client.logout()
    assert login(outsider).get(reverse("orgs:detail", args=[tree.grassroots.pk])).status_code == 404
    client.logout()
    assert verified_client(worker_user).get(reverse("orgs:detail", args=[tree.grassroots.pk])).status_code == 404


def test_detail_breadcrumbs_stop_at_what_the_user_may_see(tree, county_reviewer, login):
    response = login(county_reviewer).get(reverse("orgs:detail", args=[tree.grassroots.pk]))
    labels = [label for label, _ in response.context["crumbs"]]
    assert labels[-2:] == ["天河区总工会", "天河甲公司工会"]
    assert "广州市总工会" not in labels and "广东省总工会" not in labels
    assert "广州市总工会" not in response.content.decode()


def test_detail_shows_division_children_and_standards_in_force(tree, county_reviewer, login):
    LocalStandard.objects.create(
        division_id="440100",
        kind="living_line",
        amount=Decimal("1180"),
        effective_from=dt.date(2020, 1, 1),
        source="demo value, illustrative — not an official figure",
        illustrative=True,
    )
    LocalStandard.objects.create(
        division_id="440106",
        kind="minimum_wage",
        amount=Decimal("2345"),
        effective_from=dt.date(2021, 1, 1),
        source="Gazette 2021/1",
        illustrative=False,
    )
    LocalStandard.objects.create(  # not yet in force: must not be shown
        division_id="440106",
        kind="minimum_wage",
        amount=Decimal("9999"),
        effective_from=dt.date(2099, 1, 1),
        source="future",
        illustrative=False,
    )
    response = login(county_reviewer).get(reverse("orgs:detail", args=[tree.county.pk]))
    html = response.content.decode()
    assert "广东省 › 广州市 › 天河区" in html
    assert {c.code for c in response.context["children"]} == {"GD-GZ-TH-001", "GD-GZ-TH-002"}
    (_, _, line), (_, _, wage) = response.context["standards"]
    assert (line.amount, line.illustrative, wage.amount, wage.illustrative) == (1180, True, 2345, False)
    assert "¥1,180" in html or "¥1180" in html
    assert "9999" not in html
    standards = html[html.index('data-testid="standards"') :]
    assert standards.count("badge text-bg-warning") == 1  # only the illustrative row carries the badge


def test_users_link_only_for_roles_that_may_view_users(tree, county_reviewer, national_sysadmin, login, client):
    response = login(county_reviewer).get(reverse("orgs:detail", args=[tree.county.pk]))
    assert 'data-testid="org-users-link"' not in response.content.decode()
    try:
        users_url = reverse("accounts:org_users", args=[tree.county.pk])
    except NoReverseMatch:
        pytest.fail("accounts:org_users is not defined")
    client.logout()
    response = login(national_sysadmin).get(reverse("orgs:detail", args=[tree.county.pk]))
    assert f'href="{users_url}"' in response.content.decode()


# --- home and navigation ----------------------------------------------------------------------------------


def _nav(response) -> set[str]:
    return set(re.findall(r'data-testid="nav-([a-z]+)"', response.content.decode()))


def test_home_and_navigation_follow_the_role(
    tree, county_reviewer, national_sysadmin, audit_admin, worker_user, login, client
):
    response = login(county_reviewer).get(reverse("core:home"))
    assert response.status_code == 200
    assert "天河区总工会" in response.content.decode()
    assert _nav(response) == {"worklist", "tree", "households", "helping", "rights", "funds", "api", "user",
                              "notifications", "checks", "import", "econcheck", "findings", "snapshots", "reviews",
                              "services", "offers", "rounds", "stats"}
    assert reverse("orgs:tree") in {a["url"] for a in response.context["actions"]}
    assert reverse("orgs:detail", args=[tree.county.pk]) in {a["url"] for a in response.context["actions"]}

    client.logout()
    response = login(national_sysadmin).get(reverse("core:home"))
    assert {"tree", "admin", "users"} <= _nav(response)
    assert "audit" not in _nav(response)

    client.logout()
    response = login(audit_admin).get(reverse("core:home"))
    assert "audit" in _nav(response) and not {"tree", "admin", "users"} & _nav(response)

    client.logout()
    response = verified_client(worker_user).get(reverse("core:home"))
    assert _nav(response) == {"user", "notifications"}  # workers are told things too (their own notices only)
    assert [a["url"] for a in response.context["actions"]] == [reverse("accounts:me")]


def test_pages_render_in_chinese_by_default_and_switch_to_english(tree, county_reviewer, login):
    client = login(county_reviewer)
    html = client.get(reverse("orgs:tree")).content.decode()
    assert '<html lang="zh-hans">' in html
    assert 'data-testid="language-en"' in html
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("orgs:tree")})
    assert response.status_code == 302
    html = client.get(reverse("orgs:tree")).content.decode()
    assert '<html lang="en">' in html and 'data-testid="language-zh-hans"' in html
