"""Overdue visits and reviews from the due-day histograms equal the plain queries behind the lists
(`HelperAssignment.objects.overdue`, active archives with a past review date) after every kind of write that
moves a due day — visits, helpers, frequencies, states, review dates, transfers, deletions — on several days,
before and after the compaction; a rebuild equals the incremental histograms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bangfu.helpers.frequencies import DEFAULT_FREQUENCIES, epoch_day
from bangfu.helpers.models import HelperAssignment, Visit, VisitFrequency
from bangfu.registry.models import Household, State
from bangfu.registry.tests.factories import make_household
from bangfu.stats import due, rollup
from bangfu.stats.models import DueDelta, DueKind, DueRollup, HouseholdDue

pytestmark = pytest.mark.django_db(transaction=False)

TODAY = timezone.localdate()
DAYS = [TODAY - dt.timedelta(days=200), TODAY, TODAY + dt.timedelta(days=31), TODAY + dt.timedelta(days=95),
        TODAY + dt.timedelta(days=400)]


def plain(org, today) -> dict[int, int]:
    """The same figures the plain way: the queries the overdue lists use."""
    visits = HelperAssignment.objects.overdue(today).filter(household__org__path__startswith=org.path).count()
    reviews = Household.objects.filter(org__path__startswith=org.path, state=State.ACTIVE,
                                       review_due_on__lt=today).count()
    return {DueKind.VISIT: visits, DueKind.REVIEW: reviews}


def assert_exact(tree, *, compact_too=True):
    orgs = (tree.national, tree.province, tree.city, tree.county, tree.grassroots, tree.sibling,
            tree.other_province, tree.other_grassroots)
    for _round in range(2 if compact_too else 1):
        for org in orgs:
            org.refresh_from_db()
            for day in DAYS:
                assert due.overdue_counts(org, day) == plain(org, day), (org.code, day)
        rollup.compact()
    if compact_too:
        assert not DueDelta.objects.exists()


def helper(household, kind="branch_cadre", starts_on=TODAY - dt.timedelta(days=60), org=None):
    return HelperAssignment.objects.create(household=household, mode="union", helper_org=org or household.org,
                                           helper_kind=kind, starts_on=starts_on)


def visit(household, days_ago: int):
    return Visit.objects.create(household=household, visited_on=TODAY - dt.timedelta(days=days_ago),
                                visitors="王", findings="好")


def histogram():
    return sorted(DueRollup.objects.exclude(households=0).values_list("org_id", "kind", "day", "households"))


def test_overdue_figures_stay_exact_through_every_kind_of_write(tree):
    g, s, other = tree.grassroots, tree.sibling, tree.other_grassroots
    a = make_household(g, review_due_on=TODAY - dt.timedelta(days=10))
    b = make_household(g, review_due_on=TODAY + dt.timedelta(days=50))
    c = make_household(s, state=State.PUBLIC_NOTICE, review_due_on=TODAY - dt.timedelta(days=5))
    d = make_household(other, review_due_on=TODAY - dt.timedelta(days=300))
    e = make_household(g, state=State.APPLIED)
    assert_exact(tree)

    # Helpers of each kind; one with no table entry at all (the fallback interval).
    helper(a)
    helper(b, "plant_leader", starts_on=TODAY - dt.timedelta(days=100))
    helper(c, "workshop_cadre")
    helper(d, "retired_cadre")
    helper(e)  # an applied archive owes no visits yet
    assert_exact(tree)

    # Visits: recorded, moved to another day, deleted; the latest counts, not the last recorded.
    first = visit(a, 40)
    visit(a, 70)
    visit(b, 10)
    assert_exact(tree)
    Visit.objects.filter(pk=first.pk).update(visited_on=TODAY - dt.timedelta(days=5))
    Visit.objects.filter(household=b).delete()
    assert_exact(tree)

    # Frequencies set, overridden nearer, changed and removed.
    VisitFrequency.objects.create(org=tree.province, helper_kind="branch_cadre", label="支部", interval_days=7)
    assert_exact(tree)
    nearest = VisitFrequency.objects.create(org=g, helper_kind="branch_cadre", label="支部", interval_days=365)
    assert_exact(tree)
    VisitFrequency.objects.filter(pk=nearest.pk).update(interval_days=3)
    VisitFrequency.objects.filter(org=tree.province).delete()
    assert_exact(tree)

    # Archives move through states, unions and review dates, in bulk as imports and the engine write.
    Household.objects.filter(pk=e.pk).update(state=State.ACTIVE, review_due_on=TODAY - dt.timedelta(days=1))
    Household.objects.filter(pk=c.pk).update(state=State.ACTIVE)
    Household.objects.filter(org=g).update(review_due_on=TODAY + dt.timedelta(days=20))
    Household.objects.filter(pk=a.pk).update(org=other)
    Household.objects.filter(pk=d.pk).update(state=State.EXITED)
    assert_exact(tree)

    # Rows that change what they are about: a frequency's union and kind, an assignment's kind and household, a
    # visit moved to another household.
    frequency = VisitFrequency.objects.create(org=tree.county, helper_kind="workshop_cadre", label="车间",
                                              interval_days=5)
    VisitFrequency.objects.filter(pk=frequency.pk).update(org=tree.other_province)
    VisitFrequency.objects.filter(pk=frequency.pk).update(org=tree.city, helper_kind="plant_leader")
    HelperAssignment.objects.filter(household=b, ends_on__isnull=True).update(helper_kind="plant_leader")
    moved = visit(a, 2)
    Visit.objects.filter(pk=moved.pk).update(household=b)
    assert_exact(tree)

    # Helpers end and hand over; a household is deleted.
    HelperAssignment.objects.filter(household=b).update(ends_on=TODAY)
    helper(b, "union", starts_on=TODAY)
    HelperAssignment.objects.filter(household=a).delete()
    Visit.objects.filter(household=c).delete()
    Household.objects.filter(pk=c.pk).delete()
    assert_exact(tree)


def test_every_default_interval_is_the_one_the_lists_use(tree):
    """The triggers' SQL carries the default table of `bangfu.helpers.frequencies`: each kind's due day is the
    one `HelperAssignment.objects.with_visit_due` computes."""
    for kind, (_label, days) in DEFAULT_FREQUENCIES.items():
        household = make_household(tree.grassroots)
        assignment = helper(household, kind, starts_on=dt.date(2026, 1, 1))
        stored = HouseholdDue.objects.get(household_id=household.pk).visit_due_day
        listed = HelperAssignment.objects.with_visit_due().get(pk=assignment.pk).due_day
        assert stored == listed == epoch_day(dt.date(2026, 1, 1)) + days, kind


def test_incremental_histograms_equal_a_rebuild(tree):
    households = [make_household(tree.grassroots, review_due_on=TODAY - dt.timedelta(days=i)) for i in range(4)]
    for i, household in enumerate(households):
        helper(household, ["branch_cadre", "union"][i % 2], starts_on=TODAY - dt.timedelta(days=40 * i))
        visit(household, 20 * i)
    VisitFrequency.objects.create(org=tree.county, helper_kind="union", label="统一", interval_days=14)
    Household.objects.filter(pk=households[0].pk).update(state=State.EXITED)
    rollup.compact()
    incremental = histogram()
    rollup.rebuild()
    assert histogram() == incremental and incremental


def test_moving_a_union_changes_which_frequency_applies(tree, settings, django_capture_on_commit_callbacks):
    """A frequency set by the old ancestor stops applying to the subtree that moved away: the rebuild after a
    move recomputes the due days."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from bangfu.orgs.models import Org

    VisitFrequency.objects.create(org=tree.county, helper_kind="branch_cadre", label="支部", interval_days=500)
    household = make_household(tree.grassroots)
    helper(household, starts_on=TODAY - dt.timedelta(days=100))  # due in 400 days under the county's rule
    rollup.compact()
    assert due.overdue_counts(tree.national, TODAY)[DueKind.VISIT] == 0
    other_county = tree.other_grassroots.get_parent()
    with django_capture_on_commit_callbacks(execute=True):
        Org.objects.get(pk=tree.grassroots.pk).move(other_county, "sorted-child")
    for org in (tree.national, tree.county, other_county):
        org.refresh_from_db()
        assert due.overdue_counts(org, TODAY) == plain(org, TODAY), org.code
    assert due.overdue_counts(other_county, TODAY)[DueKind.VISIT] == 1  # the default 30 days apply now


@pytest.mark.django_db(transaction=True)
def test_the_scheduled_compaction_folds_and_vacuums_the_delta_tables(tree, settings):
    """The every-minute task folds the deltas and, on PostgreSQL, vacuums the delta tables (outside a
    transaction), so readers do not scan the dead rows of every change ever folded."""
    from django.db import connection

    from bangfu.stats.tasks import compact_rollups

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    household = make_household(tree.grassroots, review_due_on=TODAY - dt.timedelta(days=3))
    helper(household)
    assert DueDelta.objects.exists()
    result = compact_rollups.enqueue()
    assert result.return_value > 0
    assert not DueDelta.objects.exists()
    assert due.overdue_counts(tree.national, TODAY) == plain(tree.national, TODAY)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT relname FROM pg_stat_user_tables "
                           "WHERE relname = ANY(%s) AND last_vacuum IS NOT NULL", [list(rollup.DELTA_TABLES)])
            assert sorted(name for (name,) in cursor.fetchall()) == sorted(rollup.DELTA_TABLES)


def test_a_visit_due_today_is_not_yet_overdue(tree):
    """Overdue means due before today, as the lists say: the day itself does not count, the day after does."""
    household = make_household(tree.grassroots, review_due_on=TODAY)
    helper(household, "branch_cadre", starts_on=TODAY - dt.timedelta(days=30))  # due today (every 30 days)
    for day, expected in ((TODAY, 0), (TODAY + dt.timedelta(days=1), 1)):
        assert due.overdue_counts(tree.grassroots, day) == {DueKind.VISIT: expected, DueKind.REVIEW: expected}
        assert plain(tree.grassroots, day) == {DueKind.VISIT: expected, DueKind.REVIEW: expected}


def test_renaming_a_frequency_recomputes_nothing(tree):
    household = make_household(tree.grassroots)
    helper(household)
    frequency = VisitFrequency.objects.create(org=tree.county, helper_kind="branch_cadre", label="支部",
                                              interval_days=10)
    rollup.compact()
    frequency.label = "支部委员"
    frequency.save()  # every column written, only the label changed
    assert not DueDelta.objects.exists()
    frequency.interval_days = 11
    frequency.save()
    assert DueDelta.objects.count() == 2  # −1 on the old day, +1 on the new one


def test_deleting_a_union_keeps_its_pending_changes(tree):
    """A household moves out of a union that is then deleted before the minute's compaction: the −1 left at that
    union still reaches its ancestors."""
    from bangfu.orgs.models import Org

    union = Org.objects.add_child(tree.county, instance=Org(code="GD-GZ-TH-009", name="临时工会", level=4,
                                                          kind="enterprise", division_id="440106"))
    household = make_household(union, review_due_on=TODAY - dt.timedelta(days=1))
    rollup.compact()
    Household.objects.filter(pk=household.pk).update(org=tree.grassroots)
    Org.objects.get(pk=union.pk).delete()
    assert_exact(tree)
