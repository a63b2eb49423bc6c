"""Concurrent double-posting: the same transition twice at the same instant, the same person added to two
archives at the same instant. Real transactions in real threads, so PostgreSQL only (SQLite serialises
every writer: there is no race to lose there)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from bangfu.core.identity import synthetic_resident_id
from bangfu.registry.models import Household, Member, State, TimelineEvent
from bangfu.registry.services import archive as archive_services
from bangfu.registry.services import lifecycle as services
from bangfu.registry.tests.factories import make_household
from tests.concurrency import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a race needs concurrent writers (PostgreSQL)"),
]


def test_the_same_transition_posted_twice_at_once_runs_once(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.DRAFT)
    results = race(*[lambda: services.household_submit(Household.objects.get(pk=household.pk), actor=grassroots_cadre)]
                   * 2)
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), results
    household.refresh_from_db()
    assert household.state == State.APPLIED
    assert TimelineEvent.objects.filter(household=household, kind="submit").count() == 1


def test_the_same_person_added_to_two_archives_at_once_lands_in_one(tree, grassroots_cadre, county_reviewer):
    first = make_household(tree.grassroots, state=State.DRAFT)
    second = make_household(tree.sibling, state=State.DRAFT)
    number = synthetic_resident_id("440106", dt.date(1990, 6, 1), 777)
    person = {"name": "赵六", "relation": "spouse", "document_type": "resident_id", "identity_number": number}
    results = race(
        lambda: archive_services.member_add(grassroots_cadre, Household.objects.get(pk=first.pk), dict(person)),
        lambda: archive_services.member_add(county_reviewer, Household.objects.get(pk=second.pk), dict(person)),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), results
    assert "identity_number" in errors[0].message_dict
    assert Member.objects.filter(name="赵六").count() == 1
    assert Member.objects.exclude(open_identity_hash=None).filter(name="赵六").count() == 1
