"""The check centre's result file: one row per person, parsed and checked cell by cell.

Accepted: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX (read with python-calamine). The type is decided
from the bytes (`filetype` and the ZIP directory), and the name's extension must agree. The header row is
found by its column names (a title row above it is allowed) and must have every column of the template:

    核对编号 (required)  证件号码 (the full or masked ID, required)  核对日期 (required)
    是否低保 (是/否)  低保起始日期  社保缴费基数(元)  公积金缴存基数(元)  住房套数  非住宅房产数
    机动车数 (not counting motorbikes, e-bikes, disabled-mobility vehicles)  工商登记数  雇工人数
    存款及有价证券(元)  纳税收入(元)  核对中心意见 (optional)  姓名 (optional, never used to match)

An empty finding cell means the centre reported nothing for that item. Counts and amounts are checked against the
largest value their column holds (`COUNT_MAX`, `EMPLOYEES_MAX`, `MONEY_MAX_FEN`), row by row, so an overflowing
cell is a message, never a database error. Amounts go through
`bangfu.funds.money.to_fen` (the same rule as every money field). Matching rows to the request's persons is the
service's job (`services.import_results`): this module knows files, not requests.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.core.tablefile import TableFileError, header_key, header_map, sniff_table, table_rows
from bangfu.funds.money import MoneyError, format_yuan, to_fen

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
HEADER_SEARCH_ROWS = 10

# Canonical column -> (header as in the template, accepted spellings compared without spaces/brackets/case).
COLUMNS = {
    "reference": ("核对编号", ("核对编号", "编号", "reference")),
    "id_number": ("证件号码", ("证件号码", "身份证号码", "身份证号", "证件号", "idnumber", "id")),
    "checked_on": ("核对日期", ("核对日期", "checkedon", "checkdate")),
    "dibao": ("是否低保", ("是否低保", "低保", "低保对象", "onminimumlivingroster")),
    "dibao_since": ("低保起始日期", ("低保起始日期", "低保开始日期", "rostersince")),
    "si_base": ("社保缴费基数(元)", ("社保缴费基数元", "社保缴费基数", "socialinsurancebase")),
    "hf_base": ("公积金缴存基数(元)", ("公积金缴存基数元", "公积金缴存基数", "housingfundbase")),
    "homes": ("住房套数", ("住房套数", "住宅套数", "homes")),
    "non_residential": ("非住宅房产数", ("非住宅房产数", "非住宅房产", "nonresidential")),
    "vehicles": ("机动车数", ("机动车数", "机动车辆数", "车辆数", "vehicles")),
    "businesses": ("工商登记数", ("工商登记数", "工商登记", "市场主体数", "businesses")),
    "employees": ("雇工人数", ("雇工人数", "雇员人数", "employees")),
    "deposits": ("存款及有价证券(元)", ("存款及有价证券元", "存款及有价证券", "金融资产", "deposits")),
    "tax_income": ("纳税收入(元)", ("纳税收入元", "纳税收入", "taxincome")),
    "remarks": ("核对中心意见", ("核对中心意见", "备注", "remarks")),
    "name": ("姓名", ("姓名", "name")),
}
OPTIONAL = {"dibao_since", "remarks", "name"}
REQUIRED = tuple(c for c in COLUMNS if c not in OPTIONAL)
TEMPLATE_HEADERS = [COLUMNS[c][0] for c in COLUMNS if c != "name"]
YES = {"是", "有", "y", "yes", "true", "1", "在册"}
NO = {"否", "无", "没有", "n", "no", "false", "0", "不在册"}


@dataclass
class ResultRow:
    row: int  # as the user sees it: the CSV line, the sheet row
    reference: str
    id_text: str
    checked_on: dt.date | None
    values: dict = field(default_factory=dict)  # typed findings by CheckResult field name


@dataclass(frozen=True)
class Problem:
    row: int | None  # None: about the whole file
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


class ResultFileError(Exception):
    """The file cannot be used at all; `problems` says why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def _fail(message: str):
    raise ResultFileError([Problem(None, message)])


_ALIASES = {header_key(alias): column for column, (_h, aliases) in COLUMNS.items() for alias in aliases}


def _header_map(cells) -> dict[str, int] | None:
    return header_map(cells, _ALIASES, "reference")


def _table(data: bytes, name: str):
    """The file's rows (`bangfu.core.tablefile` says what is accepted); its refusals as ResultFileError."""
    try:
        kind = sniff_table(data, name, max_bytes=MAX_BYTES, what=_("the result file the check centre sent"))
        yield from table_rows(data, kind)
    except TableFileError as error:
        _fail(str(error))


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text.translate({0xFF10 + i: ord("0") + i for i in range(10)} | {0x3000: ord(" ")}).strip()


def _cell(cells, header, column):
    index = header.get(column)
    if index is None or index >= len(cells):
        return None
    return cells[index]


def _yes_no(value):
    """True / False / None (empty) / "" (unreadable)."""
    if isinstance(value, bool):
        return value
    text = _as_text(value).lower()
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    return ""


def _count(value):
    """A whole number ≥ 0 / None (empty) / "" (unreadable). "2套", "1辆" are read as 2 and 1."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else ""
    if isinstance(value, int):
        return value if value >= 0 else ""
    text = re.sub(r"[套辆个家人处户\s]", "", _as_text(value))
    if not text:
        return None
    # ASCII digits only ("²".isdigit() is true but int() fails). The range is checked against the column's own
    # limit (`_FINDINGS`); a number longer than 18 digits is past every limit and is not converted at all.
    if not re.fullmatch(r"[0-9]+", text):
        return ""
    return int(text) if len(text) <= 18 else 10**18


def _money(value):
    """Fen ≥ 0 / None (empty) / "" (unreadable)."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, float):
        value = repr(value)
    text = _as_text(value).replace("元", "").strip()
    if not text:
        return None
    try:
        fen = to_fen(text)
    except (MoneyError, ArithmeticError):
        # A plain number too long for `to_fen` (over 20 characters) is too large, not unreadable.
        too_long = len(text) > 20 and re.fullmatch(r"[0-9]+(\.[0-9]{1,2})?", text)
        return 10**30 if too_long else ""
    return fen if fen >= 0 else ""


def _date(value):
    """A date / None (empty) / "" (unreadable)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _as_text(value)
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s.*)?", text) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", text)
    if not match:
        return ""
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return ""


# The largest values a row may carry. Counts: what the columns hold (PositiveSmallIntegerField /
# PositiveIntegerField on PostgreSQL; SQLite would store more, so the file is checked, not the database) — far past
# any real count, so a larger one is a broken cell. Amounts: one trillion yuan, far past any household's assets
# and below what BIGINT fen holds (about 92 quadrillion yuan); an 18-digit ID typed into an amount column is
# refused here, not by the database.
COUNT_MAX = 32_767
EMPLOYEES_MAX = 2_147_483_647
MONEY_MAX_FEN = 1_000_000_000_000 * 100

# CheckResult field -> (file column, reader, message when unreadable, largest value)
_FINDINGS = (
    ("on_minimum_living_roster", "dibao", _yes_no, "yes_no", None),
    ("roster_since", "dibao_since", _date, "date", None),
    ("social_insurance_base_fen", "si_base", _money, "money", MONEY_MAX_FEN),
    ("housing_fund_base_fen", "hf_base", _money, "money", MONEY_MAX_FEN),
    ("homes", "homes", _count, "count", COUNT_MAX),
    ("non_residential", "non_residential", _count, "count", COUNT_MAX),
    ("vehicles", "vehicles", _count, "count", COUNT_MAX),
    ("businesses", "businesses", _count, "count", COUNT_MAX),
    ("business_employees", "employees", _count, "count", EMPLOYEES_MAX),
    ("deposits_fen", "deposits", _money, "money", MONEY_MAX_FEN),
    ("tax_income_fen", "tax_income", _money, "money", MONEY_MAX_FEN),
)


def _out_of_range(kind: str, column: str, raw: str, limit: int) -> str:
    header = COLUMNS[column][0]
    if kind == "money":
        return _("column %(column)s: %(value)s yuan is more than the largest amount accepted (%(limit)s yuan): "
                 "check the cell (an ID or account number in the wrong column?).") % {
            "column": header, "value": raw, "limit": format_yuan(limit)}
    return _("column %(column)s: %(value)s is more than the largest count accepted (%(limit)s): check the cell.") % {
        "column": header, "value": raw, "limit": f"{limit:,}"}


def _unreadable(kind: str, column: str, raw: str) -> str:
    header = COLUMNS[column][0]
    if kind == "yes_no":
        return _("column %(column)s: “%(value)s” is not 是 or 否 (yes or no).") % {"column": header, "value": raw}
    if kind == "date":
        return _("column %(column)s: the date “%(value)s” cannot be read: write it as YYYY-MM-DD.") % {
            "column": header, "value": raw}
    if kind == "money":
        return _("column %(column)s: “%(value)s” is not an amount in yuan (at least 0, at most 2 decimals).") % {
            "column": header, "value": raw}
    return _("column %(column)s: “%(value)s” is not a whole number of at least 0.") % {"column": header, "value": raw}


def read_result_file(data: bytes, name: str) -> tuple[list[ResultRow], list[Problem]]:
    """Parse a result file into (rows, problems); raises ResultFileError when the file is unusable as a whole."""
    rows_iter = _table(data, name)
    header, header_row = None, None
    rows: list[ResultRow] = []
    problems: list[Problem] = []
    today = timezone.localdate()
    for number, cells in rows_iter:
        if header is None:
            header = _header_map(cells)
            if header is None:
                if number >= HEADER_SEARCH_ROWS:
                    break
                continue
            missing = [COLUMNS[c][0] for c in REQUIRED if c not in header]
            if missing:
                _fail(_("This is not the result-file template: row %(row)s is the header but lacks the columns "
                        "%(columns)s. Download the template from the request page.")
                      % {"row": number, "columns": "、".join(missing)})
            header_row = number
            continue
        if not any(_as_text(cell) for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            _fail(_("The file has more than %(limit)s rows; a request is never that large.")
                  % {"limit": f"{MAX_ROWS:,}"})

        def problem(message, row=number):
            problems.append(Problem(row, message))

        reference = _as_text(_cell(cells, header, "reference"))[:64]
        if not reference:
            problem(_("column 核对编号 (reference) is empty."))
        id_text = _as_text(_cell(cells, header, "id_number")).replace(" ", "")[:40]
        if not id_text:
            problem(_("column 证件号码 (ID number) is empty."))
        checked_on = _date(_cell(cells, header, "checked_on"))
        if checked_on is None:
            problem(_("column 核对日期 (check date) is empty."))
            checked_on = None
        elif checked_on == "":
            problem(_unreadable("date", "checked_on", _as_text(_cell(cells, header, "checked_on"))[:40]))
            checked_on = None
        elif checked_on > today:
            problem(_("the check date %(date)s is in the future.") % {"date": checked_on.isoformat()})
        values = {}
        for field_name, column, reader, kind_name, limit in _FINDINGS:
            raw = _cell(cells, header, column)
            value = reader(raw)
            if value == "":
                problem(_unreadable(kind_name, column, _as_text(raw)[:40]))
                value = None
            elif limit is not None and value is not None and value > limit:
                problem(_out_of_range(kind_name, column, _as_text(raw)[:40], limit))
                value = None
            values[field_name] = value
        since = values.get("roster_since")
        if since is not None and since > today:
            problem(_("column 低保起始日期: the date %(date)s is in the future.") % {"date": since.isoformat()})
        if values.get("business_employees") and not values.get("businesses"):
            problem(_("column 雇工人数 gives employees but 工商登记数 no business: check the row."))
        values["remarks"] = _as_text(_cell(cells, header, "remarks"))[:500]
        rows.append(ResultRow(row=number, reference=reference, id_text=id_text, checked_on=checked_on,
                              values=values))
    if header is None:
        _fail(_("This is not the result-file template: no header row with the columns %(columns)s was found in "
                "the first %(n)s rows. Download the template from the request page.")
              % {"columns": "、".join(COLUMNS[c][0] for c in REQUIRED), "n": HEADER_SEARCH_ROWS})
    if not rows:
        _fail(_("The file has a header (row %(row)s) but no result rows.") % {"row": header_row})
    return rows, problems


def template_csv() -> bytes:
    """The empty template of the result file (UTF-8 with BOM)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(TEMPLATE_HEADERS)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
