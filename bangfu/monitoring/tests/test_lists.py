"""The lists "not updated for a year" and "archived but never helped", with their edge cases, and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.helpers.models import Visit
from bangfu.registry.models import Household, State, TimelineEvent
from bangfu.registry.tests.factories import make_household
from bangfu.rights.models import RightsCase

pytestmark = pytest.mark.django_db


def _age(household, days, *, events=True):
    then = timezone.now() - dt.timedelta(days=days)
    Household.objects.filter(pk=household.pk).update(updated_at=then)
    if events:
        TimelineEvent.objects.filter(household=household).update(at=then)


def test_not_updated_needs_both_the_record_and_the_timeline_to_be_old(tree, grassroots_cadre, signed_in):
    stale = make_household(tree.grassroots)
    _age(stale, 400)
    just_inside = make_household(tree.grassroots)
    _age(just_inside, 364)
    recent_event = make_household(tree.grassroots)
    _age(recent_event, 400)
    TimelineEvent.objects.create(household=recent_event, kind="incomes_set")
    exited = make_household(tree.grassroots, state=State.EXITED)
    _age(exited, 400)
    page = signed_in(grassroots_cadre).get("/monitoring/not-updated/").content.decode()
    assert stale.archive_number in page
    for other in (just_inside, recent_event, exited):
        assert other.archive_number not in page


def test_never_helped_definition(tree, grassroots_cadre, signed_in):
    today = timezone.localdate()
    never = make_household(tree.grassroots, activated_on=today - dt.timedelta(days=120))
    too_new = make_household(tree.grassroots, activated_on=today - dt.timedelta(days=30))
    visited = make_household(tree.grassroots, activated_on=today - dt.timedelta(days=120))
    Visit.objects.create(household=visited, visited_on=today, visitors="张", findings="ok")
    case = make_household(tree.grassroots, activated_on=today - dt.timedelta(days=120))
    RightsCase.objects.create(household=case, kind="consultation", topic="wages", summary="x", opened_on=today)
    client = signed_in(grassroots_cadre)
    page = client.get("/monitoring/never-helped/").content.decode()
    assert never.archive_number in page
    for other in (too_new, visited, case):
        assert other.archive_number not in page
    api = client.get("/api/v1/monitoring-lists/never-helped/")
    assert api.status_code == 200
    body = api.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [r["archive_number"] for r in rows] == [never.archive_number]


def test_outsider_lists_are_empty_of_other_unions(tree, outsider, signed_in):
    stale = make_household(tree.grassroots)
    _age(stale, 400)
    client = signed_in(outsider)
    assert stale.archive_number not in client.get("/monitoring/not-updated/").content.decode()
    assert stale.archive_number not in client.get("/api/v1/monitoring-lists/not-updated/").content.decode()


# --- each archive by its own union's parameters -------------------------------------------------------------


def _policy(org, **values):
    from bangfu.monitoring.models import MonitoringPolicy

    return MonitoringPolicy.objects.create(org=org, effective_from=dt.date(2020, 1, 1), source="test", **values)


def test_lists_use_each_archives_own_union_policy_nearest_along_the_lineage(tree, county_reviewer, signed_in):
    _policy(tree.county, not_updated_days=500)
    _policy(tree.sibling, not_updated_days=100)
    from bangfu.monitoring.models import MonitoringPolicy

    MonitoringPolicy.objects.create(org=tree.grassroots, effective_from=dt.date(2099, 1, 1), not_updated_days=10)
    in_grassroots = make_household(tree.grassroots)
    _age(in_grassroots, 400)  # the county's 500 days apply (the grassroots row is not in force yet)
    in_sibling = make_household(tree.sibling)
    _age(in_sibling, 200)  # the sibling's own 100 days apply, though the viewer's union says 500
    page = signed_in(county_reviewer).get("/monitoring/not-updated/").content.decode()
    assert in_sibling.archive_number in page and in_grassroots.archive_number not in page
    assert f'data-testid="days-{in_sibling.pk}">100<' in page
    rows = signed_in(county_reviewer).get("/api/v1/monitoring-lists/not-updated/").json()["results"]
    assert [(r["archive_number"], r["listed_days"]) for r in rows] == [(in_sibling.archive_number, 100)]


def test_never_helped_uses_the_households_union_days(tree, county_reviewer, signed_in):
    _policy(tree.grassroots, never_helped_days=30)
    today = timezone.localdate()
    short = make_household(tree.grassroots, activated_on=today - dt.timedelta(days=40))
    national = make_household(tree.sibling, activated_on=today - dt.timedelta(days=40))  # 90 days nationally
    old = make_household(tree.sibling, activated_on=today - dt.timedelta(days=100))
    client = signed_in(county_reviewer)
    rows = client.get("/api/v1/monitoring-lists/never-helped/").json()["results"]
    assert sorted((r["archive_number"], r["listed_days"]) for r in rows) == sorted(
        [(short.archive_number, 30), (old.archive_number, 90)])
    assert national.archive_number not in client.get("/monitoring/never-helped/").content.decode()
    only = client.get(f"/api/v1/monitoring-lists/never-helped/?org={tree.sibling.pk}").json()["results"]
    assert [r["archive_number"] for r in only] == [old.archive_number]


def test_policy_partition_agrees_with_in_force_for_every_union(tree):
    from bangfu.monitoring.lists import policy_partition
    from bangfu.monitoring.models import MonitoringPolicy
    from bangfu.orgs.models import Org

    _policy(tree.province, never_helped_days=11)
    _policy(tree.county, never_helped_days=22)
    _policy(tree.sibling, never_helped_days=33)
    on = timezone.localdate()
    parts = policy_partition(on, path_field="path")
    for org in Org.objects.all():
        matching = [policy for condition, policy in parts if Org.objects.filter(condition, pk=org.pk).exists()]
        assert len(matching) == 1, org
        assert matching[0].never_helped_days == MonitoringPolicy.in_force(org, on).never_helped_days, org
