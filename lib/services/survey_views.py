"""What the Surveys page shows: KPIs with n, intervals and tested changes; trend; benchmarks; heat map;
drivers; the responses behind a cell. All aggregation happens in SQL (lib.kpis.surveys); this module
only turns sufficient statistics into estimates (lib.stats)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import analytics, stats
from lib.kpis import surveys as kpis
from lib.kpis.common import KpiFilter
from lib.models import Benchmark, Company, Project, SurveyWave

HEADLINE = ("satisfaction_score", "satisfaction_rate", "nps")
SCORES = ("satisfaction_score", "score_housing_quality", "score_maintenance", "score_property_service",
          "score_complaint_handling")
DIMENSION_OF = dict(zip(SCORES, kpis.DIMENSIONS, strict=True))
RESPONSE_LIMIT = 500


@dataclass(frozen=True)
class Figure:
    """One KPI for the period, with its change vs the previous period and vs the same period last year."""
    estimate: stats.Estimate
    vs_previous: stats.Change
    vs_last_year: stats.Change


def estimate(name: str, r: dict[str, Any]) -> stats.Estimate:
    """A KPI of SPEC §7 from one row of sufficient statistics."""
    if name == "satisfaction_rate":
        return stats.rate(int(r.get("top2") or 0), int(r.get("overall_n") or 0))
    if name == "nps":
        return stats.nps(int(r.get("promoters") or 0), int(r.get("detractors") or 0), int(r.get("recommend_n") or 0))
    dim = DIMENSION_OF[name]
    return stats.mean(int(r.get(f"{dim}_n") or 0), r.get(f"{dim}_sum"), r.get(f"{dim}_sumsq"))


def change(name: str, a: dict[str, Any], b: dict[str, Any]) -> stats.Change:
    """Period a minus period b, tested as SPEC §7 says (z for rates, Welch for means)."""
    def n(r, key):
        return int(r.get(key) or 0)
    if name == "satisfaction_rate":
        return stats.rate_change(n(a, "top2"), n(a, "overall_n"), n(b, "top2"), n(b, "overall_n"))
    if name == "nps":
        return stats.nps_change(n(a, "promoters"), n(a, "detractors"), n(a, "recommend_n"),
                                n(b, "promoters"), n(b, "detractors"), n(b, "recommend_n"))
    dim = DIMENSION_OF[name]
    return stats.mean_change(n(a, f"{dim}_n"), a.get(f"{dim}_sum"), a.get(f"{dim}_sumsq"),
                             n(b, f"{dim}_n"), b.get(f"{dim}_sum"), b.get(f"{dim}_sumsq"))


# What the Surveys page shows of one period: its totals, the trend and the project heatmap.
PAGE_SETS: tuple[kpis.Grouping, ...] = (None, ("month", "touchpoint"), ("project",))


def _stats(flt: KpiFilter, grouping: kpis.Grouping, session: Session) -> list[dict[str, Any]]:
    """One grouping of a period's statistics. On the analytic mirror the page's groupings are read in
    one statement; whichever view asks first pays, the others get it from the mirror's memo."""
    if grouping in PAGE_SETS and analytics.wanted(session, "survey_response"):
        return kpis.raw_stats_sets(flt, PAGE_SETS, session=session)[grouping]
    return kpis.raw_stats_sets(flt, (grouping,), session=session)[grouping]


def _first(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return rows[0] if rows else {}


def _totals(flt: KpiFilter, session: Session) -> dict[str, Any]:
    """The period's total statistics, as the page reads them (on the mirror, with its trend and heatmap)."""
    return _first(_stats(flt, None, session))


def summary(flt: KpiFilter, *, session: Session) -> dict[str, Any]:
    """responses (n) and every headline and dimension KPI as a Figure."""
    now = _totals(flt, session)  # the periods compared with are not drawn: their totals only
    before = _first(kpis.raw_stats(flt.previous_period(), session=session))
    last_year = _first(kpis.raw_stats(flt.shifted(years=-1), session=session))
    figures = {name: Figure(estimate(name, now), change(name, now, before), change(name, now, last_year))
               for name in (*HEADLINE, *SCORES[1:])}
    return {"responses": int(now.get("responses") or 0),
            "responses_previous": int(before.get("responses") or 0),
            "responses_last_year": int(last_year.get("responses") or 0), "figures": figures}


def trend(flt: KpiFilter, *, session: Session, kpi: str = "satisfaction_score") -> pd.DataFrame:
    """Monthly KPI per touchpoint with its 95% interval (already aggregated: a few rows per month)."""
    rows = _stats(flt, ("month", "touchpoint"), session)
    out = []
    for r in rows:
        e = estimate(kpi, r)
        out.append({"month": r["month"], "touchpoint": r["touchpoint"], "n": e.n, "value": e.value,
                    "low": e.low, "high": e.high})
    return pd.DataFrame(out, columns=["month", "touchpoint", "n", "value", "low", "high"])


def benchmarks(*, session: Session) -> pd.DataFrame:
    rows = session.execute(select(Benchmark.year, Benchmark.dimension, Benchmark.value)
                           .order_by(Benchmark.year.desc(), Benchmark.dimension)).all()
    return pd.DataFrame(rows, columns=["year", "dimension", "value"])


def versus_benchmark(flt: KpiFilter, *, session: Session) -> pd.DataFrame:
    """Each dimension's score with its interval against the industry benchmark of the period's last year."""
    now = _totals(flt, session)
    bench = {d: v for d, v in session.execute(select(Benchmark.dimension, Benchmark.value)
                                              .where(Benchmark.year == flt.end.year)).all()}
    out = []
    for name in SCORES:
        e = estimate(name, now)
        dim = DIMENSION_OF[name]
        b = bench.get(dim)
        out.append({"dimension": dim, "n": e.n, "value": e.value, "low": e.low, "high": e.high,
                    "benchmark": b, "vs_industry": None if e.value is None or b is None else e.value - b,
                    "year": flt.end.year})
    return pd.DataFrame(out)


def heatmap(flt: KpiFilter, *, session: Session, by: str = "project") -> pd.DataFrame:
    """Mean score per (project, dimension) with n; one row per cell that has answers. `few`: fewer
    answers than the admin's minimum sample (the satisfaction score's, for every dimension): the cell
    is greyed "too few" (issue #23)."""
    from lib.services import settings

    least = settings.min_sample(session=session).get("satisfaction_score", 1)
    out = []
    for r in _stats(flt, (by,), session):
        for name in SCORES:
            e = estimate(name, r)
            if e.n:
                out.append({"key": r[by], "dimension": DIMENSION_OF[name], "n": e.n, "value": e.value,
                            "low": e.low, "high": e.high, "few": e.n < least})
    return pd.DataFrame(out, columns=["key", "dimension", "n", "value", "low", "high", "few"])


def drivers(flt: KpiFilter, *, session: Session) -> pd.DataFrame:
    """Importance (Pearson r with overall, over answers that have both) vs performance (mean score).
    Each dimension's n, Σx and Σx² are the period's totals the page has read already (on the mirror,
    its memo answers); only the sums with overall are read here."""
    now = _totals(flt, session)
    cross = kpis.driver_cross_sums(flt, session=session)
    out = []
    for name in SCORES[1:]:
        dim = DIMENSION_OF[name]
        n = int(now.get(f"{dim}_n") or 0)  # overall is never blank, so these are all the answers to the dimension
        sx, sxx, c = float(now.get(f"{dim}_sum") or 0), float(now.get(f"{dim}_sumsq") or 0), cross[dim]
        out.append({"dimension": dim, "n": n,
                    "importance": stats.pearson(n, sx, c["sy"], sxx, c["syy"], c["sxy"]),
                    "performance": sx / n if n else None})
    return pd.DataFrame(out, columns=["dimension", "n", "importance", "performance"])


def responses(flt: KpiFilter, *, session: Session, limit: int = RESPONSE_LIMIT) -> pd.DataFrame:
    """The answers behind a cell, newest first, without the respondent key (no personal data)."""
    R = kpis.R
    stmt = (select(R.surveyed_on, Company.name.label("company"), Project.name.label("project"), R.touchpoint,
                   SurveyWave.method, SurveyWave.vendor, R.scale, R.overall, *[getattr(R, d) for d in kpis.DIMENSIONS[1:]],
                   R.recommend)
            .select_from(kpis.joined()).where(*kpis.conditions(flt))
            .order_by(R.surveyed_on.desc(), R.id.desc()).limit(limit))
    return pd.DataFrame(session.execute(stmt).mappings().all(),
                        columns=["surveyed_on", "company", "project", "touchpoint", "method", "vendor", "scale",
                                 "overall", *kpis.DIMENSIONS[1:], "recommend"])
