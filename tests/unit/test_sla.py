"""SLA clocks on the statutory calendar; expected times worked out by hand from the 2025 schedule."""
import random
from datetime import date, datetime, time, timedelta

import pytest

from lib.sla import add_working_hours, due_times, due_times_many, is_working_day, working_hours_between


@pytest.mark.parametrize(("day", "working"), [
    (date(2025, 9, 26), True),    # Friday
    (date(2025, 9, 27), False),   # Saturday
    (date(2025, 9, 28), True),    # Sunday, make-up working day for National Day
    (date(2025, 10, 1), False),   # National Day
    (date(2025, 10, 8), False),   # last day of the 2025 National Day / Mid-Autumn break
    (date(2025, 10, 9), True),
    (date(2025, 10, 11), True),   # Saturday, make-up working day
    (date(2025, 10, 12), False),  # Sunday
])
def test_statutory_calendar(day, working):
    assert is_working_day(day) is working


def test_hotline_first_response_over_a_weekend():
    # Fri 15:00 + 24 working hours: 9 h on Friday, Sat off, Sun 28 Sep is a make-up day → Sun 15:00.
    assert add_working_hours(datetime(2025, 9, 26, 15), 24) == datetime(2025, 9, 28, 15)


def test_ordinary_weekend_skips_two_days():
    # Fri 14 Mar 2025 10:00 + 24 working hours: 14 h Fri, Sat/Sun off, 10 h Monday.
    assert add_working_hours(datetime(2025, 3, 14, 10), 24) == datetime(2025, 3, 17, 10)


def test_across_national_day():
    # Tue 30 Sep 10:00: 14 h that day, 1–8 Oct off, 10 h on Thu 9 Oct.
    assert add_working_hours(datetime(2025, 9, 30, 10), 24) == datetime(2025, 10, 9, 10)


def test_received_on_a_holiday_starts_next_working_day():
    assert add_working_hours(datetime(2025, 10, 3, 12), 24) == datetime(2025, 10, 10, 0)


def test_forum_gets_48_working_hours():
    d = due_times(datetime(2025, 9, 26, 15), "forum", "ordinary", True)
    # 9 h Fri + 24 h Sun 28 + 15 h Mon 29 = 48 h → Mon 29 Sep 15:00.
    assert d.first_response_due_at == datetime(2025, 9, 29, 15)


def test_urgent_uses_calendar_hours_whatever_the_channel():
    d = due_times(datetime(2025, 10, 1, 23, 30), "forum", "urgent", True)
    assert d.first_response_due_at == datetime(2025, 10, 2, 1, 30)
    assert d.resolution_due_at == datetime(2025, 10, 2, 23, 30)


def test_important_three_working_days_across_holiday():
    # Mon 29 Sep 09:00: 15 h Mon + 24 h Tue 30 = 39 h; Oct 1–8 off; 33 h left → Thu 9 (24) + Fri 10 09:00.
    d = due_times(datetime(2025, 9, 29, 9), "hotline", "important", True)
    assert d.resolution_due_at == datetime(2025, 10, 10, 9)


def test_non_responsible_seven_working_days():
    # Mon 3 Mar 2025 00:00 + 7 working days → Wed 12 Mar 00:00 (weekend 8–9 skipped).
    d = due_times(datetime(2025, 3, 3), "hotline", None, False)
    assert d.resolution_due_at == datetime(2025, 3, 12)


def test_working_hours_between_counts_only_working_time():
    assert working_hours_between(datetime(2025, 9, 30, 10), datetime(2025, 10, 9, 10)) == 24
    assert working_hours_between(datetime(2025, 9, 30, 10), datetime(2025, 9, 30, 9)) == 0


def test_admin_settings_override_defaults():
    d = due_times(datetime(2025, 3, 3), "hotline", "ordinary", True, {"first_response_working_hours": 12})
    assert d.first_response_due_at == datetime(2025, 3, 3, 12)


def _days(year: int, *spans: tuple[int, int, int] | tuple[int, int]) -> set[date]:
    """(month, first, last) day ranges or (month, day) single days of one year."""
    out = set()
    for span in spans:
        month, first, last = span if len(span) == 3 else (*span, span[1])
        out |= {date(year, month, d) for d in range(first, last + 1)}
    return out


# The reference's own calendar facts (not lib.sla's): days off and make-up working days (调休) of the
# State Council notices for 2024 (国办发明电〔2023〕7号), 2025 (国办发明电〔2024〕12号) and 2026
# (国办发明电〔2025〕7号), and for January–February 2027, which no notice covers yet, the estimate of
# SPEC §13 worked out by hand (元旦 Fri 1 Jan; 春节 New Year's Eve Fri 5 Feb + days 1–3 Sat 6 – Mon 8,
# the weekend days given back on Tue 9 / Wed 10 → off 5–10 Feb; no make-up days).
REFERENCE_OFF = (
    _days(2024, (1, 1), (2, 10, 17), (4, 4, 6), (5, 1, 5), (6, 10), (9, 15, 17), (10, 1, 7))
    | _days(2025, (1, 1), (1, 28, 31), (2, 1, 4), (4, 4, 6), (5, 1, 5), (5, 31), (6, 1, 2), (10, 1, 8))
    | _days(2026, (1, 1, 3), (2, 15, 23), (4, 4, 6), (5, 1, 5), (6, 19, 21), (9, 25, 27), (10, 1, 7))
    | _days(2027, (1, 1), (2, 5, 10)))
REFERENCE_ON = (_days(2024, (2, 4), (2, 18), (4, 7), (4, 28), (5, 11), (9, 14), (9, 29), (10, 12))
                | _days(2025, (1, 26), (2, 8), (4, 27), (9, 28), (10, 11))
                | _days(2026, (1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)))
REFERENCE_UNTIL = date(2027, 2, 28)  # the last day the facts above cover


def _reference_working_day(day: date) -> bool:
    assert date(2024, 1, 1) <= day <= REFERENCE_UNTIL, f"{day} is outside the reference calendar"
    return day not in REFERENCE_OFF and (day.weekday() < 5 or day in REFERENCE_ON)


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_the_library_calendar_is_the_published_notice(year):
    # every day of the year, against the hand-entered notice
    day = date(year, 1, 1)
    while day.year == year:
        assert is_working_day(day) is _reference_working_day(day), day
        day += timedelta(days=1)


def _walk_day_by_day(start: datetime, hours: float) -> datetime:
    """The obvious algorithm, kept as the reference: walk day by day, spending working days."""
    remaining, cursor = timedelta(hours=hours), start
    while True:
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time.min)
        if _reference_working_day(cursor.date()):
            if remaining <= next_midnight - cursor:
                return cursor + remaining
            remaining -= next_midnight - cursor
        cursor = next_midnight


def test_add_working_hours_agrees_with_a_day_by_day_walk():
    # Starts across three years (holidays, make-up days, year ends, the walk running on into the
    # estimated January–February 2027), at exact midnights and odd seconds, for every SLA length a
    # setting can give.
    rng = random.Random(20261123)
    starts = [datetime(2024, 1, 1) + timedelta(seconds=rng.randrange(3 * 365 * 86400)) for _ in range(3000)]
    starts += [datetime(2025, 9, 30), datetime(2025, 10, 1), datetime(2025, 12, 31, 23, 59, 59),
               datetime(2026, 12, 31, 12), datetime(2025, 1, 25), datetime(2025, 2, 4, 0, 0, 0, 1),
               datetime(2024, 2, 4, 9), datetime(2026, 2, 28, 23, 59, 59), datetime(2026, 12, 31, 23, 59, 59)]
    for start in starts:
        for hours in (0, 0.1, 0.5, 1 / 3, 2, 12.25, 24, 48, 72, 168, 24 * 30):
            assert add_working_hours(start, hours) == _walk_day_by_day(start, hours), (start, hours)


def test_due_times_for_a_whole_import_match_the_day_by_day_walk():
    # An import computes every row's due times at once (due_times_many). Each must be the walk's
    # moment for that row's rule (SPEC §3), with the admin's settings and without.
    rng = random.Random(7)
    starts = [datetime(2024, 1, 1) + timedelta(microseconds=rng.randrange(3 * 365 * 86400 * 10**6)) for _ in range(2000)]
    starts += [datetime(2025, 9, 30, 10), datetime(2025, 10, 1), datetime(2025, 12, 31, 23, 59, 59)]
    channels = [rng.choice(["hotline", "forum", "wechat"]) for _ in starts]
    severities = [rng.choice(["urgent", "important", "ordinary", None]) for _ in starts]
    responsible = [rng.random() < 0.7 for _ in starts]
    for sla, hours in ((None, {"first": 24, "forum": 48, "urgent_first": 2, "urgent": 24, "important": 72,
                               "ordinary": 168, "other": 168}),
                       ({"first_response_working_hours": 12.5, "resolution_ordinary_working_days": 30},
                        {"first": 12.5, "forum": 48, "urgent_first": 2, "urgent": 24, "important": 72,
                         "ordinary": 720, "other": 168})):
        first, resolution = due_times_many(starts, channels, severities, responsible, sla)
        for i, start in enumerate(starts):
            if severities[i] == "urgent":
                expected_first = start + timedelta(hours=hours["urgent_first"])
            else:
                expected_first = _walk_day_by_day(start, hours["forum" if channels[i] == "forum" else "first"])
            if not responsible[i]:
                expected_resolution = _walk_day_by_day(start, hours["other"])
            elif severities[i] == "urgent":
                expected_resolution = start + timedelta(hours=hours["urgent"])
            else:
                expected_resolution = _walk_day_by_day(start, hours["important" if severities[i] == "important"
                                                                  else "ordinary"])
            assert (first[i], resolution[i]) == (expected_first, expected_resolution), (start, i)
    # by hand: Tue 30 Sep 2025 10:00, hotline, not responsible (see test_non_responsible_seven_working_days)
    assert due_times_many([datetime(2025, 9, 30, 10)], ["hotline"], ["important"], [False]) == (
        [datetime(2025, 10, 9, 10)], [datetime(2025, 10, 16, 10)])
