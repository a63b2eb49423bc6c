"""Money as whole fen (分): exact integers in the database, yuan with two decimals at the edges.

Amounts are stored as `BigIntegerField` fen so that sums on SQLite and PostgreSQL are exact and equal;
forms, the API and exports convert with these helpers only.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import cn2an

FEN_PER_YUAN = 100


class MoneyError(ValueError):
    pass


def to_fen(value) -> int:
    """Yuan (Decimal, int or text such as "1,234.50" or "１２３") to whole fen; more than 2 decimals is refused."""
    if isinstance(value, int):
        return value * FEN_PER_YUAN
    text = str(value).strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    text = text.translate({0xFF10 + i: ord("0") + i for i in range(10)} | {0xFF0E: ord(".")})
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
