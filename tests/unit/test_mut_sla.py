"""SLA rules the mutation run (scripts/mutate.py) found unheld; due times worked on the 2025 calendar
(1–8 Oct National Day, Sat 11 Oct a make-up working day)."""
from datetime import date, datetime

import pytest

from lib import sla, statutory_calendar

RECEIVED = datetime(2025, 9, 30, 10)  # Tuesday before the National Day holiday


@pytest.fixture(autouse=True)
def no_entries():
    statutory_calendar.install({})
    yield
    statutory_calendar.install({})


def test_a_non_responsible_urgent_complaint_gets_the_non_responsible_days_not_24_calendar_hours():
    # first response: urgent, 2 calendar hours → 12:00; resolution: non-responsible, 7 working days:
    # 14 h of 30 Sep + 9, 10, 11 (Sat make-up), 13, 14, 15 Oct + 10 h of 16 Oct → 16 Oct 10:00
    due = sla.due_times(RECEIVED, "hotline", "urgent", False)
    assert (due.first_response_due_at, due.resolution_due_at) == (datetime(2025, 9, 30, 12), datetime(2025, 10, 16, 10))
    first, resolution = sla.due_times_many([RECEIVED], ["hotline"], ["urgent"], [False])
    assert (first[0], resolution[0]) == (datetime(2025, 9, 30, 12), datetime(2025, 10, 16, 10))


def test_an_admins_entries_override_the_library_for_a_year_it_covers():
    # 30 Sep 2025 (Tue) is a working day in the library; entered as a holiday it is not. The entries
    # replace the year whole (here: one holiday only, so 1 Oct is an ordinary Wednesday): 24 working
    # hours from Mon 29 Sep 10:00 run 14 h of 29 Sep + (30 Sep off) 10 h of 1 Oct → 1 Oct 10:00.
    assert statutory_calendar.is_working_day(date(2025, 9, 30))
    statutory_calendar.install({"2025": {"holidays": ["2025-09-30"], "workdays": []}})
    assert not statutory_calendar.is_working_day(date(2025, 9, 30))
    assert sla.add_working_hours(datetime(2025, 9, 29, 10), 24) == datetime(2025, 10, 1, 10)
