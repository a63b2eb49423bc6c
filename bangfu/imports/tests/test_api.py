"""The import-jobs API: upload (201, queued as a background task), list/detail scoped to the subtree, the report,
cancel and "run again"; refusals are 400 with field errors and nothing written; another union's job is a 404."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bangfu.accounts.roles import Role
from bangfu.imports.models import ImportJob
from bangfu.imports.pipeline import run_job
from bangfu.imports.tests.helpers import csv_bytes, household_rows, upload
from bangfu.registry.models import Household

pytestmark = pytest.mark.django_db
URL = "/api/v1/import-jobs/"


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}",
                       HTTP_ACCEPT_LANGUAGE="en")
    return client


def stored_uploads() -> set:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    return {p.name for p in folder.glob("*.upload")} if folder.exists() else set()


def post_file(client, data: bytes, name="archives.csv", **fields):
    return client.post(URL, {"file": upload(data, name), **fields}, format="multipart")


def test_upload_queues_a_background_job_and_detail_shows_its_progress(tree, grassroots_cadre,
                                                                      django_capture_on_commit_callbacks):
    data = csv_bytes(household_rows(1, tree.grassroots.code) + household_rows(2, tree.grassroots.code, size=2))
    client = api(grassroots_cadre)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, data, mode="partial", dry_run="false")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["mode"], body["dry_run"], body["percent"]) == ("queued", "partial", False, 0)
    assert body["rows_total"] == 5 and body["kind"] == "csv"
    # queued on the task backend, as the page does
    task = DBTaskResult.objects.get(task_path="bangfu.imports.tasks.run_import")
    assert task.args_kwargs["args"] == [body["id"]]
    assert Household.objects.count() == 0
    run_job(body["id"])  # what the worker does
    detail = client.get(f"{URL}{body['id']}/").json()
    assert (detail["state"], detail["percent"], detail["households_created"], detail["members_created"]) == (
        "succeeded", 100, 2, 5)
    assert detail["report_available"] is True and detail["stale"] is False
    assert Household.objects.count() == 2


def test_dry_run_detail_has_a_masked_preview(tree, grassroots_cadre):
    rows = household_rows(1, tree.grassroots.code)
    rows[2]["birth_date"] = "2099-01-01"
    client = api(grassroots_cadre)
    response = post_file(client, csv_bytes(rows), dry_run="true")
    assert response.status_code == 201, response.content
    run_job(response.json()["id"])
    detail = client.get(f"{URL}{response.json()['id']}/").json()
    assert detail["dry_run"] is True and len(detail["preview"]) == 3
    head_id = rows[0]["identity_number"]
    assert head_id not in response.content.decode() and head_id not in str(detail)
    first = detail["preview"][0]
    assert first["identity"] == head_id[:6] + "********" + head_id[-4:] and first["head"] is True
    assert detail["preview"][2]["problems"] and "future" in detail["preview"][2]["problems"][0]
    assert Household.objects.count() == 0


@pytest.mark.parametrize(("fields", "name", "data", "field", "words"), [
    ({}, None, None, "file", "No file"),
    ({"mode": "sometimes"}, "a.csv", "ok", "mode", "not a valid choice"),
    ({}, "wrong.csv", "名字,电话\n张三,1\n".encode(), "file", "证件号码"),
    ({}, "empty.csv", b"", "file", "empty"),
    ({}, "picture.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "file", "not an Excel workbook"),
])
def test_refusals_are_400_with_field_errors_and_write_nothing(tree, grassroots_cadre, fields, name, data, field,
                                                              words):
    client = api(grassroots_cadre)
    if data == "ok":
        data = csv_bytes(household_rows(1, tree.grassroots.code))
    payload = dict(fields)
    if name is not None:
        payload["file"] = upload(data, name)
    before = stored_uploads()
    response = client.post(URL, payload, format="multipart")
    assert response.status_code == 400, response.content
    assert words in " ".join(response.json()["fields"].get(field, [])), response.json()
    assert ImportJob.objects.count() == 0
    assert stored_uploads() == before  # the refused upload was not kept
    assert not DBTaskResult.objects.exists()


def test_too_big_a_file_is_refused(tree, grassroots_cadre, settings):
    settings.BANGFU_IMPORT_MAX_MB = 0
    response = post_file(api(grassroots_cadre), csv_bytes(household_rows(1, tree.grassroots.code)))
    assert response.status_code == 400 and "larger than" in response.json()["fields"]["file"][0]
    assert ImportJob.objects.count() == 0


def _job(tree, user, **fields):
    defaults = {"org": user.org, "created_by": user, "file": "imports/x.upload", "original_name": "x.csv",
                "kind": "csv"}
    return ImportJob.objects.create(**{**defaults, **fields})


def test_list_is_the_users_subtree_and_another_unions_job_is_404(tree, grassroots_cadre, county_reviewer, outsider):
    mine = _job(tree, grassroots_cadre, original_name="甲.csv")
    theirs = _job(tree, outsider, original_name="乙.csv")
    names = [j["original_name"] for j in api(grassroots_cadre).get(URL).json()["results"]]
    assert names == ["甲.csv"]
    county = [j["original_name"] for j in api(county_reviewer).get(URL).json()["results"]]
    assert set(county) == {"甲.csv", "乙.csv"}  # the county sees both unions below it
    client = api(outsider)
    for method, path in (("get", ""), ("get", "report/"), ("post", "cancel/"), ("post", "rerun/")):
        response = getattr(client, method)(f"{URL}{mine.pk}/{path}")
        assert response.status_code == 404, (path, response.status_code)
    mine.refresh_from_db()
    assert not mine.cancel_requested
    assert api(grassroots_cadre).get(f"{URL}{theirs.pk}/").status_code == 404


def test_a_user_without_the_import_role_cannot_upload(tree, grassroots_cadre):
    helper = tree.user("helper1", tree.grassroots, Role.HELPER)
    response = post_file(api(helper), csv_bytes(household_rows(1, tree.grassroots.code)))
    assert response.status_code == 404
    assert ImportJob.objects.count() == 0


def test_report_is_the_excel_file_with_masked_ids(tree, grassroots_cadre):
    rows = household_rows(1, tree.grassroots.code)
    rows[1]["identity_number"] = rows[1]["identity_number"][:17]  # lost its X / last digit
    client = api(grassroots_cadre)
    job_id = post_file(client, csv_bytes(rows)).json()["id"]
    run_job(job_id)
    response = client.get(f"{URL}{job_id}/report/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0] == ("Row", "Column", "Value", "What is wrong")
    row_no, column, value, message = lines[1]
    assert (row_no, column) == (3, "证件号码") and "17" in message
    assert value != rows[1]["identity_number"] and "*" in value
    assert Household.objects.count() == 0


def test_report_of_a_job_without_one_is_404(tree, grassroots_cadre):
    job = _job(tree, grassroots_cadre)
    assert api(grassroots_cadre).get(f"{URL}{job.pk}/report/").status_code == 404


def test_cancel_a_queued_job_and_not_a_finished_one(tree, grassroots_cadre):
    client = api(grassroots_cadre)
    job_id = post_file(client, csv_bytes(household_rows(1, tree.grassroots.code))).json()["id"]
    response = client.post(f"{URL}{job_id}/cancel/")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert run_job(job_id).state == ImportJob.State.CANCELLED  # the worker finds it cancelled: nothing runs
    assert Household.objects.count() == 0
    again = client.post(f"{URL}{job_id}/cancel/")
    assert again.status_code == 400 and "already finished" in again.json()["fields"]["state"][0]


def test_a_stale_job_is_shown_and_can_be_run_again_once(tree, grassroots_cadre, signed_in_en,
                                                        django_capture_on_commit_callbacks):
    client = api(grassroots_cadre)
    job_id = post_file(client, csv_bytes(household_rows(1, tree.grassroots.code))).json()["id"]
    # Not stale while its worker beats.
    ImportJob.objects.filter(pk=job_id).update(state="running", started_at=timezone.now(),
                                               heartbeat_at=timezone.now(), rows_read=3)
    assert client.get(f"{URL}{job_id}/").json()["stale"] is False
    assert client.post(f"{URL}{job_id}/rerun/").status_code == 400
    # The worker died an hour ago.
    ImportJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    detail = client.get(f"{URL}{job_id}/").json()
    assert (detail["stale"], detail["can_rerun"]) == (True, True)
    page = signed_in_en(grassroots_cadre).get(f"/imports/jobs/{job_id}/").content.decode()
    assert "stopped: its worker has shown no sign of life" in page and "Run again" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}{job_id}/rerun/")
    assert response.status_code == 200 and response.json()["state"] == "queued"
    assert DBTaskResult.objects.filter(task_path="bangfu.imports.tasks.run_import").count() == 1
    second = client.post(f"{URL}{job_id}/rerun/")  # already queued: nothing twice
    assert second.status_code == 400 and "state" in second.json()["fields"]
    job = run_job(job_id)
    assert job.state == ImportJob.State.SUCCEEDED and job.attempts == 1
    assert Household.objects.count() == 1


def test_the_page_run_again_button(tree, grassroots_cadre, signed_in_en):
    job = _job(tree, grassroots_cadre, state="running", started_at=timezone.now() - dt.timedelta(hours=2),
               heartbeat_at=timezone.now() - dt.timedelta(hours=2))
    response = signed_in_en(grassroots_cadre).post(f"/imports/jobs/{job.pk}/rerun/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "queued"


def test_scheduler_requeues_stale_running_jobs_hourly_and_idempotently(tree, grassroots_cadre,
                                                                       django_capture_on_commit_callbacks):
    from bangfu.core.scheduler import SCHEDULE, validate_schedule
    from bangfu.imports.services import requeue_stale_jobs

    assert any(path == "bangfu.imports.tasks.requeue_stale_imports" and cron.split()[1] == "*"
               for cron, path in SCHEDULE)
    validate_schedule()
    old = timezone.now() - dt.timedelta(hours=1)
    dead = _job(tree, grassroots_cadre, state="running", started_at=old, heartbeat_at=old, attempts=1)
    alive = _job(tree, grassroots_cadre, state="running", started_at=old, heartbeat_at=timezone.now(), attempts=1)
    hopeless = _job(tree, grassroots_cadre, state="running", started_at=old, heartbeat_at=old, attempts=3)
    with django_capture_on_commit_callbacks(execute=True):
        first = requeue_stale_jobs()
        second = requeue_stale_jobs()
    assert first == {"requeued": [dead.pk], "failed": [hopeless.pk]}
    assert second == {"requeued": [], "failed": []}
    queued = DBTaskResult.objects.filter(task_path="bangfu.imports.tasks.run_import")
    assert [t.args_kwargs["args"] for t in queued] == [[dead.pk]]
    states = dict(ImportJob.objects.values_list("pk", "state"))
    assert (states[dead.pk], states[alive.pk], states[hopeless.pk]) == ("queued", "running", "failed")
