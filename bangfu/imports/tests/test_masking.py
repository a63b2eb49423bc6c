"""The dry-run preview (job page and API) and the problems it lists show no full name, identity number, phone or bank
account (DOMAIN.md §9): names as surname + * (compound surnames keep both characters), IDs 6 + 4."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangfu.core.masking import mask_id_number, mask_name
from bangfu.imports.models import ImportIssue, ImportJob
from bangfu.imports.pipeline import run_job
from bangfu.imports.services import import_job_create
from bangfu.imports.tests.helpers import csv_bytes, household_rows, upload

pytestmark = pytest.mark.django_db
LONG_NAME = "王" + "明" * 70  # too long for the name field: reported, with its value


def dry_run(tree, user) -> tuple[ImportJob, list[dict]]:
    rows = household_rows(1, tree.grassroots.code, size=3, name="欧阳娜娜", bank_account_holder="欧阳娜娜")
    rows[1]["name"] = LONG_NAME
    rows[2]["phone"] = "13712345678"
    with translation.override("en"):
        job = import_job_create(user, upload(csv_bytes(rows)), enqueue=False, dry_run=True,
                                mode=ImportJob.Mode.PARTIAL)
    return run_job(job.pk), rows


def secrets(rows: list[dict]) -> set[str]:
    values = {row[key] for row in rows for key in ("name", "identity_number", "phone", "bank_account",
                                                   "bank_account_holder") if row.get(key)}
    return values | {LONG_NAME[:20]}  # not even the start of the long name


def test_the_preview_and_its_problems_are_masked_on_the_page(tree, grassroots_cadre, signed_in):
    job, rows = dry_run(tree, grassroots_cadre)
    assert job.state == ImportJob.State.SUCCEEDED and len(job.preview) == 3
    page = signed_in(grassroots_cadre).get(f"/imports/jobs/{job.pk}/").content.decode()  # the Chinese page
    leaked = [value for value in secrets(rows) if value in page]
    assert not leaked
    assert "欧阳**" in page and mask_name(rows[2]["name"]) in page  # the names as every list shows them
    assert mask_id_number(rows[0]["identity_number"]) in page
    assert mask_name(LONG_NAME) in page  # the problem's value, masked
    assert ImportIssue.objects.filter(job=job, value=mask_name(LONG_NAME)).exists()


def test_the_preview_is_masked_in_the_api(tree, grassroots_cadre):
    job, rows = dry_run(tree, grassroots_cadre)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=grassroots_cadre)[0].key}")
    response = client.get(f"/api/v1/import-jobs/{job.pk}/")
    body = response.content.decode()
    assert not [value for value in secrets(rows) if value in body]
    preview = response.json()["preview"]
    assert [row["name"] for row in preview] == ["欧阳**", mask_name(LONG_NAME)[:64], mask_name(rows[2]["name"])]
    listing = client.get("/api/v1/import-jobs/").content.decode()
    assert not [value for value in secrets(rows) if value in listing]


def test_the_migration_masks_names_stored_by_earlier_jobs(tree, grassroots_cadre):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("bangfu.imports.migrations.0005_upload_digest_deletion_and_masked_names")
    job = ImportJob.objects.create(org=grassroots_cadre.org, created_by=grassroots_cadre, file="imports/x.upload",
                                   original_name="x.csv", kind="csv",
                                   preview=[{"row": 2, "name": "欧阳娜娜"}, {"row": 3, "name": "王小明"}])
    issue = ImportIssue.objects.create(job=job, row_no=2, column="姓名", value="王小明", message="…")
    other = ImportIssue.objects.create(job=job, row_no=2, column="工会代码", value="GH001", message="…")
    migration.mask_stored_names(apps, None)
    job.refresh_from_db()
    assert [row["name"] for row in job.preview] == ["欧阳**", "王**"]
    assert ImportIssue.objects.get(pk=issue.pk).value == "王**"
    assert ImportIssue.objects.get(pk=other.pk).value == "GH001"
