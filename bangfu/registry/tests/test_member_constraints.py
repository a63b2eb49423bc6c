"""The database itself keeps one head per household and one open archive per person (migration 0004 rebuilt the
member indexes: Django's AlterField had dropped the partial unique head index along with a foreign key's index)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from bangfu.registry.models import Member
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db


def _member(household, **fields) -> Member:
    member = Member(household=household, relation="child", name="李四", sex="F", birth_date=dt.date(2010, 1, 1),
                    **fields)
    member.set_identity("110101201001010027")
    return member


def test_a_second_head_is_refused_by_the_database(tree):
    household = make_household(tree.grassroots)
    with pytest.raises(IntegrityError), transaction.atomic():
        _member(household, is_head=True).save()


def test_one_person_in_at_most_one_open_archive(tree):
    first, second = make_household(tree.grassroots), make_household(tree.grassroots)
    person = _member(first)
    person.open_identity_hash = person.identity_hash
    person.save()
    again = _member(second)
    again.open_identity_hash = again.identity_hash
    with pytest.raises(IntegrityError), transaction.atomic():
        again.save()


def test_member_indexes_are_the_ones_the_queries_need(tree):
    with connection.cursor() as cursor:
        names = {c for c, info in connection.introspection.get_constraints(cursor, Member._meta.db_table).items()
                 if info["index"] or info["unique"]}
    assert {"one_head_per_household", "person_once_per_household", "member_open_identity_once",
            "member_identity_hash", "member_initials_like", "member_name_like"} <= names
