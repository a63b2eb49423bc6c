"""The import pipeline through the service and the job runner: modes, upsert, idempotence, counts."""

from __future__ import annotations

import pytest
from django.utils import translation

from bangfu.audit.models import Job
from bangfu.imports.models import ImportedHousehold, ImportIssue, ImportJob
from bangfu.imports.pipeline import run_job
from bangfu.imports.services import import_job_create
from bangfu.imports.tests.helpers import csv_bytes, household_rows, upload
from bangfu.registry.models import Household, HouseholdCause, Member, State, TimelineEvent

pytestmark = pytest.mark.django_db


def run(user, data: bytes, name="a.csv", **kwargs) -> ImportJob:
    job = import_job_create(user, upload(data, name), enqueue=False, **kwargs)
    return run_job(job.pk)


def test_import_creates_draft_households_with_members_causes_and_stamps(tree, grassroots_cadre):
    rows = household_rows(1, tree.grassroots.code) + household_rows(2, tree.grassroots.code, size=2)
    job = run(grassroots_cadre, csv_bytes(rows))
    assert job.state == ImportJob.State.SUCCEEDED, job.error
    assert (job.households_created, job.households_changed, job.rows_rejected) == (2, 0, 0)
    households = Household.objects.filter(org=tree.grassroots).order_by("archive_number")
    assert households.count() == 2
    first = households[0]
    assert first.state == State.DRAFT
    assert first.archive_number == f"{tree.grassroots.code}-{first.created_at.year}-00001"
    assert first.household_size == 3
    assert first.head_name_masked == "王**"
    assert first.bank_account == "6222020200001234567"
    head = first.members.get(is_head=True)
    assert head.relation == "self" and head.sex in ("M", "F") and head.birth_date is not None
    assert head.open_identity_hash == head.identity_hash
    assert head.identity_masked.startswith("440106") and "*" in head.identity_masked
    assert str(head.monthly_income_declared) == "1200.00"
    assert head.phone == "13800138000"
    assert set(HouseholdCause.objects.filter(household=first).values_list("code", "is_main")) == {("3", True),
                                                                                               ("6", False)}
    assert first.members.filter(relation="child", is_student=True, school_stage="junior").count() == 2
    assert ImportedHousehold.objects.filter(job=job, action="created").count() == 2
    assert TimelineEvent.objects.filter(household=first, kind="imported").count() == 1
    from bangfu.registry.models import AssetDeclaration
    assert AssetDeclaration.objects.filter(household=first).count() == 1
    audit = Job.objects.get(pk=job.audit_job_id)
    assert (audit.kind, audit.rows_created) == ("archive_import", 2)


def test_reimport_of_the_same_file_changes_nothing(tree, grassroots_cadre):
    data = csv_bytes(household_rows(1, tree.grassroots.code) + household_rows(2, tree.grassroots.code))
    run(grassroots_cadre, data)
    before = list(Household.objects.values_list("pk", "updated_at").order_by("pk"))
    members_before = list(Member.objects.values_list("pk", "updated_at").order_by("pk"))
    job = run(grassroots_cadre, data)
    assert job.state == ImportJob.State.SUCCEEDED
    assert (job.households_created, job.households_changed, job.households_unchanged) == (0, 0, 2)
    assert list(Household.objects.values_list("pk", "updated_at").order_by("pk")) == before
    assert list(Member.objects.values_list("pk", "updated_at").order_by("pk")) == members_before
    assert TimelineEvent.objects.filter(kind="imported").count() == 2


def test_changed_row_updates_the_household_and_adds_members(tree, grassroots_cadre):
    run(grassroots_cadre, csv_bytes(household_rows(1, tree.grassroots.code, size=2)))
    rows = household_rows(1, tree.grassroots.code, size=3, phone="13900139000")
    job = run(grassroots_cadre, csv_bytes(rows))
    assert (job.households_created, job.households_changed, job.households_unchanged) == (0, 1, 0), job.error
    household = Household.objects.get()
    assert household.household_size == 3
    assert household.members.get(is_head=True).phone == "13900139000"
    again = run(grassroots_cadre, csv_bytes(rows))
    assert (again.households_changed, again.households_unchanged) == (0, 1)


def test_all_or_nothing_refuses_the_whole_file(tree, grassroots_cadre):
    bad = household_rows(2, tree.grassroots.code)
    bad[1]["identity_number"] = bad[1]["identity_number"][:17]  # lost its last character
    job = run(grassroots_cadre, csv_bytes(household_rows(1, tree.grassroots.code) + bad))
    assert job.state == ImportJob.State.FAILED
    assert Household.objects.count() == 0
    issue = ImportIssue.objects.get(job=job)
    assert issue.row_no == 6 and issue.column == "证件号码"
    assert "17" in issue.message and "*" in issue.value


def test_partial_mode_loads_valid_households_and_rejects_the_bad_one_whole(tree, grassroots_cadre):
    bad = household_rows(2, tree.grassroots.code)
    bad[2]["birth_date"] = "2099-01-01"
    job = run(grassroots_cadre, csv_bytes(household_rows(1, tree.grassroots.code) + bad),
              mode=ImportJob.Mode.PARTIAL)
    assert job.state == ImportJob.State.SUCCEEDED
    assert (job.households_created, job.households_rejected, job.rows_rejected) == (1, 1, 1)
    assert Household.objects.count() == 1
    assert Member.objects.count() == 3


def test_dry_run_imports_nothing_and_previews_rows(tree, grassroots_cadre):
    job = run(grassroots_cadre, csv_bytes(household_rows(1, tree.grassroots.code)), dry_run=True)
    assert job.state == ImportJob.State.SUCCEEDED
    assert Household.objects.count() == 0
    assert len(job.preview) == 3
    assert job.preview[0]["identity"].startswith("440106") and "*" in job.preview[0]["identity"]


def test_person_open_in_another_unions_archive_is_refused_without_naming_it(tree, grassroots_cadre):
    from bangfu.registry.tests.factories import make_household

    other = make_household(tree.sibling, state=State.ACTIVE)
    other_head = other.members.get(is_head=True)
    rows = household_rows(1, tree.grassroots.code)
    rows[1]["identity_number"] = other_head.identity_number
    job = run(grassroots_cadre, csv_bytes(rows))
    assert job.state == ImportJob.State.FAILED
    message = ImportIssue.objects.get(job=job).message
    assert other.archive_number not in message and tree.sibling.name not in message


def test_union_outside_the_users_subtree_is_refused(tree, grassroots_cadre):
    job = run(grassroots_cadre, csv_bytes(household_rows(1, tree.sibling.code)))
    assert job.state == ImportJob.State.FAILED
    issue = ImportIssue.objects.get(job=job)
    assert issue.column == "工会代码" and tree.sibling.code in issue.message


def test_duplicate_person_and_missing_head_row(tree, grassroots_cadre):
    rows = household_rows(1, tree.grassroots.code)
    rows.append(dict(rows[1]))
    orphan = household_rows(2, tree.grassroots.code)[1:]
    with translation.override("en"):  # uploaded by a user of the English UI: the report is in English
        job = import_job_create(grassroots_cadre, upload(csv_bytes(rows + orphan)), enqueue=False,
                                mode=ImportJob.Mode.PARTIAL)
    assert job.language == "en"
    job = run_job(job.pk)  # the worker runs in the default language; the job's own is used
    messages = list(ImportIssue.objects.filter(job=job).values_list("row_no", "message"))
    assert {r for r, _m in messages if "more than once" in _m} == {3, 5}
    assert {r for r, _m in messages if "head's own row" in _m} == {6, 7}
    assert Household.objects.count() == 0
