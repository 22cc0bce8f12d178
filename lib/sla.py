"""SLA clocks of SPEC §3 on the mainland-China statutory working calendar (chinese_calendar)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import chinese_calendar

DEFAULT_SLA: dict[str, float] = {
    "first_response_working_hours": 24,
    "first_response_forum_working_hours": 48,
    "first_response_urgent_calendar_hours": 2,
    "resolution_urgent_calendar_hours": 24,
    "resolution_important_working_days": 3,
    "resolution_ordinary_working_days": 7,
    "resolution_non_responsible_working_days": 7,
}


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    """Statutory calendar: holidays off, make-up (调休) weekends on.

    Years the library does not cover yet (the State Council publishes each year's schedule in
    November) fall back to Monday–Friday, which is what the schedule looks like until published.
    """
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_hours(start: datetime, hours: float) -> datetime:
    """The moment `hours` of working time after `start`; a working day counts 24 working hours."""
    remaining = timedelta(hours=hours)
    cursor = start
    while True:
        day = cursor.date()
        next_midnight = datetime.combine(day + timedelta(days=1), time.min)
        if is_working_day(day):
            available = next_midnight - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
        cursor = next_midnight


def working_hours_between(start: datetime, end: datetime) -> float:
    """Working time between two moments, in hours (0 when end ≤ start)."""
    if end <= start:
        return 0.0
    total = timedelta()
    cursor = start
    while cursor < end:
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time.min)
        segment_end = min(next_midnight, end)
        if is_working_day(cursor.date()):
            total += segment_end - cursor
        cursor = segment_end
    return total.total_seconds() / 3600


@dataclass(frozen=True)
class DueTimes:
    first_response_due_at: datetime
    resolution_due_at: datetime


def due_times(
    received_at: datetime,
    channel: str,
    severity: str | None,
    responsible: bool,
    sla: dict[str, float] | None = None,
) -> DueTimes:
    s = {**DEFAULT_SLA, **(sla or {})}
    if severity == "urgent":
        first = received_at + timedelta(hours=s["first_response_urgent_calendar_hours"])
    elif channel == "forum":
        first = add_working_hours(received_at, s["first_response_forum_working_hours"])
    else:
        first = add_working_hours(received_at, s["first_response_working_hours"])

    if not responsible:
        resolution = add_working_hours(received_at, 24 * s["resolution_non_responsible_working_days"])
    elif severity == "urgent":
        resolution = received_at + timedelta(hours=s["resolution_urgent_calendar_hours"])
    elif severity == "important":
        resolution = add_working_hours(received_at, 24 * s["resolution_important_working_days"])
    else:  # ordinary, or a responsible complaint whose severity was left blank
        resolution = add_working_hours(received_at, 24 * s["resolution_ordinary_working_days"])
    return DueTimes(first, resolution)
