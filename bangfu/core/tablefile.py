"""Small tables a partner sends back as CSV or XLSX — the bank's payment results, the check centre's
economic-check results: what the bytes really are (never the file name alone), and their rows.

These files are read whole (they are small; `max_bytes` caps them). Archive imports and government rosters
are large and streamed by their own readers (`bangfu.imports.reader`, `bangfu.crosscheck.reader`).
An .xlsx is refused before it is parsed when it unpacks to more than `MAX_XLSX_UNPACKED` (a zip bomb dressed
as a workbook). Every refusal is a `TableFileError` whose text is the message for the user.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import PurePath

import filetype
from django.utils.translation import gettext as _

MAX_XLSX_UNPACKED = 100 * 1024 * 1024


class TableFileError(Exception):
    """The file as a whole is refused; str(error) tells the user why and what to do."""


def sniff_table(data: bytes, name: str, *, max_bytes: int, what: str) -> str:
    """"csv" or "xlsx" from the content, checked against the name's extension. `what` names the file the user
    should upload instead (e.g. "the bank's result file"), already translated."""
    extension = PurePath(name or "").suffix.lower()
    if not data:
        raise TableFileError(_("The file is empty: upload %(what)s.") % {"what": what})
    if len(data) > max_bytes:
        raise TableFileError(_("The file is larger than %(limit)s MB; %(what)s is much smaller: check that it is "
                               "the right file.") % {"limit": max_bytes // 1024 // 1024, "what": what})
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, ValueError, OSError):
            names, unpacked = set(), 0
        if "xl/workbook.xml" not in names:
            raise TableFileError(_("The file is a ZIP archive, not an Excel workbook: unpack it and upload the CSV "
                                   "or XLSX file inside."))
        if unpacked > MAX_XLSX_UNPACKED:
            raise TableFileError(_("The workbook unpacks to more than %(limit)s MB; it cannot be %(what)s.")
                                 % {"limit": MAX_XLSX_UNPACKED // 1024 // 1024, "what": what})
        if extension != ".xlsx":
            raise TableFileError(_("The file is an Excel workbook but its name ends in “%(ext)s”: name it .xlsx.")
                                 % {"ext": extension or "-"})
        return "xlsx"
    kind = filetype.guess(data[:8192])
    if kind is not None or b"\x00" in data[:8192]:
        raise TableFileError(_("The file's name ends in “%(ext)s” but its content is %(type)s, not a CSV or XLSX "
                               "table: upload %(what)s.")
                             % {"ext": extension or "-", "what": what,
                                "type": kind.extension.upper() if kind else _("binary data")})
    if extension == ".xlsx":
        raise TableFileError(_("The file's name ends in .xlsx but it is not an Excel workbook (it looks like "
                               "text): save it again from Excel as .xlsx, or name it .csv if it is a CSV file."))
    if extension != ".csv":
        raise TableFileError(_("Only CSV and XLSX files are accepted (this file's name ends in “%(ext)s”).")
                             % {"ext": extension or "-"})
    return "csv"


def table_rows(data: bytes, kind: str) -> Iterator[tuple[int, list]]:
    """(line or row number from 1, cells) of the first sheet or of the CSV text (UTF-8 with or without BOM, or
    GB18030; comma, tab or semicolon separated). Cells of a CSV are text; of a workbook, Excel's own types."""
    return _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)


def _csv_rows(data: bytes) -> Iterator[tuple[int, list]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableFileError(_("The CSV file is neither UTF-8 nor GBK text: save it again as CSV (UTF-8)."))
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as error:
        raise TableFileError(_("Line %(row)s of the CSV file cannot be read: %(error)s")
                             % {"row": reader.line_num, "error": error}) from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 - calamine raises several kinds for a damaged workbook
        raise TableFileError(_("The workbook cannot be read; open it in Excel and save it again as .xlsx.")) from None
    for number, cells in enumerate(rows, start=1):
        yield number, list(cells)


def header_key(header) -> str:
    """A header cell compared loosely: no spaces, brackets (half- or full-width), colons, stars or dashes; lower
    case — so "证件号码（脱敏）" and "证件号码(脱敏)" are the same column."""
    return re.sub(r"[\s()（）\[\]【】:：*_\-]+", "", str(header or "")).lower()


def header_map(cells, aliases: dict[str, str], required: str) -> dict[str, int] | None:
    """Column -> index when `cells` is a header row (`aliases`: header_key of an alias -> column; the row must
    name `required`); else None. The first cell naming a column wins."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        column = aliases.get(header_key(cell))
        if column and column not in found:
            found[column] = index
    return found if required in found else None
