"""The standard statistical reports as Excel workbooks (openpyxl, write-only), in the conventions of the fund
reports (`bangfu.funds.excel`): a title row naming the report and the union, a line with the as-of date and when
the file was generated, a bold header row frozen with the rows above it, amounts as numbers in yuan with two
decimals (`#,##0.00`, from fen), counts as integers, a bold total row, and the notes below the table.

Count cells from 1 to the minimum − 1 are written as the text "<N", right-aligned (`reports.suppressed`).
Text that Excel would read as a formula is quoted.
"""

from __future__ import annotations

import re
import tempfile

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from bangfu.funds.excel import CONTENT_TYPE, YUAN_FORMAT, _text
from bangfu.funds.excel import Sheet as FundsSheet
from bangfu.funds.money import to_yuan
from bangfu.stats.reports import Column, Report, suppressed

COUNT_FORMAT = "#,##0"


class Sheet(FundsSheet):
    """The funds reports' sheet (title, subtitle, frozen bold header) with count cells that are suppressed
    when small, and a footnote block."""

    def __init__(self, workbook: Workbook, name: str, title: str, subtitle: str, columns: list[Column],
                 minimum: int):
        super().__init__(workbook, re.sub(r"[\\/*?:\[\]]", " ", name), title, subtitle, columns)
        self.minimum = minimum

    def _cell(self, value, column: Column, bold: bool) -> WriteOnlyCell:
        if column.kind == "count":
            value = suppressed(value, self.minimum)
        if value is None:
            cell = WriteOnlyCell(self.sheet, value=None)
        elif column.kind == "yuan":
            cell = WriteOnlyCell(self.sheet, value=to_yuan(int(value)))
            cell.number_format = YUAN_FORMAT
        elif column.kind in ("count", "int") and not isinstance(value, str):
            cell = WriteOnlyCell(self.sheet, value=int(value))
            cell.number_format = COUNT_FORMAT
        else:
            cell = WriteOnlyCell(self.sheet, value=_text(value))
            if column.kind != "text":  # a suppressed count: text, aligned like the numbers
                cell.alignment = Alignment(horizontal="right")
        if bold:
            cell.font = Font(bold=True)
        return cell

    def row(self, values, bold: bool = False) -> None:
        self.sheet.append([self._cell(value, column, bold) for value, column in
                           zip(values, self.columns, strict=True)])
        self.rows += 1

    def notes(self, lines: list[str]) -> None:
        self.sheet.append([])
        for line in lines:
            self.sheet.append([WriteOnlyCell(self.sheet, value=_text(line))])


def notes_of(report: Report, minimum: int) -> list[str]:
    lines = [_("Figures as at the end of %(date)s (24:00 Beijing time), read from the archives' history and the "
               "ledger: later changes do not alter them.") % {"date": report.as_of.isoformat()}]
    if report.has_counts:
        lines.append(_("Privacy: counts from 1 to %(below)s are shown as \"<%(minimum)s\". Totals are computed from "
                       "the exact figures and are shown the same way when they are that small.")
                     % {"below": minimum - 1, "minimum": minimum} if minimum > 1 else
                     _("Privacy: no count is suppressed (minimum cell size 1)."))
    else:
        lines.append(_("This report lists amounts, not counts of households: nothing is suppressed."))
    lines.append(_("Rows of lower unions include their whole subtree; the total is the whole subtree of %(union)s.")
                 % {"union": report.org.name} if report.kind != "help" else "")
    return [line for line in [*lines, *report.notes] if line]


def workbook(report: Report, minimum: int) -> FileResponse:
    """The report as an .xlsx download, one sheet per table."""
    title = _("%(report)s — %(union)s") % {"report": report.title, "union": report.org.name}
    generated = _("Generated at %(time)s") % {"time": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    subtitle = " · ".join(filter(None, [
        _("As of %(date)s") % {"date": report.as_of.isoformat()},
        _("Amounts in yuan") if report.has_amounts else "", generated]))
    book = Workbook(write_only=True)
    lines = notes_of(report, minimum)
    for table in report.tables:
        sheet = Sheet(book, table.name, title, subtitle, table.columns, minimum)
        for values in table.rows:
            sheet.row(values)
        if table.total is not None:
            sheet.row(table.total, bold=True)
        sheet.notes(lines)
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    book.save(handle)
    handle.seek(0)
    code = re.sub(r"[^A-Za-z0-9_-]", "_", report.org.code)
    response = FileResponse(handle, as_attachment=True, content_type=CONTENT_TYPE,
                            filename=f"stats-{report.kind}-{code}-{report.as_of:%Y%m%d}.xlsx")
    response["Cache-Control"] = "no-store"
    return response
