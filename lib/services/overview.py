"""The executive overview: headline KPI cards against targets, the company league table and the biggest
movers. Every figure comes from lib.kpis.areas.compute (the CLI's own code path)."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib import scope, stats
from lib.kpis import areas
from lib.kpis import surveys as survey_kpis
from lib.kpis.common import KpiFilter, KpiResult
from lib.models import Company, SupervisorIssue
from lib.services import settings, targets
from lib.vocab import ISSUE_DONE

AREA_PAGE = {"complaints": "complaints", "surveys": "surveys", "listening": "listening",
             "supervisors": "supervisors"}


@dataclass(frozen=True)
class Card:
    area: str
    kpi: str
    kind: str
    value: float | None
    previous: float | None
    last_year: float | None
    target: targets.Target | None
    colour: str | None


def _area_kpis(flt: KpiFilter, session: Session) -> dict[str, dict[str, Any]]:
    """Each area's KPIs as the cards show them: no medians, no survey comparisons (no card shows them)."""
    return {area: areas.compute_many(area, flt, (None,), session=session, with_percentiles=False,
                                     with_comparisons=False)[None].kpis for area in areas.AREAS}


@dataclass(frozen=True)
class Board:
    """Everything the overview shows for one filter, each figure computed once."""
    cards: list[Card]
    counts: dict[str, int]
    league: pd.DataFrame
    movers: pd.DataFrame
    trend: pd.DataFrame  # complaints and resolution rate by month
    minimum: dict[str, int] = field(default_factory=dict)  # the admin's minimum sample per KPI (#23)


# The sample behind each KPI a minimum applies to (issue #23): the count its KPI set carries beside it
# (the area's volume where the KPI's own denominator is not carried: on-time and follow-up rates).
SAMPLE_OF = {"resolution_rate": "complaints", "resolution_on_time_rate": "complaints",
             "followup_satisfaction": "complaints", "satisfaction_score": "responses",
             "satisfaction_rate": "responses", "participation_rate_staff": "headcount_staff",
             "participation_rate_management": "headcount_management", "issue_closure_rate": "issues_raised",
             "on_time_closure_rate": "issues_raised"}


def sample(kpi: str, k: dict[str, Any] | None) -> int | None:
    """The n behind `kpi` in one KPI set (None: not one the minimum applies to)."""
    name = SAMPLE_OF.get(kpi)
    return None if name is None or not k else int(k.get(name) or 0)


def too_few(kpi: str, k: dict[str, Any] | None, minimum: dict[str, int]) -> bool:
    """A value there is, on fewer cases than the admin's minimum for the KPI: shown greyed as "too
    few", neither ranked nor tested (the value itself, SPEC §7, is unchanged)."""
    n, least = sample(kpi, k), minimum.get(kpi)
    return bool(k) and k.get(kpi) is not None and n is not None and least is not None and n < least


def _area_sets(flt: KpiFilter, session: Session, *, trend: bool = False) -> tuple[dict, dict, KpiResult | None]:
    """(area → kpis, area → company → kpis, complaints by month if `trend`), each area's period read once
    for all of them."""
    sets = {area: areas.compute_many(area, flt, (None, "company", "month") if trend and area == "complaints"
                                     else (None, "company"), session=session, with_percentiles=False,
                                     with_comparisons=False)
            for area in areas.AREAS}
    return ({area: s[None].kpis for area, s in sets.items()},
            {area: {g["key"]: g["kpis"] for g in s["company"].groups} for area, s in sets.items()},
            sets["complaints"].get("month"))


limited = scope.limited  # `flt` carrying the reach's scope (SPEC §11)


def _unscoped(flt: KpiFilter) -> KpiFilter:
    return replace(flt, scope_projects=None, scope_companies=None)


def _scoped(reach: scope.Reach | None) -> bool:
    return reach is not None and not reach.is_group


def whole_companies(reach: scope.Reach, *, session: Session) -> set[str]:
    """Names of the companies a reach covers whole (a region or company entry): the only league rows
    it may see. A company of which the scope holds single projects is not one: its row would carry
    the figures of its other projects."""
    if not reach.companies:
        return set()
    return set(session.scalars(select(Company.name).where(Company.id.in_(sorted(reach.companies)))))


def visible_league(frame: pd.DataFrame, reach: scope.Reach | None, *, session: Session) -> pd.DataFrame:
    """A league ranked over all companies, cut to the rows a reader may see: each keeps its rank and
    the number ranked ("3 / 12"), and no other company's name or figures remain."""
    if frame.empty or not _scoped(reach):
        return frame
    mine = whole_companies(reach, session=session)
    return frame[frame["company"].isin(mine)].reset_index(drop=True)


def _visible_movers(frame: pd.DataFrame, reach: scope.Reach | None) -> pd.DataFrame:
    if frame.empty or not _scoped(reach):
        return frame
    return frame[frame["company"].isin(reach.company_names)].reset_index(drop=True)


def board(flt: KpiFilter, *, session: Session, reach: scope.Reach | None = None) -> Board:
    """The overview page's one read: the period's area KPIs and its by-company KPIs are shared by the
    cards, the volumes, the league table and the movers, and so are the previous period's. For a
    scoped reach every figure is the scope's; the league is ranked over all companies (one more read
    without the scope) and only the reach's own rows are kept."""
    flt = limited(flt, reach)
    now, companies, by_month = _area_sets(flt, session, trend=True)
    before, companies_before, _ = _area_sets(flt.previous_period(), session)
    table = targets.lookup_table(session=session)
    minimum = settings.min_sample(session=session)
    if _scoped(reach):
        ranked = visible_league(_league(_area_sets(_unscoped(flt), session)[1], table, minimum), reach,
                                session=session)
    else:
        ranked = _league(companies, table, minimum)
    return Board(_cards(flt, now, session, table, before), _counts(now, session, flt), ranked,
                 _visible_movers(_movers(flt, companies, session, before_k=companies_before, minimum=minimum),
                                 reach),
                 trend_frame(by_month), minimum)


def cards(flt: KpiFilter, *, session: Session) -> list[Card]:
    """One card per headline KPI: value, previous period, same period last year, target and colour."""
    return _cards(flt, _area_kpis(flt, session), session, targets.lookup_table(session=session))


def _cards(flt: KpiFilter, now: dict, session: Session, table: dict, before: dict | None = None) -> list[Card]:
    before = before if before is not None else _area_kpis(flt.previous_period(), session)
    # A year-long period's previous period is the same dates a year earlier: read once.
    same = flt.shifted(years=-1) == flt.previous_period()
    year_ago = before if same else _area_kpis(flt.shifted(years=-1), session)
    out = []
    for h in targets.HEADLINES:
        value = now[h.area][h.kpi]
        target = targets.resolve(table, h.kpi, company=_only(flt.companies),
                                 business_line=_only(flt.business_lines))
        out.append(Card(h.area, h.kpi, h.kind, value, before[h.area][h.kpi], year_ago[h.area][h.kpi], target,
                        targets.colour(value, target)))
    return out


def counts(flt: KpiFilter, *, session: Session) -> dict[str, int]:
    """Volumes shown beside the cards (sample sizes behind the rates)."""
    return _counts(_area_kpis(flt, session), session, flt)


def _counts(k: dict, session: Session, flt: KpiFilter | None = None) -> dict[str, int]:
    return {"complaints": k["complaints"]["complaints"], "responses": k["surveys"]["responses"],
            "headcount": k["listening"]["headcount"], "issues_raised": k["supervisors"]["issues_raised"],
            "issues_open": open_issues(flt, session=session)}


def _only(values: tuple[str, ...]) -> str | None:
    return values[0] if len(values) == 1 else None


def _by_company(flt: KpiFilter, session: Session) -> dict[str, dict[str, dict[str, Any]]]:
    """area → company → kpis."""
    return {area: {g["key"]: g["kpis"] for g in areas.compute(area, flt, session=session, by="company",
                                                               with_percentiles=False).groups}
            for area in (*areas.AREAS, *areas.SUPERVISION)}


def league(flt: KpiFilter, *, session: Session, reach: scope.Reach | None = None) -> pd.DataFrame:
    """Companies ranked by a composite: the mean over headline KPIs of value ÷ target (capped at 120%),
    over the KPIs that have both a value and a target and at least the minimum sample. Each KPI also
    carries its colour and `{kpi}__few` (below the minimum: greyed, no colour, not in the composite); a
    company with no such KPI has no composite and no rank; `of` is the number of companies ranked. A
    scoped reach gets only its own companies' rows, ranked among all."""
    minimum = settings.min_sample(session=session)
    if _scoped(reach):
        table = _league(_by_company(_unscoped(flt), session), targets.lookup_table(session=session), minimum)
        return visible_league(table, reach, session=session)
    return _league(_by_company(flt, session), targets.lookup_table(session=session), minimum)


# The call-back check KPIs (SPEC §14) each league row carries.
CHECK_COLUMNS = ("check_coverage", "confirmed_resolution_rate", "handling_compliance_rate")
# ... and the follow-up of dissatisfied survey answers (SPEC §14), also not part of the composite.
FOLLOWUP_COLUMNS = ("followup_on_time_rate", "recovery_rate")


def _league(data: dict, table: dict, minimum: dict[str, int] | None = None) -> pd.DataFrame:
    minimum = minimum or {}
    companies = sorted({c for per in data.values() for c in per if c is not None})
    rows = []
    for company in companies:
        row: dict[str, Any] = {"company": company}
        attainment = []
        for h in targets.HEADLINES:
            k = data[h.area].get(company, {})
            value = k.get(h.kpi)
            target = targets.resolve(table, h.kpi, company=company)
            few = too_few(h.kpi, k, minimum)
            row[h.kpi] = value
            row[f"{h.kpi}__few"] = few
            row[f"{h.kpi}__n"] = sample(h.kpi, k)
            row[f"{h.kpi}__colour"] = None if few else targets.colour(value, target)
            if value is not None and not few and target is not None and target.target > 0:
                attainment.append(min(value / target.target, 1.2))
        for kpi in CHECK_COLUMNS:  # SPEC §14: beside the headlines, not part of the composite
            row[kpi] = data.get("checks", {}).get(company, {}).get(kpi)
        for kpi in FOLLOWUP_COLUMNS:
            row[kpi] = data.get("followups", {}).get(company, {}).get(kpi)
        row["composite"] = None if not attainment else 100.0 * sum(attainment) / len(attainment)
        row["greens"] = sum(row[f"{h.kpi}__colour"] == "green" for h in targets.HEADLINES)
        row["reds"] = sum(row[f"{h.kpi}__colour"] == "red" for h in targets.HEADLINES)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame = frame.sort_values(["composite", "company"], ascending=[False, True], na_position="last")
    ranked = int(frame["composite"].notna().sum())  # no composite (every KPI too few or missing): no rank
    frame.insert(0, "rank", pd.Series([*range(1, ranked + 1), *[None] * (len(frame) - ranked)],
                                      index=frame.index, dtype=object))
    frame.insert(1, "of", ranked)
    return frame.reset_index(drop=True)


def _rate_parts(area: str, kpi: str, k: dict[str, Any]) -> tuple[int, int] | None:
    """(successes, denominator) of the headline rates whose denominator the KPI set carries."""
    denominators = {"resolution_rate": "complaints", "participation_rate_staff": "headcount_staff",
                    "participation_rate_management": "headcount_management", "issue_closure_rate": "issues_raised"}
    name = denominators.get(kpi)
    if name is None or not k or k.get(kpi) is None:
        return None
    n = int(k.get(name) or 0)
    return round(k[kpi] * n), n


MOVER_KPIS = ("resolution_rate", "satisfaction_score", "satisfaction_rate", "participation_rate_staff",
              "participation_rate_management", "issue_closure_rate")


def movers(flt: KpiFilter, *, session: Session, limit: int = 5, reach: scope.Reach | None = None) -> pd.DataFrame:
    """KPI × company with the largest significant change against the previous period.

    Rates are tested with the two-proportion z-test, the satisfaction score with Welch's t-test (both
    two-sided at 5%); size of a change is in points (percentage points for rates). KPIs whose
    denominator is not a count we hold (on-time rates, follow-up satisfaction) are not ranked, nor a
    company whose sample in either period is below the minimum (too few to test). A scoped reach: its
    own companies only, on its own figures."""
    flt = limited(flt, reach)
    return _visible_movers(_movers(flt, _by_company(flt, session), session, limit,
                                   minimum=settings.min_sample(session=session)), reach)


def _movers(flt: KpiFilter, now_k: dict, session: Session, limit: int = 5,
            before_k: dict | None = None, minimum: dict[str, int] | None = None) -> pd.DataFrame:
    minimum = minimum or {}
    prev = flt.previous_period()
    before_k = before_k if before_k is not None else _by_company(prev, session)
    # The same call as surveys.compute_many's inside _area_sets: the mirror's memo answers it.
    survey_now = {r["g"]: r for r in survey_kpis.raw_stats_sets(flt, (None, "company"), session=session)["company"]}
    survey_before = {r["g"]: r for r in
                     survey_kpis.raw_stats_sets(prev, (None, "company"), session=session)["company"]}
    from lib.services.survey_views import change as survey_change

    rows = []
    for kpi in MOVER_KPIS:
        area = targets.AREA_OF[kpi]
        for company in sorted(c for c in now_k[area] if c is not None):
            if too_few(kpi, now_k[area].get(company), minimum) or too_few(kpi, before_k[area].get(company),
                                                                         minimum):
                continue
            if area == "surveys":
                a, b = survey_now.get(company), survey_before.get(company)
                if not a or not b:
                    continue
                ch = survey_change(kpi, a, b)
            else:
                a = _rate_parts(area, kpi, now_k[area].get(company, {}))
                b = _rate_parts(area, kpi, before_k[area].get(company, {}))
                if a is None or b is None:
                    continue
                ch = stats.rate_change(a[0], a[1], b[0], b[1])
            if ch.diff is None or not ch.significant:
                continue
            points = ch.diff * (100.0 if targets.KIND_OF[kpi] == "rate" else 1.0)
            rows.append({"area": area, "kpi": kpi, "company": company, "value": now_k[area][company].get(kpi),
                         "previous": before_k[area].get(company, {}).get(kpi), "change_points": points,
                         "p_value": ch.p_value})
    frame = pd.DataFrame(rows, columns=["area", "kpi", "company", "value", "previous", "change_points", "p_value"])
    if frame.empty:
        return frame
    frame = frame.assign(size=frame["change_points"].abs()).sort_values(["size", "kpi", "company"],
                                                                         ascending=[False, True, True])
    return frame.drop(columns="size").head(limit).reset_index(drop=True)


def open_issues(flt: KpiFilter | None = None, *, session: Session) -> int:
    """Supervisor issues not yet resolved, as of now (a stock, not a flow: the period is not used), in
    the filter's scope (SPEC §11) when it carries one."""
    return session.scalar(select(func.count()).select_from(SupervisorIssue).where(
        SupervisorIssue.source == "supervisor", SupervisorIssue.status.not_in(ISSUE_DONE),
        *scope.where_project(flt, SupervisorIssue.project_id))) or 0


def trend_frame(result: KpiResult) -> pd.DataFrame:
    """Complaint KPIs grouped by month, as the trend chart draws them."""
    return pd.DataFrame(
        [{"month": g["key"], "complaints": g["kpis"]["complaints"],
          "resolution_rate": g["kpis"]["resolution_rate"]} for g in result.groups],
        columns=["month", "complaints", "resolution_rate"],
    )


def month_is_partial(month: str, *, start: date, end: date, today: date) -> bool:
    """A "YYYY-MM" month the period, or the calendar up to today, covers only in part (the current,
    unfinished month; a period cut mid-month): drawn dashed / light and labelled, never like a whole one."""
    try:
        y, m = int(str(month)[:4]), int(str(month)[5:7])
    except ValueError:
        return False
    first, last = date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
    return start > first or min(end, today) < last


def with_partial(df: pd.DataFrame, *, start: date, end: date, today: date) -> pd.DataFrame:
    """`df` (a `month` column) with `partial`: True for a month covered only in part (month_is_partial)."""
    return df.assign(partial=[month_is_partial(m, start=start, end=end, today=today) for m in df["month"]])


def unit_report_status(*, session: Session, reach: scope.Reach | None = None, today: date | None = None):
    """The previous month's unit reports per company in `reach` (issue #25): the overview's section."""
    from lib.db import local_now
    from lib.services import unit_reports
    today = today or local_now().date()
    return unit_reports.status(unit_reports.previous_month(today), session=session, reach=reach, today=today)
