"""KpiFilter's period arithmetic (lib.kpis.common), which every KPI's date condition is built from;
found unpinned by the mutation run (scripts/mutate.py). Dates worked out on a calendar."""
from datetime import date, datetime

from lib.kpis.common import KpiFilter


def test_bounds_run_from_the_first_days_midnight_to_the_midnight_after_the_last_day():
    # 1–31 Jan: [1 Jan 00:00, 1 Feb 00:00) — a complaint at 31 Jan 23:59:59 is inside, 1 Feb 00:00 is not
    assert KpiFilter(date(2025, 1, 1), date(2025, 1, 31)).bounds() == (datetime(2025, 1, 1), datetime(2025, 2, 1))
    # one day: 28 Feb 2024 → [28 Feb, 29 Feb) in a leap year
    assert KpiFilter(date(2024, 2, 28), date(2024, 2, 28)).bounds() == (datetime(2024, 2, 28), datetime(2024, 2, 29))


def test_previous_period_has_the_same_length_and_ends_the_day_before():
    # 1–31 Mar (31 days) → 29 Jan – 28 Feb 2025 (31 days: 3 in Jan + 28 in Feb)
    prev = KpiFilter(date(2025, 3, 1), date(2025, 3, 31)).previous_period()
    assert (prev.start, prev.end) == (date(2025, 1, 29), date(2025, 2, 28))
    # a single day → the day before
    prev = KpiFilter(date(2025, 1, 1), date(2025, 1, 1)).previous_period()
    assert (prev.start, prev.end) == (date(2024, 12, 31), date(2024, 12, 31))


def test_the_same_period_last_year_keeps_the_dates_and_moves_29_february_to_the_28th():
    last = KpiFilter(date(2025, 1, 1), date(2025, 6, 30)).shifted(years=-1)
    assert (last.start, last.end) == (date(2024, 1, 1), date(2024, 6, 30))
    last = KpiFilter(date(2024, 2, 1), date(2024, 2, 29)).shifted(years=-1)
    assert (last.start, last.end) == (date(2023, 2, 1), date(2023, 2, 28))
