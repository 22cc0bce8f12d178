"""Survey KPIs of SPEC §7, dated by surveyed_on; every score first put on 0–100, in SQL."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, column, func, literal, or_, select
from sqlalchemy.orm import Session

from lib import analytics, mirror_registry, scope
from lib.kpis.common import FilterError, KpiFilter, KpiResult, count_if, grouping_sets, month_key, ratio
from lib.models import Benchmark, Company, Project, SurveyResponse, SurveyWave

R = SurveyResponse
DIMENSIONS = ("overall", "housing_quality", "maintenance", "property_service", "complaint_handling")
GROUPS = ("month", "company", "city", "project", "business_line", "touchpoint", "method")


def normalised(column, scale=R.scale):
    """SPEC §7: scale 5 → (x−1)×25, scale 10 → (x−1)×100/9, scale 11 (0–10) → x×10."""
    return case(
        (scale == 5, (column - 1) * 25.0),
        (scale == 10, (column - 1) * 100.0 / 9.0),
        (scale == 11, column * 10.0),
    )


def top2(column, scale=R.scale):
    return or_(and_(scale == 5, column >= 4), and_(scale.in_((10, 11)), column >= 9))


def mirrored_columns(names: tuple[str, ...]) -> tuple[tuple[str, str, Any], ...]:
    """(name, DuckDB type, expression over plain columns) of what the mirror adds to each answer: the
    scores on 0–100 and the top-2-box flag (the scale CASE at every read was most of a survey query's
    time) and the month key."""
    scale = column("scale")
    out = [(f"{dim}_score", "DOUBLE", normalised(column(dim), scale=scale)) for dim in DIMENSIONS]
    out.append(("overall_top2", "BOOLEAN", top2(column("overall"), scale=scale)))
    out.append(("surveyed_month", "VARCHAR", func.strftime(column("surveyed_on"), "%Y-%m")))
    return tuple(out)


def _group_column(session: Session, by: str | None, c=R.__table__.c, *, mirror: bool = False):
    """The column to group by. `c`: the answers' columns (the mirror's sums of them, on the mirror)."""
    columns = {
        "month": lambda: c.surveyed_month if mirror else month_key(session, c.surveyed_on),
        "company": lambda: Company.name,
        "city": lambda: Project.city,
        "project": lambda: Project.name,
        "business_line": lambda: Project.business_line,
        "touchpoint": lambda: c.touchpoint,
        "method": lambda: SurveyWave.method,
    }
    if by is None:
        return None
    if by not in columns:
        raise FilterError(f"surveys cannot be grouped by {by!r}; choose one of {', '.join(GROUPS)}")
    return columns[by]()


def conditions(flt: KpiFilter, c=R.__table__.c, *, dates: bool = True) -> list:
    where = [c.surveyed_on >= flt.start, c.surveyed_on <= flt.end] if dates else []
    where.extend(scope.where_project(flt, c.project_id))
    where.extend(scope.where_names(flt, business_line=Project.business_line))
    if flt.touchpoints:
        where.append(c.touchpoint.in_(flt.touchpoints))
    if flt.methods:
        where.append(SurveyWave.method.in_(flt.methods))
    if flt.channels or flt.categories or flt.severities or flt.responsible is not None:
        raise FilterError("surveys have no channel, category, severity or responsibility filter")
    return where


def joined(answers=R.__table__):
    return (answers.join(Project, Project.id == answers.c.project_id)
            .join(Company, Company.id == Project.company_id)
            .join(SurveyWave, SurveyWave.id == answers.c.wave_id))


def _statistics(c: Any, score, top2_flag) -> list[tuple[str, str, Any]]:
    """The sufficient statistics the survey KPIs take: (name, "count" of the rows where the expression
    is not NULL (None: every row) | "count_if" a condition holds | "sum" of the expression), over the
    answers' columns `c`, each dimension's score on 0–100 (`score(dim)`) and the top-2-box flag."""
    out: list[tuple[str, str, Any]] = [("responses", "count", None)]
    for dim in DIMENSIONS:
        x = score(dim)
        out += [(f"{dim}_n", "count", c[dim]), (f"{dim}_sum", "sum", x), (f"{dim}_sumsq", "sum", x * x)]
    return out + [("top2", "count_if", top2_flag), ("recommend_n", "count", c.recommend),
                  ("promoters", "count_if", c.recommend >= 9), ("detractors", "count_if", c.recommend <= 6)]


def _aggregates() -> list:
    """The sufficient statistics, on the row store."""
    def aggregate(kind, expr):
        if kind == "count":
            return func.count() if expr is None else func.count(expr)
        return count_if(expr) if kind == "count_if" else func.sum(expr)
    return [aggregate(kind, expr).label(name) for name, kind, expr in
            _statistics(R.__table__.c, lambda dim: normalised(getattr(R, dim)), top2(R.overall))]


def _cross_sums(y, score) -> list:
    """Per dimension x, Σy, Σy² and Σxy over the answers that have x (y: overall on 0–100)."""
    parts = []
    for dim in DIMENSIONS[1:]:
        x = score(dim)
        parts += [(f"{dim}_sy", x.is_not(None), y), (f"{dim}_syy", x.is_not(None), y * y), (f"{dim}_sxy", None, x * y)]
    return parts


def mirror_parts(c) -> list[tuple[str, Any]]:
    """What one answer adds to each statistic the survey KPIs sum, over the mirror's columns `c` (scores
    on 0–100 and the top-2-box flag stored ready): (name, expression). The mirror keeps their sums per
    month × project × touchpoint × wave (`lib.analytics`); a read adds those up for a period's whole
    months and adds the answers of its other days one by one."""
    def added(kind, expr):
        if kind == "sum":
            return expr
        if expr is None:
            return literal(1)
        return case((expr.is_not(None) if kind == "count" else expr, 1), else_=0)
    def score(dim):
        return c[f"{dim}_score"]
    parts = [(name, added(kind, expr)) for name, kind, expr in _statistics(c, score, c.overall_top2)]
    return parts + [(name, case((when, value)) if when is not None else value)
                    for name, when, value in _cross_sums(c.overall_score, score)]


mirror_registry.register("survey_response", mirror_registry.MirrorFormulas(
    columns=mirrored_columns, parts=lambda c, now: mirror_parts(c)))
_KINDS = {name: kind for name, kind, _ in _statistics(R.__table__.c, lambda dim: getattr(R, dim), R.overall)}
STATISTICS = tuple(_KINDS)
COUNTS = frozenset(name for name, kind in _KINDS.items() if kind != "sum")
CROSS = tuple(name for name, _, _ in _cross_sums(R.overall, lambda dim: getattr(R, dim)))


@dataclass(frozen=True)
class _Source:
    """Where one filter's statistics are read from: the answers (row store) or the mirror's sums."""
    froms: Any
    where: list
    c: Any
    mirror: bool
    session: Session

    def statistics(self) -> list:
        if not self.mirror:
            return _aggregates()
        return [(func.coalesce(func.sum(self.c[n]), 0) if n in COUNTS else func.sum(self.c[n])).label(n)
                for n in STATISTICS]

    def cross_sums(self) -> list:
        if self.mirror:
            return [func.sum(self.c[n]).label(n) for n in CROSS]
        return [func.sum(case((when, value)) if when is not None else value).label(name)
                for name, when, value in _cross_sums(normalised(R.overall), lambda dim: normalised(getattr(R, dim)))]

    def group(self, by: str | None):
        return _group_column(self.session, by, self.c, mirror=self.mirror)


def _source(flt: KpiFilter, session: Session) -> _Source:
    mirror = session.info.get("mirror")
    if mirror is None:
        return _Source(joined(), conditions(flt), R.__table__.c, False, session)
    parts = mirror.parts("survey_response", flt.start, flt.end)  # the period's dates are applied inside
    return _Source(joined(parts), conditions(flt, parts.c, dates=False), parts.c, True, session)


@analytics.through_mirror("survey_response")
def raw_stats(flt: KpiFilter, *, session: Session, by: str | None = None) -> list[dict[str, Any]]:
    """Sufficient statistics (n, Σx, Σx², counts) per group, for KPIs, intervals and tests."""
    src = _source(flt, session)
    group = src.group(by)
    stmt = select(*([group.label("g")] if group is not None else []), *src.statistics()).select_from(
        src.froms).where(*src.where)
    if group is not None:
        stmt = stmt.group_by(group).order_by(group)
    return [dict(r) for r in session.execute(stmt).mappings().all()]


@analytics.through_mirror("survey_response")
def grouped_stats(flt: KpiFilter, by: tuple[str, ...], *, session: Session) -> list[dict[str, Any]]:
    """raw_stats grouped by several dimensions at once; each row names its keys after them."""
    src = _source(flt, session)
    columns = [src.group(b).label(b) for b in by]
    stmt = (select(*columns, *src.statistics()).select_from(src.froms).where(*src.where)
            .group_by(*columns).order_by(*columns))
    return [dict(r) for r in session.execute(stmt).mappings().all()]


@analytics.through_mirror("survey_response")
def driver_cross_sums(flt: KpiFilter, *, session: Session) -> dict[str, dict[str, float]]:
    """Per dimension, the sums with normalised overall that a Pearson correlation needs besides the
    dimension's own n, Σx and Σx² (raw_stats has those, over the same answers: overall is never blank,
    so "has both" is "has the dimension"): Σy, Σy² and Σxy over the answers that have the dimension."""
    src = _source(flt, session)
    row = session.execute(select(*src.cross_sums()).select_from(src.froms).where(*src.where)).mappings().one()
    return {dim: {k: float(row[f"{dim}_{k}"] or 0) for k in ("sy", "syy", "sxy")} for dim in DIMENSIONS[1:]}


def _mean(r: dict, dim: str) -> float | None:
    return ratio(r.get(f"{dim}_sum"), r.get(f"{dim}_n"))


def kpis_from_stats(r: dict) -> dict[str, Any]:
    n_rec = r.get("recommend_n") or 0
    out: dict[str, Any] = {
        "responses": int(r.get("responses") or 0),
        "satisfaction_score": _mean(r, "overall"),
        "satisfaction_rate": ratio(r.get("top2"), r.get("overall_n")),
        "nps": None if not n_rec else 100.0 * ((r.get("promoters") or 0) - (r.get("detractors") or 0)) / n_rec,
    }
    for dim in DIMENSIONS[1:]:
        out[f"score_{dim}"] = _mean(r, dim)
    return out


def benchmark(year: int, dimension: str, *, session: Session) -> float | None:
    return session.scalar(select(Benchmark.value).where(Benchmark.year == year,
                                                        Benchmark.dimension == dimension))


Grouping = str | tuple[str, ...] | None


@analytics.through_mirror("survey_response")
def raw_stats_sets(flt: KpiFilter, bys: tuple[Grouping, ...], *, session: Session) -> dict[Grouping, list[dict]]:
    """Statistics for several groupings of one filter: None is the total (as raw_stats), a name is
    raw_stats by it (key "g"), a tuple of names is grouped_stats by them (keys named after them). On
    the analytic mirror they are one GROUPING SETS statement: the period's answers are read once."""
    grouped = [by for by in bys if by is not None]
    if session.get_bind().dialect.name != "duckdb" or not grouped:
        return {by: (raw_stats(flt, session=session) if by is None else
                     raw_stats(flt, session=session, by=by) if isinstance(by, str) else
                     grouped_stats(flt, by, session=session)) for by in bys}
    sets = [(by,) if isinstance(by, str) else by for by in grouped]
    dims = dict.fromkeys(d for s in sets for d in s)
    src = _source(flt, session)
    found = grouping_sets(session, {d: src.group(d) for d in dims}, sets, src.statistics(), src.froms, src.where)
    out: dict[Grouping, list[dict]] = {None: found[()]} if None in bys else {}
    for by, s in zip(grouped, sets, strict=True):
        out[by] = ([{"g": r[by]} | {k: v for k, v in r.items() if k != by} for r in found[s]]
                   if isinstance(by, str) else found[s])
    return out


@analytics.through_mirror("survey_response")
def compute(flt: KpiFilter, *, session: Session, by: str | None = None) -> KpiResult:
    return compute_many(flt, (None, by) if by else (None,), session=session)[by]


@analytics.through_mirror("survey_response")
def compute_many(flt: KpiFilter, bys: tuple[str | None, ...], *, session: Session,
                 with_comparisons: bool = True) -> dict[str | None, KpiResult]:
    """`compute` for several groupings of one filter; every result carries the total KPIs.
    `with_comparisons=False` leaves yoy_change and vs_industry out (None): no read of last year."""
    sets = raw_stats_sets(flt, tuple(dict.fromkeys((None, *bys))), session=session)
    kpis = kpis_from_stats(sets[None][0] if sets[None] else {})
    kpis |= {"yoy_change": None, "vs_industry": None}
    score = kpis["satisfaction_score"]
    grouped = [by for by in bys if by is not None]
    year_ago: dict[str | None, list[dict]] = {}
    if with_comparisons and (score is not None or grouped):
        year_ago = raw_stats_sets(flt.shifted(years=-1), tuple(dict.fromkeys((None, *grouped))), session=session)
    if with_comparisons and score is not None:
        last_year = year_ago.get(None) or []
        kpis["yoy_change"] = _yoy(score, last_year[0] if last_year else {})
        bench = benchmark(flt.end.year, "overall", session=session)
        kpis["vs_industry"] = None if bench is None else score - bench
    return {by: KpiResult("surveys", flt.as_json(), dict(kpis), [] if by is None else
                          _groups(by, sets[by], year_ago.get(by) if with_comparisons else None)) for by in bys}


def _yoy(score: float | None, last_year: dict) -> float | None:
    """SPEC §7 yoy_change: the score minus the score of the same period one year earlier, in points."""
    before = kpis_from_stats(last_year)["satisfaction_score"]
    return None if score is None or before is None else score - before


def _year_earlier_key(by: str, key: Any) -> Any:
    """The group a year earlier that a group is compared with: the same key, and for a month the same
    month one year before ("2026-03" → "2025-03")."""
    if by == "month" and isinstance(key, str) and len(key) == 7 and key[:4].isdigit():
        return f"{int(key[:4]) - 1:04d}{key[4:]}"
    return key


def _groups(by: str, rows: list[dict], year_ago: list[dict] | None) -> list[dict[str, Any]]:
    """Each group's KPIs; with the year-earlier rows, each carries its own yoy_change (SPEC §10: group
    KPIs carry the §7 names): its score against the same group's a year earlier."""
    out = [{"key": r["g"], "kpis": kpis_from_stats(r)} for r in rows]
    if year_ago is None:
        return out
    before = {r["g"]: r for r in year_ago}
    for g in out:
        g["kpis"]["yoy_change"] = _yoy(g["kpis"]["satisfaction_score"],
                                       before.get(_year_earlier_key(by, g["key"]), {}))
    return out
