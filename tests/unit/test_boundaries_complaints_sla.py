"""Issue #28: SLA due times that the default settings cannot tell apart, and years the holiday library
does not cover, worked out by hand on a calendar.

March 2025 has no statutory holiday (清明 is 4–6 April): Mon 3 – Fri 7 and Mon 10 – Fri 14 Mar are
working days, Sat 8 / Sun 9 are off. A working day counts 24 working hours (SPEC §3).

2030 is past the years the library encodes (its notices end in 2026), so it is estimated (SPEC §13,
lib.statutory_calendar): weekends off, the fixed-date statutory holidays of the 2024 rules off
(元旦 Tue 1 Jan, 劳动节 Wed 1 – Thu 2 May, 国庆 Tue 1 – Thu 3 Oct 2030), no make-up working days, and every
due time counted over it is marked estimated (shown "（估算）").
"""
from datetime import date, datetime

import pytest

from lib import statutory_calendar
from lib.sla import due_times, due_times_many, estimated, is_working_day

SLA = {"resolution_ordinary_working_days": 5, "resolution_non_responsible_working_days": 9,
       "resolution_important_working_days": 2}
MON = datetime(2025, 3, 3, 9)


@pytest.fixture(autouse=True)
def _no_entries():
    statutory_calendar.install({})
    yield
    statutory_calendar.install({})


# Mon 3 Mar 09:00: 15 h of Mon 3, then 24 h a working day.
#  5 days (120 h): 15 + Tue 4 – Fri 7 (96) = 111, weekend off, 9 h of Mon 10 → Mon 10 Mar 09:00
#  9 days (216 h): 111 + Mon 10 – Thu 13 (96) = 207, 9 h of Fri 14 → Fri 14 Mar 09:00
#  2 days (48 h): 15 + 24 (Tue 4) = 39, 9 h of Wed 5 → Wed 5 Mar 09:00
@pytest.mark.parametrize(("severity", "responsible", "resolution"), [
    ("ordinary", True, datetime(2025, 3, 10, 9)),
    (None, False, datetime(2025, 3, 14, 9)),
    ("ordinary", False, datetime(2025, 3, 14, 9)),
    ("important", False, datetime(2025, 3, 14, 9)),  # the non-responsible setting, not the important one
    ("urgent", False, datetime(2025, 3, 14, 9)),     # nor 24 calendar hours
    ("important", True, datetime(2025, 3, 5, 9)),
])
def test_non_responsible_complaints_take_their_own_setting(severity, responsible, resolution):
    assert due_times(MON, "hotline", severity, responsible, SLA).resolution_due_at == resolution
    # the import path computes the same moment
    assert due_times_many([MON], ["hotline"], [severity], [responsible], SLA)[1] == [resolution]


def test_non_responsible_setting_alone_moves_only_non_responsible_due_times():
    # 9 → 3 non-responsible days (72 h: 15 + 24 + 24 = 63, 9 h of Thu 6 → Thu 6 Mar 09:00); ordinary stays 5
    sla = {**SLA, "resolution_non_responsible_working_days": 3}
    assert due_times(MON, "wechat", None, False, sla).resolution_due_at == datetime(2025, 3, 6, 9)
    assert due_times(MON, "wechat", "ordinary", True, sla).resolution_due_at == datetime(2025, 3, 10, 9)
    assert due_times_many([MON, MON], ["wechat"] * 2, [None, "ordinary"], [False, True], sla)[1] == [
        datetime(2025, 3, 6, 9), datetime(2025, 3, 10, 9)]


@pytest.mark.parametrize(("day", "working"), [
    (date(2030, 1, 1), False),    # Tue, 元旦
    (date(2030, 1, 2), True),     # Wed
    (date(2030, 3, 9), False),    # Sat
    (date(2030, 3, 10), False),   # Sun
    (date(2030, 3, 11), True),    # Mon
    (date(2030, 5, 1), False),    # Wed, 劳动节
    (date(2030, 5, 2), False),    # Thu, 劳动节
    (date(2030, 5, 3), True),     # Fri
    (date(2030, 10, 1), False),   # Tue, 国庆
    (date(2030, 10, 3), False),   # Thu, 国庆
    (date(2030, 10, 4), True),    # Fri
    (date(2030, 10, 5), False),   # Sat: no make-up working day in an estimate
])
def test_a_year_the_library_does_not_cover_is_estimated_not_all_working_days(day, working):
    assert statutory_calendar.source(2030) == "estimated"
    assert is_working_day(day) is working


def test_due_times_over_an_estimated_year_skip_its_weekends_and_holidays_and_are_marked():
    # Mon 30 Sep 2030 10:00, ordinary: first response 14 h on Mon 30, 1–3 Oct off, 10 h of Fri 4 → Fri 4 Oct
    # 10:00. Resolution 168 h: 14 + 24 (Fri 4) = 38, Sat 5 / Sun 6 off, Mon 7 – Fri 11 (120) = 158,
    # 10 h of Mon 14 → Mon 14 Oct 10:00. (All working days would give Tue 1 Oct and Mon 7 Oct.)
    received = datetime(2030, 9, 30, 10)
    d = due_times(received, "hotline", "ordinary", True)
    assert (d.first_response_due_at, d.resolution_due_at) == (datetime(2030, 10, 4, 10), datetime(2030, 10, 14, 10))
    assert due_times_many([received], ["hotline"], ["ordinary"], [True]) == ([datetime(2030, 10, 4, 10)],
                                                                             [datetime(2030, 10, 14, 10)])
    assert estimated(received, "hotline", "ordinary", True, d.first_response_due_at, d.resolution_due_at) == (
        True, True)
    # the same complaint in March 2025 (a library year) is not marked
    d = due_times(MON, "hotline", "ordinary", True)
    assert estimated(MON, "hotline", "ordinary", True, d.first_response_due_at, d.resolution_due_at) == (
        False, False)


def test_an_entered_year_replaces_the_estimate():
    # an admin enters 2030 with Sat 5 Oct as a make-up working day: Mon 30 Sep 10:00 + 24 h is still Fri 4 Oct
    # 10:00, resolution 14 + 24 (Fri 4) + 24 (Sat 5) = 62, Mon 7 – Thu 10 (96) = 158, 10 h of Fri 11 → Fri 11 Oct.
    statutory_calendar.install({"2030": {"holidays": ["2030-10-01", "2030-10-02", "2030-10-03"],
                                         "workdays": ["2030-10-05"]}})
    d = due_times(datetime(2030, 9, 30, 10), "hotline", "ordinary", True)
    assert d.resolution_due_at == datetime(2030, 10, 11, 10)
    assert estimated(datetime(2030, 9, 30, 10), "hotline", "ordinary", True, d.first_response_due_at,
                     d.resolution_due_at) == (False, False)
