"""SPEC §13 calendar sources and due times across Spring Festival 2027, worked out by hand.

SLA rules (SPEC §3 as lib.sla implements them): a working day counts 24 working hours; 24 working hours
for a first response (48 for the forum), 3 working days (72 h) for an important complaint, 7 (168 h)
for an ordinary one; urgent ones count calendar hours.

The "entered" 2027 schedule below is a test schedule (the real notice may differ): days off Fri 5 –
Fri 12 Feb 2027, make-up working days Sun 14 Feb and Sat 20 Feb. The estimate for 2027 (2024 rules,
no make-up days): 春节 New Year's Eve Fri 5 Feb + days 1–3 (Sat 6 – Mon 8 Feb), the weekend days 6/7
given back on Tue 9 / Wed 10 Feb → off Fri 5 – Wed 10 Feb.
"""
from datetime import date, datetime

import pytest

from lib import statutory_calendar
from lib.sla import add_working_hours, due_times, due_times_many, estimated, is_working_day

ENTERED_2027 = {"2027": {"holidays": [f"2027-02-{d:02d}" for d in range(5, 13)],
                         "workdays": ["2027-02-14", "2027-02-20"]}}


@pytest.fixture(autouse=True)
def _no_entries():
    statutory_calendar.install({})
    yield
    statutory_calendar.install({})


def test_2026_comes_from_the_library_and_is_the_published_schedule():
    # 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号)
    published = {"holidays": [(1, 1, 3), (2, 15, 23), (4, 4, 6), (5, 1, 5), (6, 19, 21), (9, 25, 27), (10, 1, 7)],
                 "workdays": [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]}
    cal = statutory_calendar.year_calendar(2026)
    assert cal.source == "library"
    assert cal.holidays == {date(2026, m, d) for m, first, last in published["holidays"]
                            for d in range(first, last + 1)}
    assert cal.workdays == {date(2026, m, d) for m, d in published["workdays"]}


def test_2027_is_estimated_until_entered():
    cal = statutory_calendar.year_calendar(2027)
    assert (cal.source, cal.workdays) == ("estimated", frozenset())
    # fixed dates: 元旦 Fri 1 Jan (+ the weekend); 劳动节 1–2 May (Sat/Sun, given back Mon 3 / Tue 4);
    # 国庆 1–3 Oct (Fri–Sun, Sat/Sun given back Mon 4 / Tue 5); lunar: 春节 as above, 清明 Mon 5 Apr,
    # 端午 Wed 9 Jun (五月初五), 中秋 Wed 15 Sep (八月十五)
    assert {date(2027, 1, 1), date(2027, 4, 5), date(2027, 6, 9), date(2027, 9, 15)} <= cal.holidays
    assert {date(2027, 2, d) for d in range(5, 11)} <= cal.holidays and date(2027, 2, 11) not in cal.holidays
    assert {date(2027, 5, d) for d in (1, 2, 3, 4)} <= cal.holidays
    assert {date(2027, 10, d) for d in range(1, 6)} <= cal.holidays
    statutory_calendar.install(ENTERED_2027)
    assert statutory_calendar.year_calendar(2027).source == "override"
    assert statutory_calendar.year_calendar(2026).source == "library"


def test_important_complaint_across_spring_festival_on_the_estimate():
    # Thu 4 Feb 10:00. First response: 14 h on 4 Feb, 5–10 Feb off, 10 h of Thu 11 Feb → 11 Feb 10:00.
    # Resolution 72 h: 14 (4 Feb) + 24 (11 Feb) + 24 (12 Feb) = 62, weekend 13/14 off, 10 h of Mon 15 Feb.
    d = due_times(datetime(2027, 2, 4, 10), "hotline", "important", True)
    assert (d.first_response_due_at, d.resolution_due_at) == (datetime(2027, 2, 11, 10), datetime(2027, 2, 15, 10))
    assert estimated(datetime(2027, 2, 4, 10), "hotline", "important", True, *d.__dict__.values()) == (True, True)


def test_important_complaint_across_spring_festival_as_entered():
    statutory_calendar.install(ENTERED_2027)
    # Thu 4 Feb 10:00. First response: 14 h on 4 Feb, 5–12 Feb off, Sat 13 off, Sun 14 is a make-up day:
    # 10 h of it → Sun 14 Feb 10:00. Resolution 72 h: 14 + 24 (Sun 14) + 24 (Mon 15) = 62, 10 h of Tue 16.
    d = due_times(datetime(2027, 2, 4, 10), "hotline", "important", True)
    assert (d.first_response_due_at, d.resolution_due_at) == (datetime(2027, 2, 14, 10), datetime(2027, 2, 16, 10))
    assert estimated(datetime(2027, 2, 4, 10), "hotline", "important", True, *d.__dict__.values()) == (False, False)


@pytest.mark.parametrize(("entered", "first", "resolution"), [
    # Fri 19 Feb 15:00, ordinary: 9 h on Fri 19. Entered: Sat 20 is a make-up day → first response
    # Sat 20 15:00; resolution 168 h = 9 + 24 (Sat 20) + 5 × 24 (Mon 22 – Fri 26) = 153, + 15 h of Mon 1 Mar.
    (True, datetime(2027, 2, 20, 15), datetime(2027, 3, 1, 15)),
    # Estimate: no make-up Saturday → first response Mon 22 15:00; 9 + 5 × 24 (22–26) + 24 (Mon 1 Mar)
    # = 153, + 15 h of Tue 2 Mar.
    (False, datetime(2027, 2, 22, 15), datetime(2027, 3, 2, 15)),
])
def test_make_up_saturday(entered, first, resolution):
    if entered:
        statutory_calendar.install(ENTERED_2027)
    assert is_working_day(date(2027, 2, 20)) is entered
    d = due_times(datetime(2027, 2, 19, 15), "wechat", "ordinary", True)
    assert (d.first_response_due_at, d.resolution_due_at) == (first, resolution)
    # the import path (NumPy) agrees, and follows the switch too
    assert due_times_many([datetime(2027, 2, 19, 15)], ["wechat"], ["ordinary"], [True]) == ([first], [resolution])


def test_calendar_hours_and_confirmed_years_are_not_marked_estimated():
    # urgent: 2 and 24 calendar hours, whatever the calendar
    received = datetime(2027, 2, 5, 9)
    d = due_times(received, "hotline", "urgent", True)
    assert estimated(received, "hotline", "urgent", True, d.first_response_due_at, d.resolution_due_at) == (False,
                                                                                                            False)
    # non-responsible urgent: resolution counts working days → estimated
    d = due_times(received, "hotline", "urgent", False)
    assert estimated(received, "hotline", "urgent", False, d.first_response_due_at, d.resolution_due_at) == (False,
                                                                                                             True)
    # 2026 only: library
    assert estimated(datetime(2026, 3, 2, 9), "hotline", "ordinary", True,
                     datetime(2026, 3, 3, 9), datetime(2026, 3, 11, 9)) == (False, False)
    # a window from late December 2026 into January 2027 is estimated
    d = due_times(datetime(2026, 12, 30, 9), "hotline", "ordinary", True)
    assert estimated(datetime(2026, 12, 30, 9), "hotline", "ordinary", True, d.first_response_due_at,
                     d.resolution_due_at) == (False, True)


def test_add_working_hours_over_new_year_2027_estimate():
    # Thu 31 Dec 2026 12:00 + 24 h: 12 h on 31 Dec, Fri 1 Jan (元旦) and the weekend off, 12 h of Mon 4 Jan.
    assert add_working_hours(datetime(2026, 12, 31, 12), 24) == datetime(2027, 1, 4, 12)
