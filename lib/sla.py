"""SLA clocks of SPEC §3 on the mainland-China statutory working calendar (lib.statutory_calendar)."""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from lib import statutory_calendar

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
    """Statutory calendar (SPEC §13): holidays off, make-up (调休) weekends on; a year comes from the
    admin's entries, else the library, else the estimate (see lib.statutory_calendar)."""
    return statutory_calendar.is_working_day(day)


def _drop_cached_days() -> None:
    for cached in (is_working_day, _working_days, _nth_working_day, _calendar):
        cached.cache_clear()


def add_working_hours(start: datetime, hours: float) -> datetime:
    """The earliest moment by which `hours` of working time have passed since `start`.

    A working day counts 24 working hours. Counted from the midnight of `start`'s day, the span is
    `hours` plus the part of that day already gone when it is a working day; the span then ends on
    the k-th working day from that day, k = ⌈span / 24 h⌉ − 1, so no loop over days is needed.
    """
    day = start.date()
    span = round(hours * _HOUR)  # whole microseconds: timedelta arithmetic cost 3× more here
    if is_working_day(day):
        span += ((start.hour * 60 + start.minute) * 60 + start.second) * 1_000_000 + start.microsecond
    whole, part = divmod(span, _DAY)
    k = max(0, whole - 1 if part == 0 else whole)
    return datetime.combine(_nth_working_day(day, k), time.min) + timedelta(microseconds=span - k * _DAY)


_HOUR = 3_600_000_000  # microseconds
_DAY = 24 * _HOUR


@lru_cache(maxsize=64)
def _working_days(year: int) -> tuple[int, ...]:
    """Ordinals of one year's working days, in order."""
    first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
    return tuple(n for n in range(first, last + 1) if is_working_day(date.fromordinal(n)))


@lru_cache(maxsize=65536)  # an import asks for the same few thousand (day, k) pairs again and again
def _nth_working_day(day: date, k: int) -> date:
    """The k-th working day on or after `day` (k = 0: the first)."""
    year, ordinal = day.year, day.toordinal()
    while True:
        days = _working_days(year)
        at = bisect_left(days, ordinal) + k
        if at < len(days):
            return date.fromordinal(days[at])
        k = at - len(days)
        year, ordinal = year + 1, 0


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


def due_times_many(
    received_at: list[datetime],
    channel: list[str],
    severity: list[str | None],
    responsible: list[bool],
    sla: dict[str, float] | None = None,
) -> tuple[list[datetime], list[datetime]]:
    """`due_times` of many complaints (an import) at once: the same moments, in NumPy arrays.

    Returns the first-response and the resolution due times, in the order given.
    """
    s = {**DEFAULT_SLA, **(sla or {})}
    start = pd.DatetimeIndex(received_at).as_unit("us").asi8  # microseconds since 1970
    urgent = np.array([v == "urgent" for v in severity], dtype=bool)
    forum = np.array([v == "forum" for v in channel], dtype=bool)
    important = np.array([v == "important" for v in severity], dtype=bool)
    accountable = np.array(responsible, dtype=bool)

    def calendar(hours: float) -> np.ndarray:
        return start + round(hours * _HOUR)

    first = np.where(urgent, calendar(s["first_response_urgent_calendar_hours"]),
                     np.where(forum, _add_working_hours(start, s["first_response_forum_working_hours"]),
                              _add_working_hours(start, s["first_response_working_hours"])))
    resolution = np.select(
        [~accountable, urgent, important],
        [_add_working_hours(start, 24 * s["resolution_non_responsible_working_days"]),
         calendar(s["resolution_urgent_calendar_hours"]),
         _add_working_hours(start, 24 * s["resolution_important_working_days"])],
        _add_working_hours(start, 24 * s["resolution_ordinary_working_days"]))
    return _moments(first), _moments(resolution)


def _add_working_hours(start: np.ndarray, hours: float) -> np.ndarray:
    """`add_working_hours` over an array of moments (microseconds since 1970), same arithmetic."""
    if len(start) == 0:
        return start
    days = start // _DAY
    working_days = _calendar(_year(days.min()), _year(days.max()) + 1 + int(hours // (24 * 200)))
    at = np.searchsorted(working_days, days)  # the first working day on or after each start's day
    working = working_days[np.minimum(at, len(working_days) - 1)] == days
    span = round(hours * _HOUR) + np.where(working, start - days * _DAY, 0)
    whole, part = np.divmod(span, _DAY)
    k = np.maximum(0, np.where(part == 0, whole - 1, whole))
    return working_days[at + k] * _DAY + span - k * _DAY


_EPOCH = date(1970, 1, 1).toordinal()


def _year(day: int) -> int:
    return date.fromordinal(int(day) + _EPOCH).year


@lru_cache(maxsize=16)
def _calendar(first_year: int, last_year: int) -> np.ndarray:
    """Working days of the years given, as days since 1970, in order."""
    return np.array([n - _EPOCH for year in range(first_year, last_year + 1) for n in _working_days(year)],
                    dtype=np.int64)


def _moments(micros: np.ndarray) -> list[datetime]:
    return micros.astype("datetime64[us]").astype(object).tolist()


statutory_calendar.on_change(_drop_cached_days)


def estimated(received_at: datetime, channel: str, severity: str | None, responsible: bool,
              first_due: datetime | None, resolution_due: datetime | None) -> tuple[bool, bool]:
    """Whether the first-response and the resolution due time were counted over a year whose calendar
    is only estimated (calendar-hour targets of urgent complaints never are)."""
    def over_estimate(due: datetime | None, calendar_hours: bool) -> bool:
        return (due is not None and not calendar_hours
                and statutory_calendar.touches_estimate((received_at.date(), due.date())))
    return (over_estimate(first_due, severity == "urgent"),
            over_estimate(resolution_due, responsible and severity == "urgent"))
