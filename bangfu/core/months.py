"""Calendar months: the windows of monthly incomes and the dates of reviews and monitoring."""

from __future__ import annotations

import datetime as dt


def month_starts(on: dt.date, count: int) -> list[dt.date]:
    """The first days of the `count` months ending with the month of `on`, oldest first."""
    months, year, month = [], on.year, on.month
    for _ in range(count):
        months.append(dt.date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(months))


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole months (the 31st becomes the month's last day; 29 Feb becomes 28 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=d)
        except ValueError:
            continue
    raise ValueError(day)
