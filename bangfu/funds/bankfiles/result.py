"""The bank's result file: type from the bytes, header by column names, rows parsed (see the package)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.core.tablefile import TableFileError, header_key, header_map, sniff_table, table_rows
from bangfu.funds.money import MoneyError, to_fen

# --- the result file ------------------------------------------------------------------------------------

MAX_RESULT_BYTES = 5 * 1024 * 1024
MAX_RESULT_ROWS = 50_000
HEADER_SEARCH_ROWS = 10

# Canonical column -> accepted header spellings (compared without spaces, brackets and case).
COLUMNS = {
    "payment": ("付款编号", "付款号", "编号", "paymentid", "payment"),
    "account": ("账号后四位", "卡号后四位", "账号", "卡号", "收款账号", "account", "accountlast4"),
    "amount": ("金额", "金额元", "交易金额", "amount"),
    "result": ("结果", "交易结果", "处理结果", "状态", "result", "status"),
    "reason": ("失败原因", "原因", "备注", "reason"),
    "reference": ("银行流水号", "流水号", "交易流水号", "reference"),
    "date": ("交易日期", "日期", "date"),
}
REQUIRED = ("payment", "account", "amount", "result")
SUCCESS = {"成功", "交易成功", "已成功", "success", "succeeded", "paid", "ok"}
FAILURE = {"失败", "交易失败", "已失败", "failed", "failure", "fail"}


@dataclass(frozen=True)
class ResultRow:
    """One row of the result file. A field that could not be read is None (and a Problem says why), so the
    row can still be checked against the batch for its other fields: the user sees every problem at once."""

    row: int  # as the user sees it: the line of the CSV, the row of the sheet
    payment_id: int | None
    last4: str | None
    amount_fen: int | None
    paid: bool | None
    reason: str
    reference: str
    on: dt.date | None


@dataclass(frozen=True)
class Problem:
    row: int | None  # None: about the whole file
    message: str


class ResultFileError(Exception):
    """The file cannot be used at all (type, size, encoding, header); `problems` says why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def _fail(message: str):
    raise ResultFileError([Problem(None, message)])


_ALIASES = {header_key(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


def _header_map(cells) -> dict[str, int] | None:
    """Column -> index when `cells` is a header row (it names the payment column); else None."""
    return header_map(cells, _ALIASES, "payment")


def _table(data: bytes, name: str):
    """The file's rows (`bangfu.core.tablefile` says what is accepted); its refusals as ResultFileError."""
    try:
        kind = sniff_table(data, name, max_bytes=MAX_RESULT_BYTES, what=_("the bank's result file"))
        yield from table_rows(data, kind)
    except TableFileError as error:
        _fail(str(error))


def _cell(cells, index) -> object:
    if index is None or index >= len(cells):
        return None
    value = cells[index]
    return value.strip() if isinstance(value, str) else value


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _payment_id(value) -> int | None:
    text = _as_text(value).lstrip("#＃").strip()
    if text.endswith(".0"):
        text = text[:-2]
    return int(text) if text.isdigit() and len(text) < 18 else None


def _last4(value) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        digits = str(int(value)).zfill(4)  # a number cell lost the leading zeros of "0123"
    else:
        digits = re.sub(r"\D", "", _as_text(value))
    return digits[-4:] if len(digits) >= 4 else None


def _amount(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        value = repr(value) if isinstance(value, float) else str(value)
    text = _as_text(value).replace("元", "")
    if not text:
        return None
    try:
        fen = to_fen(text)
    except (MoneyError, ArithmeticError):
        return None
    return fen if fen > 0 else None


def _date(value) -> dt.date | None | str:
    """A date, None when the cell is empty, or "" when it cannot be read."""
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


def read_result_file(data: bytes, name: str) -> tuple[list[ResultRow], list[Problem]]:
    """Parse a bank result file: (rows, problems), every data row in `rows` (with None where a field could not
    be read). Raises ResultFileError when the file is unusable as a whole."""
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
                _fail(_("Row %(row)s is the header but lacks the columns %(columns)s.")
                      % {"row": number, "columns": "、".join(missing)})
            header_row = number
            continue
        if not any(_as_text(cell) for cell in cells):
            continue  # blank lines (and trailing empty rows of a sheet)
        if len(rows) >= MAX_RESULT_ROWS:
            _fail(_("The file has more than %(limit)s rows; a batch is never that large.")
                  % {"limit": f"{MAX_RESULT_ROWS:,}"})
        row_problems = []

        def problem(message, row=number, bucket=row_problems):
            bucket.append(Problem(row, message))

        raw_id = _cell(cells, header["payment"])
        payment_id = _payment_id(raw_id)
        if payment_id is None:
            problem(_("the payment number “%(value)s” is not a number.") % {"value": _as_text(raw_id)[:40]})
        account_index = header["account"]
        last4 = _last4(_cell(cells, account_index))
        if last4 is None:
            problem(_("the account (or its last 4 digits) is missing."))
        amount = _amount(_cell(cells, header["amount"]))
        if amount is None:
            problem(_("the amount “%(value)s” is not an amount in yuan with at most 2 decimals.")
                    % {"value": _as_text(_cell(cells, header["amount"]))[:40]})
        result = _as_text(_cell(cells, header["result"])).lower()
        paid = True if result in SUCCESS else False if result in FAILURE else None
        if paid is None:
            problem(_("the result “%(value)s” is unknown: write 成功 or 失败 (success or failed).")
                    % {"value": result[:40]})
        reason = _as_text(_cell(cells, header.get("reason")))[:200]
        if paid is False and not reason:
            problem(_("a failed payment needs its reason (失败原因)."))
        reference = _as_text(_cell(cells, header.get("reference")))
        if len(reference) > 64:
            problem(_("the bank reference is longer than 64 characters."))
        on = _date(_cell(cells, header.get("date")))
        if on == "":
            problem(_("the date “%(value)s” cannot be read: write it as YYYY-MM-DD.")
                    % {"value": _as_text(_cell(cells, header.get("date")))[:40]})
        elif on is not None and on > today:
            problem(_("the date %(date)s is in the future.") % {"date": on.isoformat()})
        problems.extend(row_problems)
        rows.append(ResultRow(row=number, payment_id=payment_id, last4=last4, amount_fen=amount, paid=paid,
                              reason=reason if paid is False else "", reference=reference, on=on or None))
    if header is None:
        _fail(_("No header row found: the file needs the columns %(columns)s in one of its first %(n)s rows.")
              % {"columns": "、".join(COLUMNS[c][0] for c in REQUIRED), "n": HEADER_SEARCH_ROWS})
    if not rows:
        _fail(_("The file has a header (row %(row)s) but no result rows.") % {"row": header_row})
    return rows, problems
