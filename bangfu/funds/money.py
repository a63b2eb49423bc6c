"""Money as whole fen (分): exact integers in the database, yuan with two decimals at the edges.

Amounts are stored as `BigIntegerField` fen so that sums on SQLite and PostgreSQL are exact and equal;
forms, the API and exports convert with these helpers only.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import cn2an

FEN_PER_YUAN = 100
_PLAIN_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?")


class MoneyError(ValueError):
    pass


def to_fen(value) -> int:
    """Yuan (Decimal, int or text such as "1,234.50" or "１２３") to whole fen; more than 2 decimals is refused."""
    if isinstance(value, int):
        return value * FEN_PER_YUAN
    text = str(value).strip().replace("¥", "").replace("￥", "").strip()
    text = text.translate({0xFF10 + i: ord("0") + i for i in range(10)} | {0xFF0E: ord("."), 0xFF0C: ord(",")})
    # Commas only as thousands separators ("1,234.50"; "1,50" is a typo, not 150 yuan).
    if "," in text:
        if not _GROUPED.fullmatch(text):
            raise MoneyError(text)
        text = text.replace(",", "")
    # Plain decimal notation with ASCII digits only: no exponents ("1e999999" would overflow or burn CPU),
    # no NaN/Infinity, no other scripts' digits.
    if not _PLAIN_DECIMAL.fullmatch(text) or len(text) > 20:
        raise MoneyError(text)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise MoneyError(text) from None
    if not amount.is_finite():
        raise MoneyError(text)
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise MoneyError(text)
    return int(fen)


def to_yuan(fen: int | None) -> Decimal | None:
    if fen is None:
        return None
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def yuan_of_decimal(value: Decimal) -> int:
    """A Decimal in yuan (e.g. a living line) to fen, rounded half up to the fen."""
    return int((Decimal(value) * FEN_PER_YUAN).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def format_yuan(fen: int | None) -> str:
    """"12,345.60" — grouping with commas, always two decimals (the form Chinese finance pages use)."""
    if fen is None:
        return ""
    return f"{to_yuan(fen):,.2f}"


def capital_amount(fen: int) -> str:
    """The amount in Chinese capital numerals for rosters and vouchers (大写), e.g. 壹仟零伍元整."""
    if fen < 0:
        return "负" + capital_amount(-fen)
    return cn2an.an2cn(f"{to_yuan(fen)}", "rmb")
