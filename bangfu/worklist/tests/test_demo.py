"""Demo help (`seed_demo`, bangfu.worklist.demo): helpers, visits, plans, rights and care over the demo archives,
and the work lists of the demo people; and, over the same seeding, the demo money (bangfu/funds/tests/demo_checks.py).
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.care.models import CrisisCase, CrisisState, Screening
from bangfu.funds.tests.demo_checks import check_demo_money
from bangfu.helpers.models import ASSIGNABLE_STATES, HelperAssignment, HelperMode, Visit
from bangfu.helpers.queries import overdue_visits
from bangfu.notifications.models import Notification
from bangfu.plans.models import Measure, MeasureState, Recommendation, RecommendationDecision
from bangfu.registry.models import Household, TimelineEvent
from bangfu.rights.models import RightsCase
from tests.shared_data import shared_data

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = io.StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):  # the crisis notices go out after commit
        call_command("seed_demo", "--seed", "3", "--households", "1200", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker, _media_dir):
    """The full demo, seeded once for the class (it takes a while) and rolled back after its last test
    (tests/shared_data.py); the tests only read it, and what their page requests write is rolled back after each."""
    with shared_data(django_db_blocker, _media_dir, _seed) as output:
        yield output


class TestTheFullDemo:
    def test_demo_help(self, demo, signed_in, django_assert_max_num_queries):
        """Several checks of the help."""
        _helpers_visits_and_their_timeline()
        _plans_rights_and_care()
        _work_lists_of_the_demo_people(signed_in, django_assert_max_num_queries)

    def test_demo_money(self, demo, signed_in, django_assert_max_num_queries):
        """Three checks of the money (they lived in bangfu/funds/tests/test_demo_funds.py with a seeding of their
        own, of seed 2 and 600 households)."""
        check_demo_money(signed_in, django_assert_max_num_queries)


def _helpers_visits_and_their_timeline():
    current = HelperAssignment.objects.current()
    assert set(current.values_list("mode", flat=True)) == set(HelperMode.values)
    assert HelperAssignment.objects.filter(handed_over_to__isnull=False).count() >= 5
    # History kept: an ended row points at its successor, which started the day it ended, unless the archive
    # closed (the demo's exits end their helper without a successor).
    for ended in HelperAssignment.objects.filter(ends_on__isnull=False).select_related("handed_over_to", "household"):
        if ended.handed_over_to is None:
            assert ended.household.state not in ASSIGNABLE_STATES, ended.pk
        else:
            assert ended.handed_over_to.starts_on == ended.ends_on
    # Only archives that get a helper have one; one current helper per household; some have none.
    assert not current.exclude(household__state__in=ASSIGNABLE_STATES).exists()
    helped = current.values("household").distinct().count()
    assert helped == current.count()
    assert helped < Household.objects.filter(state__in=ASSIGNABLE_STATES).count()
    # Visits: none in the future or before the archive existed; some households are overdue.
    today = timezone.localdate()
    assert Visit.objects.count() > helped
    assert not Visit.objects.filter(visited_on__gt=today).exists()
    national_leader = User.objects.get(username="acftu_leader")  # sees every union
    overdue = overdue_visits(national_leader, today).count()
    assert 0 < overdue < helped
    # The timeline says so, with the kinds the helpers app writes.
    kinds = set(TimelineEvent.objects.values_list("kind", flat=True))
    assert {"helper_assigned", "helper_handed_over", "visit_recorded", "measures_proposed", "proposal_accepted",
            "proposal_rejected", "rights_case_opened"} <= kinds
    assert TimelineEvent.objects.filter(kind="visit_recorded").count() == Visit.objects.count()


def _plans_rights_and_care():
    assert set(Measure.objects.values_list("state", flat=True)) == set(MeasureState.values)
    today = timezone.localdate()
    assert Measure.objects.open().filter(due_on__lt=today).exists()  # overdue
    decisions = set(Recommendation.objects.values_list("decision", flat=True))
    assert decisions == set(RecommendationDecision.values)
    assert RightsCase.objects.filter(state="closed").exists() and RightsCase.objects.exclude(state="closed").exists()
    counsellor = User.objects.get(username="th_counsellor")
    assert Screening.objects.filter(counsellor=counsellor).count() >= 2
    crises = CrisisCase.objects.filter(state=CrisisState.OPEN)
    assert crises.count() == 1
    crisis = crises.get()
    # The household's responsible helper is th_helper, who was told an urgent contact is due.
    assert HelperAssignment.objects.current().get(household=crisis.household).helper.username == "th_helper"
    assert Notification.objects.filter(recipient__username="th_helper", urgency="urgent").exists()


def _work_lists_of_the_demo_people(signed_in, django_assert_max_num_queries):
    for username, sections in (("th_caseworker", ("households", "visits", "measures", "unassigned")),
                               ("th_helper", ("households", "visits", "measures")),
                               ("th_counsellor", ("crises",)),
                               ("th_reviewer", ("visits", "unassigned"))):
        client = signed_in(User.objects.get(username=username))
        client.get(reverse("worklist:home"))
        with django_assert_max_num_queries(24):
            body = client.get(reverse("worklist:home")).content.decode()
        for key in sections:
            assert f'data-testid="section-{key}"' in body, (username, key)
            assert f'data-testid="rows-{key}"' in body, (username, key)  # it has rows
