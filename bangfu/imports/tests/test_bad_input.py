"""Bad files: a clear message on the upload page, nothing queued or imported, no 500."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from bangfu.imports.models import ImportIssue, ImportJob
from bangfu.imports.pipeline import run_job
from bangfu.imports.services import import_job_create
from bangfu.imports.tests.helpers import csv_bytes, household_rows, upload
from bangfu.registry.models import Household

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("empty.csv", b"", "invalid-feedback"),
    ("picture.xlsx", PNG, "不是 Excel 工作簿"),
    ("really-csv.xlsx", "户主身份证号,姓名\n1,2\n".encode(), "不是 Excel 工作簿"),
    ("wrong.csv", "名字,电话\n张三,1\n".encode(), "证件号码"),
])
def test_bad_files_are_refused_on_the_page_with_a_clear_message(signed_in, grassroots_cadre, name, data, expected):
    client = signed_in(grassroots_cadre)
    response = client.post(reverse("imports:upload"), {"file": upload(data, name), "mode": "all_or_nothing"})
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_formula_in_the_id_column_and_a_huge_cell_are_reported_not_imported(tree, grassroots_cadre):
    rows = household_rows(1, tree.grassroots.code)
    rows[1]["identity_number"] = '=A1&"x"'
    rows[2]["name"] = "张" * 2_000_000
    with translation.override("zh-hans"):  # uploaded from the Chinese UI (another test may leave English active)
        job = import_job_create(grassroots_cadre, upload(csv_bytes(rows)), enqueue=False)
    job = run_job(job.pk)
    assert job.state == ImportJob.State.FAILED
    messages: dict = {}
    for row_no, message in ImportIssue.objects.filter(job=job).values_list("row_no", "message"):
        messages.setdefault(row_no, []).append(message)
    # The uploader's language (Chinese by default) is the report's.
    assert any("公式" in m for m in messages[3]) and any("2000000 个字符" in m for m in messages[4])
    assert Household.objects.count() == 0


def test_excel_float_and_lost_x_are_reported_never_repaired(tree, grassroots_cadre):
    rows = household_rows(1, tree.grassroots.code)
    rows[1]["identity_number"] = "4.40106E+17"
    rows[2]["identity_number"] = rows[2]["identity_number"][:17]
    job = run_job(import_job_create(grassroots_cadre, upload(csv_bytes(rows)), enqueue=False).pk)
    issues = list(ImportIssue.objects.filter(job=job).order_by("row_no").values_list("row_no", "message"))
    assert [r for r, _m in issues] == [3, 4]
    assert "1.1E+17" in issues[0][1] and "17" in issues[1][1]
    assert Household.objects.count() == 0


def test_gbk_csv_with_full_width_digits_and_chinese_dates_is_read(tree, grassroots_cadre):
    rows = household_rows(1, tree.grassroots.code)
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    rows[1]["identity_number"] = rows[1]["identity_number"].translate(full)
    rows[1]["birth_date"] = "2010年4月"
    job = run_job(import_job_create(grassroots_cadre, upload(csv_bytes(rows, encoding="gbk")), enqueue=False).pk)
    assert job.state == ImportJob.State.SUCCEEDED, list(ImportIssue.objects.values_list("message", flat=True))
    assert job.encoding == "gb18030"
    assert Household.objects.get().members.filter(birth_date="2010-04-01").count() == 1


def test_a_formula_or_an_overlong_cell_never_echoes_a_full_number_into_the_report(tree, grassroots_cadre):
    """Excel users keep leading digits with ="…": the refused cell's number must be masked in the report."""
    rows = household_rows(1, tree.grassroots.code)
    number = rows[1]["identity_number"]
    rows[1]["identity_number"] = f'="{number}"'
    rows[2]["phone"] = "1" * 600  # an overlong phone cell: no start of it in the report either
    job = run_job(import_job_create(grassroots_cadre, upload(csv_bytes(rows)), enqueue=False).pk)
    assert job.state == ImportJob.State.FAILED
    values = list(ImportIssue.objects.filter(job=job).values_list("row_no", "value"))
    assert values, "the two cells must be reported"
    assert all(number not in value and "1" * 11 not in value for _row, value in values)
    assert any(row == 3 and value.startswith("=") and value.endswith(number[-4:]) for row, value in values)
