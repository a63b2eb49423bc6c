"""Working days in mainland China, used by every deadline on the platform.

Which days are working days, in order of precedence:

1. a `CalendarOverride` row for that date (edited in the Django admin);
2. the `chinese-calendar` package: public holidays and the make-up working days (调休) announced
   each year by the State Council (version 1.11 covers 2004–2026);
3. outside the package's data range: Monday to Friday are working days. This fallback ignores
   holidays, so a WARNING is logged (once per year and process); add overrides for that year or
   upgrade the package as soon as the State Council publishes the next year's arrangement.

Counting convention (as in Chinese procedural law, the day an event happens is not counted):
`add_working_days(start, n)` is the n-th working day *after* `start`, and
`working_days_between(a, b)` counts the working days in the interval (a, b], so that
`working_days_between(a, add_working_days(a, n)) == n`.

Each year's working days are computed once per process and kept in memory. Every public call
runs one tiny aggregate query over the override table (count, latest change, highest id) and
rebuilds the cache when it differs — so an override saved in the admin takes effect at once in
the web server, the task workers and the scheduler alike, and a rolled-back transaction cannot
leave stale overrides behind. Loops over many dates can take one snapshot with `get_calendar()`
and call its methods, which do not query the database at all.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from bisect import bisect_left, bisect_right

import chinese_calendar
from chinese_calendar.constants import holidays as _package_holidays
from django.db.models import Count, Max
from django.utils import timezone

logger = logging.getLogger(__name__)

PACKAGE_FIRST_YEAR = min(_package_holidays).year
PACKAGE_LAST_YEAR = max(_package_holidays).year

_warned_years: set[int] = set()
_lock = threading.Lock()
_snapshot: WorkingCalendar | None = None
_snapshot_stamp: tuple | None = None


def package_covers(year: int) -> bool:
    """Whether the chinese-calendar package has the official holiday arrangement for this year."""
    return PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            return timezone.localtime(value).date()
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


def _default_is_working_day(day: dt.date) -> bool:
    """The package's answer, or Monday–Friday outside its range (with a warning, once per year)."""
    if package_covers(day.year):
        return chinese_calendar.is_workday(day)
    if day.year not in _warned_years:
        _warned_years.add(day.year)
        logger.warning(
            "chinese-calendar has no holiday data for %s (covers %s-%s): treating Monday-Friday as working days. "
            "Add calendar overrides for %s or upgrade the package.",
            day.year,
            PACKAGE_FIRST_YEAR,
            PACKAGE_LAST_YEAR,
            day.year,
        )
    return day.weekday() < 5


class WorkingCalendar:
    """An immutable view of the calendar with a fixed set of overrides (no database access)."""

    def __init__(self, overrides: dict[dt.date, bool] | None = None):
        self.overrides = dict(overrides or {})
        self._years: dict[int, tuple[list[int], frozenset[int]]] = {}

    def _year(self, year: int) -> tuple[list[int], frozenset[int]]:
        """Sorted ordinals of the working days of a year, and the same as a set."""
        cached = self._years.get(year)
        if cached is None:
            if not dt.MINYEAR <= year <= dt.MAXYEAR:
                raise OverflowError(f"year {year} is out of range")
            first = dt.date(year, 1, 1).toordinal()
            last = dt.date(year, 12, 31).toordinal()
            days = []
            for ordinal in range(first, last + 1):
                day = dt.date.fromordinal(ordinal)
                working = self.overrides.get(day)
                if working is None:
                    working = _default_is_working_day(day)
                if working:
                    days.append(ordinal)
            cached = (days, frozenset(days))
            self._years[year] = cached
        return cached

    def is_working_day(self, day: dt.date | dt.datetime) -> bool:
        day = _as_date(day)
        return day.toordinal() in self._year(day.year)[1]

    def add_working_days(self, start: dt.date | dt.datetime, n: int) -> dt.date:
        """The n-th working day after `start` (before it when n < 0); `start` itself when n == 0."""
        start = _as_date(start)
        if n == 0:
            return start
        year = start.year
        days = self._year(year)[0]
        if n > 0:
            index = bisect_right(days, start.toordinal())  # first working day after start
            remaining = n
            while remaining > len(days) - index:
                remaining -= len(days) - index
                year += 1
                days, index = self._year(year)[0], 0
            return dt.date.fromordinal(days[index + remaining - 1])
        index = bisect_left(days, start.toordinal())  # working days strictly before start
        remaining = -n
        while remaining > index:
            remaining -= index
            year -= 1
            days = self._year(year)[0]
            index = len(days)
        return dt.date.fromordinal(days[index - remaining])

    def working_days_between(self, a: dt.date | dt.datetime, b: dt.date | dt.datetime) -> int:
        """Working days in (a, b]; negative when b is before a."""
        a, b = _as_date(a), _as_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        if a.year == b.year:
            days = self._year(a.year)[0]
            return bisect_right(days, b.toordinal()) - bisect_right(days, a.toordinal())
        days_a = self._year(a.year)[0]
        count = len(days_a) - bisect_right(days_a, a.toordinal())
        for year in range(a.year + 1, b.year):
            count += len(self._year(year)[0])
        return count + bisect_right(self._year(b.year)[0], b.toordinal())


def _override_stamp() -> tuple:
    from bangfu.workdays.models import CalendarOverride

    agg = CalendarOverride.objects.aggregate(n=Count("id"), changed=Max("updated_at"), top=Max("id"))
    return (agg["n"], agg["changed"], agg["top"])


def get_calendar() -> WorkingCalendar:
    """The current calendar snapshot (rebuilt when the override table changed since it was built)."""
    global _snapshot, _snapshot_stamp
    from bangfu.workdays.models import CalendarOverride

    stamp = _override_stamp()
    with _lock:
        if _snapshot is not None and stamp == _snapshot_stamp:
            return _snapshot
    overrides = dict(CalendarOverride.objects.values_list("date", "is_working_day"))
    snapshot = WorkingCalendar(overrides)
    with _lock:
        _snapshot, _snapshot_stamp = snapshot, stamp
    return snapshot


def clear_cache(**_kwargs) -> None:
    """Forget the cached snapshot (connected to the override model's save and delete signals)."""
    global _snapshot, _snapshot_stamp
    with _lock:
        _snapshot, _snapshot_stamp = None, None


def is_working_day(day: dt.date | dt.datetime) -> bool:
    """Whether people work on this day in mainland China (overrides first, see the module docstring)."""
    return get_calendar().is_working_day(day)


def add_working_days(start: dt.date | dt.datetime, n: int) -> dt.date:
    """The deadline n working days after `start` (the start day itself is not counted).

    `add_working_days(date(2025, 9, 30), 1)` is 2025-10-09: 1–8 October are the National Day
    holiday. A negative n counts backwards (e.g. a reminder two working days before a deadline).
    Beyond the package's data range the Monday–Friday fallback applies (a warning is logged).
    """
    return get_calendar().add_working_days(start, n)


def working_days_between(a: dt.date | dt.datetime, b: dt.date | dt.datetime) -> int:
    """Number of working days in (a, b] — how many working days have passed from a to b.

    Negative when b is before a. Beyond the package's data range the Monday–Friday fallback
    applies (a warning is logged).
    """
    return get_calendar().working_days_between(a, b)
