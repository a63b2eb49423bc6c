"""The working-day calendar against the State Council's real 2025/2026 arrangements (as shipped in
chinese-calendar 1.11), the override table, and the fallback beyond the package's data range."""

from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar
import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from bangfu.workdays import calendar
from bangfu.workdays.calendar import add_working_days, is_working_day, working_days_between
from bangfu.workdays.models import CalendarOverride

D = dt.date.fromisoformat


@pytest.fixture(autouse=True)
def _fresh_cache():
    calendar.clear_cache()
    yield
    calendar.clear_cache()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2025-01-25", False),  # Saturday before Spring Festival, not a make-up day
        ("2025-01-26", True),  # Sunday, Spring Festival make-up working day
        ("2025-01-28", False),  # Spring Festival eve, holiday
        ("2025-02-08", True),  # Saturday, make-up working day
        ("2025-09-28", True),  # Sunday, National Day make-up working day
        ("2025-10-01", False),
        ("2025-10-06", False),  # Mid-Autumn Festival inside the National Day break
        ("2025-10-08", False),
        ("2025-10-09", True),
        ("2025-10-11", True),  # Saturday, make-up working day
        ("2025-10-12", False),  # ordinary Sunday
        ("2026-01-02", False),  # Friday, New Year holiday
        ("2026-01-04", True),  # Sunday, make-up working day
        ("2026-02-14", True),  # Saturday, make-up working day before Spring Festival
        ("2026-02-16", False),  # Monday in the Spring Festival break
        ("2026-02-28", True),  # Saturday, make-up working day
    ],
)
def test_real_holidays_and_make_up_days(day, working):
    assert is_working_day(D(day)) is working
    # Same answer as the package itself (no override exists).
    assert chinese_calendar.is_workday(D(day)) is working


@pytest.mark.django_db
def test_national_day_2025_week_off():
    assert [is_working_day(D("2025-10-01") + dt.timedelta(days=i)) for i in range(8)] == [False] * 8
    assert working_days_between(D("2025-09-30"), D("2025-10-08")) == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "n", "deadline"),
    [
        ("2025-09-30", 1, "2025-10-09"),  # the whole break is skipped
        ("2025-09-26", 1, "2025-09-28"),  # Friday → the make-up Sunday
        ("2025-10-09", 2, "2025-10-11"),  # Thursday → Friday → make-up Saturday
        ("2025-10-11", 1, "2025-10-13"),  # Saturday → Monday (Sunday 12th is off)
        ("2025-01-24", 1, "2025-01-26"),  # Friday → make-up Sunday
        ("2025-01-26", 1, "2025-01-27"),
        ("2025-01-27", 1, "2025-02-05"),  # Spring Festival break 28 Jan – 4 Feb
        ("2026-02-13", 1, "2026-02-14"),  # Friday → make-up Saturday
        ("2026-02-14", 1, "2026-02-24"),  # Spring Festival break 15–23 Feb 2026
        ("2025-12-31", 1, "2026-01-04"),  # across the year: 1–3 Jan off, 4 Jan is a make-up Sunday
        ("2025-12-31", 2, "2026-01-05"),
        ("2025-10-09", 0, "2025-10-09"),
        ("2025-10-09", -1, "2025-09-30"),  # backwards across the break
        ("2026-01-05", -2, "2025-12-31"),  # backwards across the year and the make-up Sunday
    ],
)
def test_add_working_days(start, n, deadline):
    assert add_working_days(D(start), n) == D(deadline)


@pytest.mark.django_db
def test_add_working_days_counts_the_make_up_sunday_across_the_year():
    # 2026-01-04 (Sunday) is a working day, so one working day after 2026-01-03 is the 4th.
    assert add_working_days(D("2026-01-03"), 1) == D("2026-01-04")


@pytest.mark.django_db
def test_working_days_between():
    # October 2025: 23 days Mon–Fri minus 6 weekdays of the break (1–3, 6–8) plus Saturday 11th.
    assert working_days_between(D("2025-09-30"), D("2025-10-31")) == 23 - 6 + 1
    assert working_days_between(D("2025-10-31"), D("2025-09-30")) == -(23 - 6 + 1)
    assert working_days_between(D("2025-10-09"), D("2025-10-09")) == 0
    # Whole years, counted independently of the implementation from the package itself.
    for year in (2025, 2026):
        expected = sum(
            chinese_calendar.is_workday(dt.date(year, 1, 1) + dt.timedelta(days=i))
            for i in range((dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days)
        )
        assert working_days_between(dt.date(year - 1, 12, 31), dt.date(year, 12, 31)) == expected


@pytest.mark.django_db
def test_aware_datetimes_use_the_local_date():
    # 2025-09-30 17:00 UTC is already 1 October in Beijing, a holiday.
    moment = dt.datetime(2025, 9, 30, 17, 0, tzinfo=dt.UTC)
    assert timezone.localtime(moment).date() == D("2025-10-01")
    assert is_working_day(moment) is False
    assert add_working_days(moment, 1) == D("2025-10-09")


@settings(max_examples=150, deadline=None)
@given(
    start=st.dates(min_value=dt.date(2024, 6, 1), max_value=dt.date(2027, 6, 30)),
    n=st.integers(min_value=-300, max_value=300),
)
def test_add_and_between_are_inverse(start, n):
    cal = calendar.WorkingCalendar()  # no overrides, no database
    deadline = cal.add_working_days(start, n)
    if n:
        assert cal.is_working_day(deadline)
    if n >= 0 or cal.is_working_day(start):
        assert cal.working_days_between(start, deadline) == n
    if n > 0:
        # Counting back from a deadline (always a working day) returns to the last working day ≤ start.
        back = cal.add_working_days(deadline, -n)
        assert back <= start and cal.working_days_between(back, start) == 0
    # Walking day by day gives the same count: (start, deadline] forwards, [deadline, start) backwards.
    span = abs((deadline - start).days)
    offsets = range(1, span + 1) if n >= 0 else range(-span, 0)
    assert sum(cal.is_working_day(start + dt.timedelta(days=i)) for i in offsets) == abs(n)


@pytest.mark.django_db
def test_override_wins_over_the_package():
    assert add_working_days(D("2025-09-30"), 1) == D("2025-10-09")
    override = CalendarOverride.objects.create(
        date=D("2025-10-09"), is_working_day=False, name="Typhoon closure", source=CalendarOverride.Source.LOCAL
    )
    assert is_working_day(D("2025-10-09")) is False
    assert add_working_days(D("2025-09-30"), 1) == D("2025-10-10")

    # Changed in the admin: the cache notices the change.
    override.is_working_day = True
    override.save()
    assert add_working_days(D("2025-09-30"), 1) == D("2025-10-09")

    # A holiday can be turned into a working day too.
    CalendarOverride.objects.create(date=D("2025-10-08"), is_working_day=True, name="Make-up")
    assert add_working_days(D("2025-09-30"), 1) == D("2025-10-08")

    CalendarOverride.objects.all().delete()
    assert is_working_day(D("2025-10-08")) is False
    assert add_working_days(D("2025-09-30"), 1) == D("2025-10-09")


@pytest.mark.django_db
def test_change_from_another_process_is_noticed():
    """A change made elsewhere (no signal in this process) is picked up through the override stamp."""
    override = CalendarOverride.objects.create(date=D("2025-10-10"), is_working_day=True, name="x")
    assert is_working_day(D("2025-10-10")) is True
    CalendarOverride.objects.filter(pk=override.pk).update(is_working_day=False, updated_at=timezone.now())
    assert is_working_day(D("2025-10-10")) is False


@pytest.mark.django_db
def test_beyond_the_package_falls_back_to_weekdays_with_a_warning(caplog):
    year = calendar.PACKAGE_LAST_YEAR + 1
    calendar._warned_years.discard(year)
    new_year = dt.date(year, 1, 1)
    with caplog.at_level(logging.WARNING, logger="bangfu.workdays.calendar"):
        assert is_working_day(new_year) is (new_year.weekday() < 5)
    assert any(str(year) in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)

    # Mon–Fri fallback: 10 working days after a Monday is the Monday two weeks later.
    monday = new_year + dt.timedelta(days=(7 - new_year.weekday()) % 7 or 7)
    assert add_working_days(monday, 10) == monday + dt.timedelta(days=14)

    # An override supplies the missing holiday.
    CalendarOverride.objects.create(date=monday + dt.timedelta(days=1), is_working_day=False, name="Holiday")
    assert add_working_days(monday, 10) == monday + dt.timedelta(days=15)


def test_bad_input_is_a_type_error():
    with pytest.raises(TypeError):
        calendar.WorkingCalendar().is_working_day("2025-10-01")
