"""Excel workbooks of the fund reports (openpyxl, write-only so that long lists keep memory flat).

Every sheet: a title row, a line naming the union, year, period, filters and when it was generated, then a
bold header row, frozen with the rows above it. Amounts are numbers in yuan (Decimal, two places) with the
format `#,##0.00` — never text — so that they add up in Excel; counts are integers. Households appear only
with their archive number and the stored masked name. Text that Excel would read as a formula is quoted.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from bangfu.funds.models import AidCategory
from bangfu.funds.money import to_yuan

YUAN_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
HEADER_ROW = 3
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Col:
    label: str
    kind: str = "yuan"  # yuan (fen in, yuan out) | int | text | date
    width: float = 15


# The usage report's figures, in the order of the page (labels shared with the template's msgids).
USAGE_COLUMNS = (
    ("opening", gettext_lazy("Opening balance")),
    ("budget", gettext_lazy("Budgets received")),
    ("alloc_in", gettext_lazy("Allocations received")),
    ("alloc_out", gettext_lazy("Allocations passed down")),
    ("approved", gettext_lazy("Approved (reserved)")),
    ("paid", gettext_lazy("Paid")),
    ("returned", gettext_lazy("Failed / returned")),
    ("reserved_end", gettext_lazy("Reserved at end")),
    ("available_end", gettext_lazy("Available at end")),
)

ACCOUNT_COLUMNS = (
    ("budget", gettext_lazy("Budgets received")),
    ("alloc_in", gettext_lazy("Allocations in")),
    ("alloc_out", gettext_lazy("Allocations out")),
    ("reserved", gettext_lazy("Reserved (approved)")),
    ("released", gettext_lazy("Released (cancelled)")),
    ("paid", gettext_lazy("Paid")),
    ("failed", gettext_lazy("Failed, returned")),
    ("corrections", gettext_lazy("Corrections")),
    ("closing_available", gettext_lazy("Closing available")),
    ("closing_reserved", gettext_lazy("Closing reserved")),
)


def _text(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _cell(sheet, value, kind: str, bold: bool = False) -> WriteOnlyCell:
    if value is None:
        cell = WriteOnlyCell(sheet, value=None)
    elif kind == "yuan":
        cell = WriteOnlyCell(sheet, value=to_yuan(int(value)))
        cell.number_format = YUAN_FORMAT
    elif kind == "int":
        cell = WriteOnlyCell(sheet, value=int(value))
        cell.number_format = "0"
    elif kind == "date":
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
    else:
        cell = WriteOnlyCell(sheet, value=_text(value))
    if bold:
        cell.font = Font(bold=True)
    return cell


class Sheet:
    """A write-only sheet with the report's title rows and frozen header."""

    def __init__(self, workbook: Workbook, name: str, title: str, subtitle: str, columns: list[Col]):
        self.sheet = workbook.create_sheet(name[:31])
        self.columns = columns
        for index, column in enumerate(columns, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        self.sheet.freeze_panes = f"A{HEADER_ROW + 1}"
        heading = WriteOnlyCell(self.sheet, value=_text(title))
        heading.font = Font(bold=True, size=14)
        self.sheet.append([heading])
        self.sheet.append([WriteOnlyCell(self.sheet, value=_text(subtitle))])
        header = []
        for column in columns:
            cell = WriteOnlyCell(self.sheet, value=str(column.label))
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            header.append(cell)
        self.sheet.append(header)
        self.rows = 0

    def row(self, values: Iterable, bold: bool = False) -> None:
        self.sheet.append([_cell(self.sheet, value, column.kind, bold) for value, column in
                           zip(values, self.columns, strict=True)])
        self.rows += 1

    def note(self, text: str) -> None:
        self.sheet.append([])
        self.sheet.append([WriteOnlyCell(self.sheet, value=_text(text))])


def _generated() -> str:
    return _("Generated at %(time)s") % {"time": timezone.localtime().strftime("%Y-%m-%d %H:%M")}


def _response(workbook: Workbook, stem: str) -> FileResponse:
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = FileResponse(handle, as_attachment=True, filename=f"{stem}-{stamp}.xlsx", content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def _filters(source=None, category=None) -> str:
    parts = []
    if source is not None:
        parts.append(_("Source: %(source)s") % {"source": source.name})
    if category:
        parts.append(_("Category: %(category)s") % {"category": AidCategory(category).label})
    return " · ".join(parts)


def usage_workbook(report) -> FileResponse:
    """The usage report: rows by union, by source and by category, one sheet each."""
    period = report.period
    title = _("Fund usage of %(union)s") % {"union": report.org.name}
    subtitle = " · ".join(filter(None, [
        _("Budget year %(year)s, months %(first)s to %(last)s") % {
            "year": period.year, "first": period.month_from, "last": period.month_to},
        _filters(report.source, report.category), _("Amounts in yuan"), _generated()]))
    workbook = Workbook(write_only=True)
    figures = [Col(str(label)) for _key, label in USAGE_COLUMNS]
    keys = [key for key, _label in USAGE_COLUMNS]

    by_union = Sheet(workbook, _("By union"), title, subtitle, [Col(_("Union"), "text", 30), *figures])
    own = report.own.figures()
    by_union.row([_("%(union)s (itself)") % {"union": report.org.name}, *(own[k] for k in keys)])
    for row in report.children:
        values = row.figures()
        by_union.row([row.label, *(values[k] for k in keys)])
    total = report.total.figures()
    by_union.row([_("Total"), *(total[k] for k in keys)], bold=True)
    by_union.note(_("Rows of lower unions include their whole subtree; allocations inside a subtree and in the "
                    "total cancel out."))
    for name, rows in ((_("By source"), report.by_source), (_("By category"), report.by_category)):
        sheet = Sheet(workbook, name, title, subtitle, [Col(name, "text", 30), *figures])
        for row in rows:
            values = row.figures()
            sheet.row([row.label, *(values[k] for k in keys)])
        sheet.row([_("Total"), *(total[k] for k in keys)], bold=True)
    return _response(workbook, "fund-usage")


def households_workbook(org, year: int, rows: Iterable[dict], summary: dict, columns: list[tuple[str, str]]):
    """Per-household totals: archive number, masked head, paid per category, total, number of payments."""
    title = _("Payments per household of %(union)s") % {"union": org.name}
    subtitle = " · ".join([_("Budget year %(year)s") % {"year": year}, _("Amounts in yuan"), _generated()])
    workbook = Workbook(write_only=True)
    sheet = Sheet(workbook, _("Households"), title, subtitle, [
        Col(_("Archive number"), "text", 20), Col(_("Head of household"), "text", 14),
        *(Col(label) for _value, label in columns), Col(_("Total paid")), Col(_("Payments"), "int", 10)])
    for row in rows:
        sheet.row([row["household__archive_number"], row["household__head_name_masked"],
                   *(row[f"cat_{value}"] or 0 for value, _label in columns), row["total"], row["payments"]])
    sheet.row([_("Total"), _("%(count)s households") % {"count": summary["households"]},
               *(summary[f"cat_{value}"] for value, _label in columns), summary["total"], summary["payments"]],
              bold=True)
    return _response(workbook, "fund-households")


def account_workbook(org, year: int, lines, totals: dict, problems: list[str], transactions: Iterable[dict], *,
                     source=None, category=None) -> FileResponse:
    """The yearly fund account: the summary per source × category, then every transaction with balances."""
    title = _("Fund account of %(union)s") % {"union": org.name}
    subtitle = " · ".join(filter(None, [_("Budget year %(year)s") % {"year": year}, _filters(source, category),
                                        _("Opening balance 0.00"), _("Amounts in yuan"), _generated()]))
    workbook = Workbook(write_only=True)
    keys = [key for key, _label in ACCOUNT_COLUMNS]
    summary = Sheet(workbook, _("Summary"), title, subtitle, [
        Col(_("Source"), "text", 24), Col(_("Aid category"), "text", 22),
        *(Col(str(label)) for _k, label in ACCOUNT_COLUMNS)])
    for line in lines:
        summary.row([line.source.name if line.source else "", line.label, *(line.figures[k] for k in keys)])
    summary.row([_("Total"), "", *(totals[k] for k in keys)], bold=True)
    summary.note(_("Reconciliation: the ledger sums agree.") if not problems else
                 _("Reconciliation: %(count)s differences: %(list)s") % {"count": len(problems),
                                                                         "list": "; ".join(problems)})
    sheet = Sheet(workbook, _("Transactions"), title, subtitle, [
        Col(_("Posted on"), "date", 12), Col(_("Number"), "int", 10), Col(_("Kind"), "text", 22),
        Col(_("Source"), "text", 22), Col(_("Aid category"), "text", 20), Col(_("Union or household"), "text", 24),
        Col(_("Memo"), "text", 28), Col(_("Available ±")), Col(_("Reserved ±")), Col(_("Paid")),
        Col(_("Available balance")), Col(_("Reserved balance"))])
    for row in transactions:
        party = row["counterpart"] or " ".join(filter(None, [row["household__archive_number"],
                                                            row["household__head_name_masked"]]))
        memo = " · ".join(filter(None, [row["transaction__memo"], row["transaction__reason"]]))
        posted = row["posted_on"]
        sheet.row([posted if isinstance(posted, dt.date) else None, row["transaction_id"], row["kind_label"],
                   row["source_name"], row["category_label"], party, memo, row["available"], row["reserved"],
                   row["paid"], row["available_balance"], row["reserved_balance"]])
    return _response(workbook, "fund-account")
