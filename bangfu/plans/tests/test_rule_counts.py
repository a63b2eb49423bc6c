"""The rule pages count only the proposals the user may see (through `Recommendation.objects.restrict`): a
system administrator, who edits the rules but sees no household's proposals, gets no counts at all; a case
worker gets the counts of their subtree. The plan's measures name the rule that proposed them by its title."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bangfu.plans.models import RecommendationRule
from bangfu.plans.services.recommendations import recommendation_accept
from bangfu.plans.tests.factories import make_recommendation, shipped_rules
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_en(signed_in_en):
    return signed_in_en


@pytest.fixture
def proposals(tree):
    """Proposals of the students rule: two of the grassroots union, one of the sibling union."""
    shipped_rules()
    rule = RecommendationRule.objects.get(code="students", is_current=True)
    for org in (tree.grassroots, tree.grassroots, tree.sibling):
        make_recommendation(make_household(org, size=2), rule)
    return rule


def _row(html: str, code: str) -> str:
    return html.split(f'data-testid="rule-{code}"')[1].split("</tr>")[0]


def test_a_system_administrator_gets_no_counts(client_en, national_sysadmin, proposals):
    client = client_en(national_sysadmin)
    html = client.get(reverse("plans:rules")).content.decode()
    assert 'data-testid="rule-students"' in html
    assert 'data-testid="count-total"' not in html and "Proposals made" not in html
    detail = client.get(reverse("plans:rule_detail", args=["students"])).content.decode()
    assert 'data-testid="version-1"' in detail
    assert 'data-testid="version-count"' not in detail and "Proposals made" not in detail


def test_a_case_worker_counts_the_proposals_of_their_subtree(client_en, grassroots_cadre, county_reviewer, proposals):
    html = client_en(grassroots_cadre).get(reverse("plans:rules")).content.decode()
    assert 'data-testid="count-total">2<' in _row(html, "students")  # not the sibling union's
    html = client_en(county_reviewer).get(reverse("plans:rules")).content.decode()
    assert 'data-testid="count-total">3<' in _row(html, "students")
    detail = client_en(grassroots_cadre).get(reverse("plans:rule_detail", args=["students"])).content.decode()
    version = detail.split('data-testid="version-1"')[1].split("</tr>")[0]
    assert 'data-testid="version-count">2<' in version


def test_a_role_that_reads_rules_but_not_proposals_gets_no_counts(tree, client_en, proposals):
    from bangfu.accounts.roles import ROLE_PERMISSIONS

    readers = [role for role, perms in ROLE_PERMISSIONS.items()
               if "plans.view_recommendationrule" in perms and "plans.view_recommendation" not in perms]
    assert readers  # the system administrator at least
    for n, role in enumerate(readers):
        user = tree.user(f"reader{n}", tree.national, role)
        html = client_en(user).get(reverse("plans:rules")).content.decode()
        assert 'data-testid="count-total"' not in html, role


def test_the_measures_table_names_the_rule_by_its_title(client_en, grassroots_cadre, tree):
    shipped_rules()
    household = make_household(tree.grassroots, size=2, main_cause="3")
    rule = RecommendationRule.objects.get(code="students", is_current=True)
    recommendation_accept(make_recommendation(household, rule), grassroots_cadre)
    html = client_en(grassroots_cadre).get(reverse("plans:household", args=[household.pk])).content.decode()
    cell = html.split('data-testid="measures"')[1].split('data-testid="measure-rule"')[1].split("</div>")[0]
    assert rule.title_en in cell and "(students v1)" in cell


def test_a_worker_sees_no_rule_on_their_measures(tree, client_en, grassroots_cadre, worker_user):
    from bangfu.registry.models import Member

    shipped_rules()
    household = make_household(tree.grassroots, size=2, main_cause="3")
    Member.objects.filter(household=household, is_head=True).update(account=worker_user)
    rule = RecommendationRule.objects.get(code="students", is_current=True)
    recommendation_accept(make_recommendation(household, rule), grassroots_cadre)
    response = client_en(worker_user).get(reverse("plans:household", args=[household.pk]))
    assert response.status_code == 200
    assert 'data-testid="measure-rule"' not in response.content.decode()
