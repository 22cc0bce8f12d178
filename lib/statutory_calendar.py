"""The mainland-China statutory working calendar of SPEC §13: admin entries → library → estimate.

A year's calendar comes from the first of three sources that knows it:

1. **override**: the days an admin entered from the State Council notice (holidays and make-up
   working days, 调休), stored in the app settings and installed here by `install`;
2. **library**: `holidays` (the vacanza project), for years whose notice it has encoded;
3. **estimated**: for years nobody has confirmed, the statutory holidays of the 2024 revision of
   《全国年节及纪念日放假办法》 (in force 2025) — 元旦 1 Jan, 春节 New Year's Eve and days 1–3,
   清明, 劳动节 1–2 May, 端午, 中秋, 国庆 1–3 Oct — with the lunar dates and the Qingming solar term
   placed by the same library's Chinese calendar, and a holiday that falls on a weekend given the
   next working day off (Article 6 of the rules). No make-up working days: only the notice sets those.

A year is held as its closures ("holidays": every day off of a break, weekends inside it included,
as the notice lists them) and its make-up working weekend days ("workdays"). A day is a working day
when it is not a holiday and is a weekday or a make-up working day.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import holidays
from holidays.countries.china import ChinaStaticHolidays

Source = Literal["override", "library", "estimated"]


@dataclass(frozen=True)
class YearCalendar:
    year: int
    source: Source
    holidays: frozenset[date]
    workdays: frozenset[date]  # make-up working weekend days

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day.weekday() < 5 or day in self.workdays

    def as_dict(self) -> dict[str, object]:
        return {"year": self.year, "source": self.source,
                "holidays": [d.isoformat() for d in sorted(self.holidays)],
                "workdays": [d.isoformat() for d in sorted(self.workdays)]}


# year → (holidays, workdays) entered by an admin; replaced as a whole by `install`
_overrides: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
_on_change: list[Callable[[], None]] = []


def on_change(callback: Callable[[], None]) -> None:
    """`callback` runs whenever the installed entries change (lib.sla drops its cached days)."""
    _on_change.append(callback)


def install(entries: dict[str, dict[str, list[str]]] | None) -> bool:
    """Make the stored admin entries ({"2027": {"holidays": [ISO…], "workdays": [ISO…]}}) the ones in
    force in this process; True when that changed anything (cached working days are then dropped)."""
    parsed = {int(year): (frozenset(date.fromisoformat(d) for d in value.get("holidays", [])),
                          frozenset(date.fromisoformat(d) for d in value.get("workdays", [])))
              for year, value in (entries or {}).items()}
    if parsed == _overrides:
        return False
    _overrides.clear()
    _overrides.update(parsed)
    year_calendar.cache_clear()
    for callback in _on_change:
        callback()
    return True


def library_years() -> frozenset[int]:
    """Years whose State Council notice the library has encoded (its day-off swaps, every year since 2001)."""
    return frozenset(ChinaStaticHolidays.special_public_holidays)


def source(year: int) -> Source:
    if year in _overrides:
        return "override"
    return "library" if year in library_years() else "estimated"


@lru_cache(maxsize=256)
def year_calendar(year: int) -> YearCalendar:
    if year in _overrides:
        days_off, workdays = _overrides[year]
        return YearCalendar(year, "override", days_off, workdays)
    kind: Source = "library" if year in library_years() else "estimated"
    # the neighbouring years too: a notice may move a day of its break into the year before
    table = holidays.China(years=(year - 1, year, year + 1))
    days_off = {d for d in table if d.year == year}
    workdays = {d for d in table.weekend_workdays if d.year == year} if kind == "library" else set()
    return YearCalendar(year, kind, frozenset(_with_weekends(days_off, workdays)), frozenset(workdays))


def _with_weekends(days_off: set[date], workdays: set[date]) -> set[date]:
    """The statutory days off plus the weekend days joined to them: the break as the notice lists it
    ("2月15日至23日放假"), so library years read like the ranges an admin enters."""
    closed = set(days_off)
    for day in days_off:
        for step in (1, -1):
            cursor = day + timedelta(days=step)
            while cursor.weekday() >= 5 and cursor not in workdays and cursor.year == day.year:
                closed.add(cursor)
                cursor += timedelta(days=step)
    return closed


def is_working_day(day: date) -> bool:
    return year_calendar(day.year).is_working_day(day)


def estimated_years(first: int, last: int) -> list[int]:
    return [y for y in range(first, last + 1) if source(y) == "estimated"]


def touches_estimate(days: Iterable[date]) -> bool:
    """Whether a span from the first to the last of `days` crosses a year only estimated."""
    days = list(days)
    return bool(days) and bool(estimated_years(min(days).year, max(days).year))
