"""Real-world cells to plain values: full-width characters, Chinese dates, Excel serials, amounts with
commas or 元, 是/否, code-list labels; and finding the header row (merged and multi-row headers).

Every function returns the value or raises `CellError` with a message for the report. Nothing here
repairs an identity number: those go to `bangfu.core.identity.parse_identity` as typed (see validate.py).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.utils.translation import gettext as _

from bangfu.imports.columns import REQUIRED, match_header

HEADER_SCAN_ROWS = 12
EXCEL_EPOCH = dt.date(1899, 12, 30)


class CellError(Exception):
    pass


class HeaderError(Exception):
    def __init__(self, missing: list[str]):
        super().__init__(", ".join(missing))
        self.missing = missing


def text(value) -> str:
    """NFKC (full-width → half-width), trimmed; numbers from Excel without a spurious .0."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    value = str(value)
    if value.isascii():
        return value.strip()
    return unicodedata.normalize("NFKC", value).strip()


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})年(\d{1,2})月(?:(\d{1,2})日?)?$"),
    re.compile(r"^(\d{4})[.\-/](\d{1,2})(?:[.\-/](\d{1,2}))?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


@lru_cache(maxsize=65536)
def _date_from_text(value: str) -> dt.date:
    for pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if match:
            year, month, day = match.group(1), match.group(2), match.group(3) or "1"
            try:
                return dt.date(int(year), int(month), int(day))
            except ValueError:
                raise CellError(_("“%(value)s” is not a real date.") % {"value": value}) from None
    if re.fullmatch(r"\d{1,5}(\.0+)?", value):
        return serial_date(float(value))
    raise CellError(
        _("“%(value)s” is not a date: write it as 2020-03-05, 2020.3.5 or 2020年3月5日.") % {"value": value}
    )


def serial_date(number: float) -> dt.date:
    if not 1 <= number < 80000:
        raise CellError(_("%(value)s is not an Excel date.") % {"value": number})
    return EXCEL_EPOCH + dt.timedelta(days=int(number))


def date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return serial_date(float(value))
    value = text(value).replace(" ", "")
    return _date_from_text(value) if value else None


_AMOUNT_JUNK = str.maketrans("", "", ",¥￥元 \u00a0")


def amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    raw = text(value)
    cleaned = raw.translate(_AMOUNT_JUNK)
    if cleaned.upper().startswith("RMB"):
        cleaned = cleaned[3:]
    if not cleaned:
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not an amount: write it like 1234.50 or 1,234元.") % {"value": raw}) \
            from None


_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "有"}
_FALSE = {"否", "n", "no", "false", "0", "×", "无", ""}


def boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise CellError(_("“%(value)s”: write 是 or 否.") % {"value": raw})


_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def integer(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer():
            return int(value)
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": value})
    raw = text(value).removesuffix("级")
    if raw in _CHINESE_DIGITS:
        return _CHINESE_DIGITS[raw]
    if re.fullmatch(r"\d+(\.0+)?", raw):
        return int(float(raw))
    raise CellError(_("“%(value)s” is not a whole number.") % {"value": raw})


def identity_cell(value) -> str:
    """An identity number as typed. A numeric xlsx cell is shown the way Excel shows it (1.1E+17), so the
    registry's check reports it; nothing is padded, rounded or completed."""
    if isinstance(value, float):
        return f"{value:.15G}" if not value.is_integer() or abs(value) >= 1e15 else str(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(value)


def is_formula_text(value: str) -> bool:
    return value[:1] in ("=", "+", "@") or value.startswith("-=")


def find_header(rows_iter, *, scan: int = HEADER_SCAN_ROWS):
    """Read up to `scan` rows to find the header row; returns (mapping {column index: key}, header row index,
    rows read so far). A merged title above the headers (e.g. 户主信息 spanning 户主 / 身份证号) is carried
    forward and tried as a prefix. Raises HeaderError naming the required columns that were not found."""
    seen = []
    best: tuple[int, dict[int, str], int] = (0, {}, -1)
    previous_filled: list[str] = []
    for index, row in enumerate(rows_iter):
        seen.append(row)
        cells = [text(cell) for cell in row]
        mapping: dict[int, str] = {}
        for column, cell in enumerate(cells):
            key = match_header(cell) if cell else None
            if key is None and column < len(previous_filled) and previous_filled[column]:
                upper = previous_filled[column]
                key = match_header(upper + cell) if cell else match_header(upper)
            if key is not None and key not in mapping.values():
                mapping[column] = key
        if len(mapping) > best[0]:
            best = (len(mapping), mapping, index)
        filled, carry = [], ""
        for cell in cells:
            carry = cell or carry
            filled.append(carry)
        previous_filled = filled
        if index + 1 >= scan:
            break
    mapping = best[1]
    missing = [column.header for column in REQUIRED if column.key not in mapping.values()]
    if missing:
        raise HeaderError(missing)
    return mapping, best[2], seen
