"""Excel exports of the fund reports: real numbers with the yuan format, masked names, audited, permission."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from bangfu.audit.models import AccessLogEntry
from bangfu.funds.excel import USAGE_COLUMNS, YUAN_FORMAT
from bangfu.funds.tests.factories import YEAR
from bangfu.funds.tests.test_reports import scenario  # noqa: F401 - the fixture

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def row_of(sheet, first_cell: str) -> list:
    for row in sheet.iter_rows(min_row=4):
        if row[0].value == first_cell:
            return row
    raise AssertionError(f"no row {first_cell!r} in {sheet.title}")


def test_usage_export(scenario, signed_in, city_fund_manager):  # noqa: F811
    client = signed_in(city_fund_manager)
    before = AccessLogEntry.objects.filter(action="export", object_type="funds.report_usage").count()
    book = workbook(client.get("/funds/reports/", {"year": YEAR, "format": "xlsx"}))
    assert AccessLogEntry.objects.filter(action="export", object_type="funds.report_usage").count() == before + 1
    assert len(book.sheetnames) == 3
    sheet = book.worksheets[0]
    assert "广州市总工会" in sheet["A1"].value and str(YEAR) in sheet["A2"].value
    assert sheet.freeze_panes == "A4"
    header = [c.value for c in sheet[3]]
    assert all(c.font.bold for c in sheet[3]) and len(header) == 10
    county = row_of(sheet, "天河区总工会")
    paid = county[1 + [key for key, _label in USAGE_COLUMNS].index("paid")]
    assert paid.data_type == "n" and paid.number_format == YUAN_FORMAT
    assert paid.value == Decimal("4300.00")
    for cell in county[1:]:
        if cell.value is not None:
            assert cell.data_type == "n" and cell.number_format == YUAN_FORMAT
    total = sheet.cell(row=sheet.max_row - 2, column=1)
    assert total.font.bold
    assert sheet.column_dimensions["A"].width == 30


def test_households_export_is_masked(scenario, signed_in, city_fund_manager):  # noqa: F811
    client = signed_in(city_fund_manager)
    book = workbook(client.get("/funds/reports/households/", {"year": YEAR, "org": scenario.county.pk,
                                                              "format": "xlsx"}))
    sheet = book.active
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "张*" in values and not any(isinstance(v, str) and "张一" in v for v in values)
    first = list(sheet.iter_rows(min_row=4, max_row=4))[0]
    assert first[1].value == "张*"
    total, payments = first[-2], first[-1]
    assert total.value == Decimal("3300.00") and total.number_format == YUAN_FORMAT and total.data_type == "n"
    assert payments.value == 2 and payments.data_type == "n"
    last = list(sheet.iter_rows(min_row=sheet.max_row, max_row=sheet.max_row))[0]
    assert last[-2].value == Decimal("4300.00") and last[-2].font.bold


def test_account_export_has_summary_and_every_transaction(scenario, signed_in, city_fund_manager):  # noqa: F811
    client = signed_in(city_fund_manager)
    book = workbook(client.get("/funds/reports/account/", {"year": YEAR, "org": scenario.county.pk,
                                                           "format": "xlsx"}))
    summary, transactions = book.worksheets
    totals = list(summary.iter_rows(min_row=summary.max_row - 2, max_row=summary.max_row - 2))[0]
    assert totals[-2].value == Decimal("13900.00") and totals[-2].number_format == YUAN_FORMAT
    assert summary.cell(row=summary.max_row, column=1).value  # the reconciliation line
    rows = list(transactions.iter_rows(min_row=4, values_only=True))
    assert len(rows) > 10
    assert rows[-1][10] == Decimal("13900.00") and rows[-1][11] == Decimal("1200.00")  # running balances
    assert transactions.cell(row=4, column=1).is_date


def test_export_needs_the_export_permission(scenario, signed_in, county_reviewer):  # noqa: F811
    client = signed_in(county_reviewer)
    before = AccessLogEntry.objects.filter(action="export").count()
    for url in ("/funds/reports/", "/funds/reports/households/", "/funds/reports/account/"):
        response = client.get(url, {"format": "xlsx"})
        assert response.status_code == 403
        assert client.get(url).status_code == 200
    assert AccessLogEntry.objects.filter(action="export").count() == before
