"""The rollups are exact: after every kind of write (forms' write functions, bulk UPDATEs as imports and the
classification engine do them, transfers, helpers, deletions) the dashboard's counts equal a plain ORM count of
the households, before and after the deltas are folded in, and an incremental history equals one rebuilt from
scratch."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Subquery, Sum
from django.utils import timezone

from bangfu.accounts.roles import Role
from bangfu.funds.models import LedgerEntry
from bangfu.funds.tests.factories import fund, give
from bangfu.helpers.models import HelperAssignment
from bangfu.helpers.services.assignments import assign_helper, end_assignment
from bangfu.registry.models import Household, HouseholdCause, State
from bangfu.registry.services.archive import causes_set
from bangfu.registry.services.restructure import household_transfer
from bangfu.registry.tests.factories import make_household
from bangfu.stats import rollup
from bangfu.stats.models import FundRollup, HouseholdDelta, HouseholdFlow, HouseholdRollup, HouseholdSpan

pytestmark = pytest.mark.django_db(transaction=False)


def orm_counts(org) -> dict[tuple, int]:
    """The same figure as `rollup.household_counts`, the plain way: group the subtree's households."""
    main = HouseholdCause.objects.filter(household=OuterRef("pk"), is_main=True).values("code")[:1]
    helper = HelperAssignment.objects.filter(household=OuterRef("pk"), ends_on__isnull=True)
    rows = (Household.objects.filter(org__path__startswith=org.path)
            .annotate(cause=Subquery(main), helped=Exists(helper))
            .values_list("state", "category", "cause", "exit_reason", "helped"))
    return dict(Counter((s, c, m or "", e, bool(h)) for s, c, m, e, h in rows))


def assert_exact(tree):
    for org in (tree.national, tree.province, tree.city, tree.county, tree.grassroots, tree.sibling,
                tree.other_province, tree.other_grassroots):
        counted = {(s, c, m, e, bool(h)): n for (s, c, m, e, h), n in rollup.household_counts(org).items()}
        assert counted == orm_counts(org), org.code


def snapshot():
    return (sorted(HouseholdRollup.objects.exclude(households=0).values_list(
                "org_id", "state", "category", "main_cause", "exit_reason", "has_helper", "households")),
            sorted(HouseholdFlow.objects.values_list(
                "org_id", "month", "state", "entered", "left", "state_entered", "state_left")),
            sorted(FundRollup.objects.exclude(amount_fen=0).values_list(
                "org_id", "year", "source_id", "category", "bucket", "amount_fen")))


@pytest.fixture
def county_boss(tree):
    return tree.user("boss", tree.county, Role.REVIEWER, Role.CASE_WORKER, Role.FUND_MANAGER)


def test_counts_stay_exact_through_every_kind_of_write(tree, county_boss):
    g, s, other = tree.grassroots, tree.sibling, tree.other_grassroots
    households = [make_household(g, main_cause="3"), make_household(g, main_cause="6", category="A_dibao"),
                  make_household(s, state=State.PUBLIC_NOTICE), make_household(other, main_cause="1"),
                  make_household(g, state=State.EXITED, exit_reason="death", main_cause="")]
    assert_exact(tree)

    first, second, applied, far, _exited = households
    causes_set(second, "8", ["3"], actor=county_boss)  # the main cause changes
    household_transfer(first, actor=county_boss, to_org=s, reason="调动")  # the union changes
    assign_helper(applied, mode="union", helper_org=tree.county, helper_kind="union",
                  starts_on=timezone.localdate(), actor=county_boss)
    assert_exact(tree)

    # Bulk writes that bypass the models (as the import and the classification engine do).
    Household.objects.filter(org=g).update(category="B_relative")
    Household.objects.filter(pk=applied.pk).update(state=State.ACTIVE, category="B_deep")
    HouseholdCause.objects.filter(household=far).delete()
    assert_exact(tree)

    folded = rollup.compact()
    assert folded > 0
    assert_exact(tree)

    end_assignment(HelperAssignment.objects.get(household=applied), on=timezone.localdate(), reason="结束",
                   actor=county_boss)
    far.delete()  # gone altogether (members and causes cascade)
    assert_exact(tree)  # rollup rows + pending deltas
    rollup.compact()
    assert_exact(tree)
    assert rollup.compact() == 0  # nothing left to fold


def test_incremental_history_equals_a_rebuild(tree, county_boss):
    g = tree.grassroots
    a, b = make_household(g, state=State.APPLIED), make_household(g, main_cause="6")
    Household.objects.filter(pk=a.pk).update(state=State.ACTIVE)
    Household.objects.filter(pk=b.pk).update(state=State.EXITED, exit_reason="out_of_hardship")
    household_transfer(a, actor=county_boss, to_org=tree.sibling, reason="调动")
    fund(tree.county, 1000, county_boss)
    give(tree.county, g, 300, county_boss)
    rollup.compact()
    incremental = snapshot()
    rollup.rebuild()
    assert snapshot() == incremental
    assert incremental[0] and incremental[1] and incremental[2]


def test_one_open_span_per_household_and_the_past_is_kept(tree):
    household = make_household(tree.grassroots, state=State.APPLIED, main_cause="")
    Household.objects.filter(pk=household.pk).update(state=State.ACTIVE)
    Household.objects.filter(pk=household.pk).update(need_score=50)  # not part of the tuple: no new span
    spans = list(HouseholdSpan.objects.filter(household_id=household.pk).order_by("id"))
    assert [s.state for s in spans] == [State.APPLIED, State.ACTIVE]
    assert spans[0].valid_to is not None and spans[1].valid_to is None
    assert spans[0].valid_to <= spans[1].valid_from
    HouseholdCause.objects.create(household=household, code="6", is_main=True)  # a cause is part of it
    assert HouseholdSpan.objects.get(household_id=household.pk, valid_to__isnull=True).main_cause == "6"


def test_monthly_flows_count_state_changes_not_transfers(tree, county_boss):
    month = timezone.localdate().replace(day=1)
    household = make_household(tree.grassroots, state=State.APPROVAL)
    Household.objects.filter(pk=household.pk).update(state=State.ACTIVE)
    household_transfer(household, actor=county_boss, to_org=tree.sibling, reason="调动")
    flows = rollup.monthly_flows(tree.county, month)
    assert flows[(month, State.ACTIVE)]["state_entered"] == 1  # approved once; the transfer is not "new"
    assert flows[(month, State.APPROVAL)]["state_left"] == 1
    grassroots = rollup.monthly_flows(tree.grassroots, month)[(month, State.ACTIVE)]
    assert (grassroots["entered"], grassroots["left"]) == (1, 1)  # came in by approval, left by transfer
    rollup.compact()
    assert rollup.monthly_flows(tree.county, month) == flows


def test_a_bulk_statement_counts_every_household_in_the_flows(tree):
    """One UPDATE of several households leaves one delta row per tuple (−n/+n): the flows still count each
    household, pending and folded, and equal a rebuild from the history."""
    month = timezone.localdate().replace(day=1)
    for _ in range(3):
        make_household(tree.grassroots, state=State.APPROVAL, category="A_dibao")
    make_household(tree.sibling, state=State.APPROVAL, category="A_dibao")
    Household.objects.filter(org__path__startswith=tree.county.path).update(state=State.ACTIVE)
    if connection.vendor == "postgresql":  # statement-level triggers: one row for the three of the grassroots
        assert HouseholdDelta.objects.filter(org=tree.grassroots, state=State.ACTIVE, delta=3).count() == 1
    pending = rollup.monthly_flows(tree.county, month)
    assert pending[(month, State.ACTIVE)]["state_entered"] == 4
    assert pending[(month, State.APPROVAL)]["state_left"] == 4
    assert rollup.monthly_flows(tree.grassroots, month)[(month, State.ACTIVE)]["entered"] == 3
    assert_exact(tree)
    rollup.compact()
    assert rollup.monthly_flows(tree.county, month) == pending
    folded_flows = snapshot()
    rollup.rebuild()
    assert snapshot() == folded_flows


def test_fund_sums_equal_the_ledger(tree, county_boss):
    fund(tree.county, 5000, county_boss, category="living")
    fund(tree.county, 800, county_boss, category="medical")
    give(tree.county, tree.grassroots, 1200, county_boss)

    def ledger(org):
        rows = (LedgerEntry.objects.filter(org__path__startswith=org.path, year=timezone.localdate().year)
                .values_list("source_id", "category", "bucket").annotate(n=Sum("amount_fen")))
        return {row[:3]: row[3] for row in rows if row[3]}

    year = timezone.localdate().year
    for org in (tree.county, tree.grassroots, tree.national):
        assert {k: v for k, v in rollup.fund_sums(org, year).items() if v} == ledger(org)
    rollup.compact()
    for org in (tree.county, tree.grassroots, tree.national):
        assert {k: v for k, v in rollup.fund_sums(org, year).items() if v} == ledger(org)
    assert ledger(tree.grassroots)  # money did reach it


def test_history_lists_the_tuple_as_of_a_past_moment(tree):
    from django.db.models import Q

    household = make_household(tree.grassroots, state=State.ACTIVE, category="A_marginal", main_cause="")
    HouseholdSpan.objects.filter(household_id=household.pk).update(
        valid_from=timezone.now() - dt.timedelta(days=3))  # as if archived three days ago
    Household.objects.filter(pk=household.pk).update(category="A_dibao")

    def as_of(moment):
        return list(HouseholdSpan.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=moment),
                                                 household_id=household.pk, valid_from__lte=moment)
                    .values_list("category", flat=True))

    assert as_of(timezone.now() - dt.timedelta(days=1)) == ["A_marginal"]
    assert as_of(timezone.now()) == ["A_dibao"]


def test_archives_older_than_the_statistics_get_a_history_from_their_own_dates(tree):
    """As at installation: the triggers first see archives that were activated and exited long ago."""
    from django.db import connection

    from bangfu.stats import sql
    from bangfu.stats.history import reconstruct_history

    old = make_household(tree.grassroots, main_cause="", activated_on=dt.date(2025, 3, 2))
    gone = make_household(tree.grassroots, state=State.EXITED, exit_reason="death", main_cause="",
                          activated_on=dt.date(2025, 1, 10), exited_on=dt.date(2026, 2, 20))
    changed = make_household(tree.sibling, state=State.APPLIED, main_cause="", applied_on=dt.date(2025, 6, 1))
    HouseholdSpan.objects.all().delete()  # as before the installation
    with connection.cursor() as cursor:
        for statement in sql.backfill(connection.vendor):
            cursor.execute(statement)
    Household.objects.filter(pk=changed.pk).update(state=State.FIRST_CHECK)  # changed since: left alone
    reconstruct_history()

    def spans(household):
        return [(s.state, timezone.localtime(s.valid_from).date(), s.valid_to and timezone.localtime(s.valid_to).date())
                for s in HouseholdSpan.objects.filter(household_id=household.pk).order_by("valid_from")]

    assert spans(old) == [(State.ACTIVE, dt.date(2025, 3, 2), None)]
    assert spans(gone) == [(State.ACTIVE, dt.date(2025, 1, 10), dt.date(2026, 2, 20)),
                           (State.EXITED, dt.date(2026, 2, 20), None)]
    assert [s[0] for s in spans(changed)] == [State.APPLIED, State.FIRST_CHECK]
    flows = rollup.monthly_flows(tree.county, dt.date(2024, 12, 1))
    assert flows[(dt.date(2025, 3, 1), State.ACTIVE)]["state_entered"] == 1
    assert flows[(dt.date(2025, 1, 1), State.ACTIVE)]["state_entered"] == 1
    assert flows[(dt.date(2026, 2, 1), State.EXITED)]["state_entered"] == 1
    assert flows[(dt.date(2026, 2, 1), State.ACTIVE)]["state_left"] == 1
    assert_exact(tree)


def test_moving_a_union_in_the_tree_recomputes_the_rollups(tree, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from bangfu.orgs.models import Org

    for _ in range(3):
        make_household(tree.grassroots)
    rollup.compact()
    other_county = tree.other_grassroots.get_parent()
    with django_capture_on_commit_callbacks(execute=True):
        Org.objects.get(pk=tree.grassroots.pk).move(other_county, "sorted-child")
    for org in (tree.county, other_county, tree.province, tree.other_province):
        org.refresh_from_db()
        counted = {(s, c, m, e, bool(h)): n for (s, c, m, e, h), n in rollup.household_counts(org).items()}
        assert counted == orm_counts(org), org.code
    assert sum(rollup.household_counts(other_county).values()) == 3  # the three that came with the union
