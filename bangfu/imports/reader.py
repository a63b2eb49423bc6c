"""Reading an uploaded file as a stream of rows: .xlsx (python-calamine) and CSV (UTF-8 with or without BOM,
GBK/GB18030), with the file type decided from the bytes, never from the name.

`open_rows(path, kind, encoding)` yields lists of cell values (str for CSV; str, float, int, bool, date or
datetime for xlsx) one row at a time; `sniff(path, name)` checks the type and encoding up front so a
wrong file is refused before a job is queued. Formula cells of an .xlsx are found by scanning the sheet's
XML (calamine returns only their cached values): `formula_cells(path)` gives their (row, column) pairs.
"""

from __future__ import annotations

import codecs
import csv
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# CSV fields may be long (a 50 MB row is refused by the cell cap later, with its row and column named).
csv.field_size_limit(sys.maxsize)

SNIFF = 64 * 1024
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Sniffed:
    kind: str  # "xlsx" | "csv"
    encoding: str  # CSV only


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=False)
        return True
    except UnicodeDecodeError:
        return False


def sniff(path: Path, name: str) -> Sniffed:
    """Decide what the file really is; refuse what the platform cannot read (ValidationError, one message)."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF)
    if not head.strip():
        raise ValidationError(_("The file is empty: fill in the template and upload it again."), code="empty")
    suffix = Path(name).suffix.lower()
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            names = set()
        if "xl/workbook.xml" not in names:
            raise ValidationError(_("This file is not an Excel workbook (.xlsx) nor a CSV file."), code="type")
        if suffix not in (".xlsx", ".xlsm"):
            raise ValidationError(
                _("The file is an Excel workbook but its name ends in “%(suffix)s”: rename it to .xlsx.")
                % {"suffix": suffix or "-"}, code="type",
            )
        return Sniffed("xlsx", "")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(
            _("This is an old Excel file (.xls): open it in Excel and save it as .xlsx, then upload that."),
            code="type",
        )
    if suffix in (".xlsx", ".xlsm", ".xls"):
        raise ValidationError(
            _("The file's name says Excel (%(suffix)s) but its content is not an Excel workbook: "
              "save it from Excel as .xlsx, or upload a CSV file named .csv.") % {"suffix": suffix},
            code="type",
        )
    if b"\x00" in head:
        raise ValidationError(_("This file is not a text (CSV) file: upload the filled-in template."), code="type")
    if head.startswith(codecs.BOM_UTF8):
        return Sniffed("csv", "utf-8-sig")
    if _decodes(head, "utf-8"):
        return Sniffed("csv", "utf-8")
    if _decodes(head, "gb18030"):
        return Sniffed("csv", "gb18030")
    raise ValidationError(_("The CSV file is neither UTF-8 nor GBK text: save it as “CSV UTF-8”."), code="encoding")


def open_rows(path: Path, kind: str, encoding: str = ""):
    """Yield the rows of the first sheet (xlsx) or of the CSV file, lazily."""
    if kind == "xlsx":
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        yield from sheet.iter_rows()
        return
    with open(path, encoding=encoding, newline="", errors="strict") as handle:
        yield from csv.reader(handle)


_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?(/>|>)')


def _column_index(letters: bytes) -> int:
    index = 0
    for char in letters:
        index = index * 26 + (char - 64)
    return index - 1


def formula_cells(path: Path) -> set[tuple[int, int]]:
    """(0-based row, 0-based column) of every formula cell of the first sheet (empty set: none)."""
    found: set[tuple[int, int]] = set()
    with zipfile.ZipFile(path) as archive:
        sheets = sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet") and n.endswith(".xml"))
        if not sheets:
            return found
        with archive.open(sheets[0]) as handle:
            tail = b""
            while True:
                block = handle.read(1 << 20)
                if not block:
                    break
                data = tail + block
                if b"<f" in data:
                    for match in re.finditer(rb'<c r="([A-Z]+)(\d+)"[^>]*>(?:(?!</c>).)*?<f[ >/]', data, re.S):
                        found.add((int(match.group(2)) - 1, _column_index(match.group(1))))
                tail = data[-4096:]
    return found


def count_lines(path: Path, kind: str) -> int:
    """A quick estimate of the number of rows (for the progress bar)."""
    if kind == "xlsx":
        from python_calamine import CalamineWorkbook

        return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).total_height
    count = 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            count += block.count(b"\n")
    return count
