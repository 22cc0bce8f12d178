"""The statutory calendar an admin enters from the State Council notice (SPEC §13): parsed, validated,
stored in the app settings (audited), and the due times it moves recomputed."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy.orm import Session

from lib import statutory_calendar
from lib.errors import DomainError
from lib.imports.reader import read_table
from lib.services import audit, settings
from lib.services.complaints import recompute_due_times
from lib.statutory_calendar import YearCalendar

KEY = "statutory_calendar"
MAX_RANGE_DAYS = 31  # the longest break on record is nine days; a longer range is a typo
_DAY = r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
_RANGE = re.compile(rf"^{_DAY}\s*(?:(?:\.\.|～|~|至|到|—|–)\s*{_DAY})?$")
# file headers and kinds, in either language
DATE_HEADERS = ("date", "日期")
KIND_HEADERS = ("kind", "type", "类型", "类别")
HOLIDAY_KINDS = ("holiday", "off", "假日", "放假", "休", "休息", "节假日")
WORKDAY_KINDS = ("workday", "work", "make-up", "makeup", "调休上班", "上班", "补班", "班")


class CalendarRejected(DomainError):
    """The entries cannot be used; `errors` holds (line, i18n key, params) for each bad line or row."""

    def __init__(self, key: str, errors: list[tuple[int, str, dict]] | None = None, **params: object) -> None:
        super().__init__(key, **params)
        self.errors = errors or []


@dataclass(frozen=True)
class Entry:
    holidays: list[date]
    workdays: list[date]


def parse_days(text: str, *, what: str) -> tuple[list[date], list[tuple[int, str, dict]]]:
    """Lines (or commas) of "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD"; the days and the bad lines."""
    days: list[date] = []
    errors: list[tuple[int, str, dict]] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        for part in (p.strip() for p in line.split(",")):
            if not part:
                continue
            found = _RANGE.match(part)
            try:
                if not found:
                    raise ValueError
                first = date(*map(int, found.groups()[:3]))
                last = date(*map(int, found.groups()[3:])) if found.group(4) else first
            except ValueError:
                errors.append((line_no, "cal_err_date", {"value": part[:40], "what": what}))
                continue
            if not first <= last <= first + timedelta(days=MAX_RANGE_DAYS - 1):
                errors.append((line_no, "cal_err_range", {"value": part[:40], "max": MAX_RANGE_DAYS}))
                continue
            days += [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return days, errors


def parse_file(data: bytes, filename: str) -> Entry:
    """A small CSV/.xlsx with a date column and a kind column (holiday / workday, 放假 / 上班)."""
    frame = read_table(data, filename)
    columns = {str(c).strip().lower(): c for c in frame.columns}
    date_col = next((columns[h] for h in DATE_HEADERS if h in columns), None)
    kind_col = next((columns[h] for h in KIND_HEADERS if h in columns), None)
    if date_col is None or kind_col is None:
        raise CalendarRejected("cal_err_headers")
    holidays: list[date] = []
    workdays: list[date] = []
    errors: list[tuple[int, str, dict]] = []
    for line, value, kind in zip(frame.index, frame[date_col], frame[kind_col], strict=True):
        if value is None and kind is None:
            continue
        kind_text = str(kind or "").strip().lower()
        target = holidays if kind_text in HOLIDAY_KINDS else workdays if kind_text in WORKDAY_KINDS else None
        if target is None:
            errors.append((int(line), "cal_err_kind", {"value": kind_text[:40]}))
            continue
        text = value.date().isoformat() if isinstance(value, datetime | pd.Timestamp) else str(value or "").strip()
        days, bad = parse_days(text.replace(" 00:00:00", ""), what=kind_text)
        errors += [(int(line), key, params) for _, key, params in bad]
        target += days
    if errors:
        raise CalendarRejected("cal_err_rows", errors)
    return Entry(holidays, workdays)


def parse_text(holidays_text: str, workdays_text: str) -> Entry:
    holidays, bad_holidays = parse_days(holidays_text, what="holidays")
    workdays, bad_workdays = parse_days(workdays_text, what="workdays")
    if bad_holidays or bad_workdays:
        raise CalendarRejected("cal_err_rows", bad_holidays + bad_workdays)
    return Entry(holidays, workdays)


def validate(year: int, entry: Entry) -> Entry:
    """Every day in the year; some holidays; make-up days on weekends and not also holidays."""
    errors: list[tuple[int, str, dict]] = []
    if not 2000 <= year <= 2100:
        raise CalendarRejected("cal_err_year", year=year)
    outside = sorted({d for d in entry.holidays + entry.workdays if d.year != year})
    errors += [(0, "cal_err_outside", {"value": d.isoformat(), "year": year}) for d in outside]
    errors += [(0, "cal_err_workday_weekday", {"value": d.isoformat()}) for d in sorted(set(entry.workdays))
               if d.weekday() < 5]
    errors += [(0, "cal_err_both", {"value": d.isoformat()}) for d in sorted(set(entry.holidays) & set(entry.workdays))]
    if not entry.holidays:
        errors.append((0, "cal_err_no_holidays", {"year": year}))
    if errors:
        raise CalendarRejected("cal_err_rows", errors)
    return Entry(sorted(set(entry.holidays)), sorted(set(entry.workdays)))


def set_year(year: int, entry: Entry, *, session: Session, actor: str) -> int:
    """Store an admin's year (audited through the settings) and recompute the due times it can move;
    returns how many complaints changed."""
    entry = validate(year, entry)
    stored = dict(settings.get(KEY, session=session))
    stored[str(year)] = {"holidays": [d.isoformat() for d in entry.holidays],
                         "workdays": [d.isoformat() for d in entry.workdays]}
    settings.put(KEY, stored, session=session, actor=actor)
    audit.record(session=session, actor=actor, action="calendar_set", entity="setting", entity_id=f"{KEY}:{year}",
                 detail={"holidays": len(entry.holidays), "workdays": len(entry.workdays)})
    statutory_calendar.install(stored)
    return recompute_due_times(session=session, actor=actor, touching_year=year)


def show(year: int, *, session: Session) -> dict[str, object]:
    """SPEC §13: {"year", "source", "holidays", "workdays"} in force for `year`."""
    return calendar_of(year, session=session).as_dict()


def calendar_of(year: int, *, session: Session) -> YearCalendar:
    settings.sync_calendar(session=session)
    return statutory_calendar.year_calendar(year)


def unconfirmed_year(today: date, *, session: Session) -> int | None:
    """The year whose due times are being estimated and someone should enter: this year when it is
    only estimated, or next year from 1 November (the notice comes out around then)."""
    settings.sync_calendar(session=session)
    if statutory_calendar.source(today.year) == "estimated":
        return today.year
    if today.month >= 11 and statutory_calendar.source(today.year + 1) == "estimated":
        return today.year + 1
    return None


def messages(exc: CalendarRejected, lang: str) -> list[str]:
    """The rejection and each bad line or row, in `lang` (line 0: about the entries as a whole)."""
    from lib.i18n import t

    lines = [t(exc.key, lang, **exc.params)]
    for line, key, params in exc.errors:
        text = t(key, lang, **params)
        lines.append(t("cal_err_line", lang, line=line, message=text) if line else text)
    return lines
