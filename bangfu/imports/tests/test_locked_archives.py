"""An import changes only draft archives: a household whose archive is past draft (applied, checked, active…) is not
modified — each of its rows is reported ("archive X is already in state Y; change it on the archive page") and it
counts as rejected (partial) or refuses the file (all or nothing). A union change of a draft stays in the subtree."""

from __future__ import annotations

import pytest
from django.utils import translation

from bangfu.imports.models import ImportedHousehold, ImportIssue, ImportJob
from bangfu.imports.pipeline import run_job
from bangfu.imports.services import import_job_create
from bangfu.imports.tests.helpers import csv_bytes, household_rows, upload
from bangfu.registry.models import Household, Member, State, TimelineEvent

pytestmark = pytest.mark.django_db


def run(user, rows, **kwargs) -> ImportJob:
    with translation.override("en"):
        job = import_job_create(user, upload(csv_bytes(rows)), enqueue=False, **kwargs)
    return run_job(job.pk)


def snapshot(household: Household) -> tuple:
    household.refresh_from_db()
    members = tuple(Member.objects.filter(household=household).order_by("pk").values_list(
        "pk", "phone", "updated_at"))
    return (household.org_id, household.bank_account, household.updated_at, household.household_size,
            household.state, members)


@pytest.fixture
def active_household(tree, grassroots_cadre):
    """A household imported as a draft, since taken through its lifecycle to an active archive."""
    job = run(grassroots_cadre, household_rows(1, tree.grassroots.code, size=2))
    assert job.households_created == 1, job.error
    household = Household.objects.get()
    Household.objects.filter(pk=household.pk).update(state=State.ACTIVE)
    return household


def changed_rows(tree, org_code=None):
    """The same household with a new bank account, a new phone, another union and one more member."""
    return household_rows(1, org_code or tree.grassroots.code, size=3, bank_account="6222020200009999999",
                          phone="13900139000")


@pytest.mark.parametrize("mode", [ImportJob.Mode.PARTIAL, ImportJob.Mode.ALL_OR_NOTHING])
def test_an_archive_past_draft_is_not_changed_by_an_import(tree, grassroots_cadre, active_household, mode):
    before = snapshot(active_household)
    rows = changed_rows(tree) + household_rows(2, tree.grassroots.code, size=2)  # and a new household
    job = run(grassroots_cadre, rows, mode=mode)
    assert snapshot(active_household) == before  # union, bank account, members: untouched
    messages = dict(ImportIssue.objects.filter(job=job).values_list("row_no", "message"))
    assert sorted(messages) == [2, 3, 4]  # each row of that household, none of the new one
    assert all(f"Archive {active_household.archive_number} is already in state “Active archive”" in message
               and "change it on the archive page" in message for message in messages.values())
    assert job.rows_rejected == 3 and job.households_rejected == 1
    assert not ImportedHousehold.objects.filter(job=job, household=active_household).exists()
    assert not TimelineEvent.objects.filter(household=active_household, kind="imported",
                                            detail__job=job.pk).exists()
    if mode == ImportJob.Mode.PARTIAL:
        assert (job.state, job.households_created, job.households_changed) == (ImportJob.State.SUCCEEDED, 1, 0)
        assert Household.objects.count() == 2
    else:
        assert (job.state, job.error) == (ImportJob.State.FAILED, "refused")
        assert Household.objects.count() == 1  # nothing of the file: the new household neither


def test_a_dry_run_reports_the_archive_past_draft_too(tree, grassroots_cadre, active_household):
    job = run(grassroots_cadre, changed_rows(tree), dry_run=True, mode=ImportJob.Mode.PARTIAL)
    assert job.state == ImportJob.State.SUCCEEDED and job.households_rejected == 1
    assert ImportIssue.objects.filter(job=job, message__contains="already in state").count() == 3


def test_an_unchanged_archive_past_draft_is_no_problem(tree, grassroots_cadre, active_household):
    # The file as first imported: nothing would be written, so nothing is refused.
    job = run(grassroots_cadre, household_rows(1, tree.grassroots.code, size=2))
    assert (job.state, job.households_unchanged, job.rows_rejected) == (ImportJob.State.SUCCEEDED, 1, 0), job.error


def test_a_draft_is_still_changed_and_its_union_moved_only_within_the_subtree(tree, grassroots_cadre,
                                                                              county_reviewer):
    run(grassroots_cadre, household_rows(1, tree.grassroots.code, size=2))
    draft = Household.objects.get()
    # The case worker's subtree is their own union: moving the draft to the sibling union is refused.
    job = run(grassroots_cadre, changed_rows(tree, tree.sibling.code))
    assert (job.state, job.error) == (ImportJob.State.FAILED, "refused")
    assert ImportIssue.objects.filter(job=job, column="工会代码").exists()
    draft.refresh_from_db()
    assert draft.org_id == tree.grassroots.pk and draft.bank_account != "6222020200009999999"
    # The county's reviewer sees both unions: the draft moves, and its other changes are written.
    job = run(county_reviewer, changed_rows(tree, tree.sibling.code))
    assert (job.state, job.households_changed) == (ImportJob.State.SUCCEEDED, 1), job.error
    draft.refresh_from_db()
    assert (draft.state, draft.org_id, draft.bank_account, draft.household_size) == (
        State.DRAFT, tree.sibling.pk, "6222020200009999999", 3)
