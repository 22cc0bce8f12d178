"""Complaint KPIs of SPEC §7, dated by received_at, void excluded, aggregated in SQL."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from itertools import pairwise
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Boolean, Float, String, and_, case, column, func, literal, literal_column, or_, select
from sqlalchemy.orm import Session

from lib import analytics, mirror_registry, scope
from lib.db import local_now
from lib.kpis.common import (
    FilterError,
    KpiFilter,
    KpiResult,
    count_if,
    grouping_sets,
    hours_between,
    hours_between_in,
    month_key,
    percentiles,
    ratio,
)
from lib.models import Company, Complaint, Project
from lib.vocab import COMPLAINT_RESOLVED

C = Complaint
KPI_NAMES = (
    "complaints", "responsible_share", "resolution_rate", "first_response_on_time_rate",
    "resolution_on_time_rate", "median_hours_to_resolve", "p90_hours_to_resolve",
    "escalation_rate", "reopen_rate", "followup_coverage", "followup_satisfaction",
    "open_backlog", "overdue_open",
)
GROUPS = ("month", "company", "city", "project", "business_line", "channel", "category", "severity")


def flags(c: Any = C) -> dict[str, Any]:
    """The clock-independent conditions of the KPIs, over the columns of `c` (the model, or plain
    columns). The analytic mirror stores each ready as a boolean column `flag_<name>`
    (lib.analytics), compiled from these very expressions: evaluating the status IN-lists and the
    on-time comparisons at every read was half of a complaint query's time."""
    resolved = c.status.in_(COMPLAINT_RESOLVED)
    return {
        "resolved": resolved,
        "fr_on_time": and_(c.first_response_at.is_not(None), c.first_response_at <= c.first_response_due_at),
        "res_on_time": and_(resolved, c.resolved_at.is_not(None), c.resolved_at <= c.resolution_due_at),
        "ever_resolved": or_(resolved, c.reopen_count >= 1),
        "followup_good": c.followup_score.in_((4, 5)),
    }


def mirrored_columns(names: tuple[str, ...]) -> tuple[tuple[str, str, Any], ...]:
    """(name, DuckDB type, expression over plain columns) of what the mirror adds to each complaint."""
    c = SimpleNamespace(**{n: column(n) for n in names})
    return (*((f"flag_{name}", "BOOLEAN", expr) for name, expr in flags(c).items()),
            ("received_month", "VARCHAR", func.strftime(c.received_at, "%Y-%m")),
            ("hours_to_resolve", "DOUBLE", hours_between_in("duckdb", c.received_at, c.resolved_at)))


def _flags(session: Session) -> dict[str, Any]:
    if session.get_bind().dialect.name == "duckdb":
        return {name: literal_column(f"complaint.flag_{name}", Boolean) for name in flags()}
    return flags()


def _month(session: Session):
    if session.get_bind().dialect.name == "duckdb":
        return literal_column("complaint.received_month", String)
    return month_key(session, C.received_at)


def _group_column(session: Session, by: str | None, c=None):
    """The column to group by; `c`: the columns of the mirror's sums (`_source`), else the complaints'."""
    rows = C.__table__.c if c is None else c
    columns = {
        "month": lambda: _month(session) if c is None else c.received_month,
        "company": lambda: Company.name,
        "city": lambda: Project.city,
        "project": lambda: Project.name,
        "business_line": lambda: rows.business_line,
        "channel": lambda: rows.channel,
        "category": lambda: rows.category,
        "severity": lambda: rows.severity,
    }
    if by is None:
        return None
    if by not in columns:
        raise FilterError(f"complaints cannot be grouped by {by!r}; choose one of {', '.join(GROUPS)}")
    return columns[by]()


def counted(c=C.__table__.c):
    """The complaints the KPIs count: all but the void."""
    return c.status != "void"


def conditions(flt: KpiFilter, *, include_void: bool = False, c=C.__table__.c, period: bool = True) -> list:
    """`period=False`, `include_void=True`: the conditions left to apply to the mirror's sums (`_source`)."""
    start, end = flt.bounds()
    where = [c.received_at >= start, c.received_at < end] if period else []
    if not include_void:
        where.append(counted(c))
    where.extend(scope.where_project(flt, c.project_id))
    where.extend(scope.where_names(flt, business_line=c.business_line))
    if flt.channels:
        where.append(c.channel.in_(flt.channels))
    if flt.categories:
        where.append(c.category.in_(flt.categories))
    if flt.severities:
        where.append(c.severity.in_(flt.severities))
    if flt.responsible is not None:
        where.append(c.responsible.is_(flt.responsible))
    if flt.touchpoints:
        raise FilterError("complaints have no touchpoint filter")
    return where


def joined():
    return C.__table__.join(Project, Project.id == C.project_id).join(Company, Company.id == Project.company_id)


def compute(flt: KpiFilter, *, session: Session, by: str | None = None,
            now: datetime | None = None, with_percentiles: bool = True) -> KpiResult:
    """All complaint KPIs; `with_percentiles=False` skips the two sorting passes behind the median and
    p90 hours (they come back as None) for callers that do not show them. Large tables are read
    through the analytic mirror (lib.analytics), which sees exactly what `session` sees."""
    with analytics.reading(session, "complaint") as reader:
        return _compute(flt, session=reader, by=by, now=now or local_now(), with_percentiles=with_percentiles)


def _counts(c: Any, f: dict[str, Any], now: datetime | None) -> list[tuple[str, Any]]:
    """Every count the KPIs take: (name, the condition a complaint meets to be counted; None: every
    complaint), over the columns `c` and the flags `f`. `now` None: as if every due time had passed,
    which is how the mirror's monthly sums hold them (lib.analytics.Rollup uses those only for months
    whose due times all passed)."""
    resolved = f["resolved"]
    return [
        ("complaints", None),
        ("responsible_n", c.responsible.is_(True)),
        ("resolved", resolved),
        ("fr_on_time", f["fr_on_time"]),
        ("fr_due", None if now is None else or_(c.first_response_due_at <= now, c.first_response_at.is_not(None))),
        ("res_on_time", f["res_on_time"]),
        ("res_due", None if now is None else or_(resolved, c.resolution_due_at <= now)),
        ("escalated", c.escalation_level >= 1),
        ("reopened", c.reopen_count >= 1),
        ("ever_resolved", f["ever_resolved"]),
        ("followed_up", c.followup_at.is_not(None)),
        ("followup_good", f["followup_good"]),
        ("followup_scored", c.followup_score.is_not(None)),
        ("open_backlog", ~resolved),
        ("overdue_open", ~resolved if now is None else and_(~resolved, c.resolution_due_at < now)),
    ]


def _parts(session: Session, now: datetime) -> list:
    return [(func.count() if condition is None else count_if(condition)).label(name)
            for name, condition in _counts(C, _flags(session), now)]


def last_due(c):
    """A complaint's last due time (first response or resolution)."""
    return func.greatest(c.first_response_due_at, c.resolution_due_at)


def mirror_parts(c, now: datetime | None) -> list[tuple[str, Any]]:
    """What one complaint adds to each count of `_counts`, over the mirror's columns `c` (its flags
    stored ready as `flag_<name>`)."""
    stored = {name: c[f"flag_{name}"] for name in flags()}
    return [(name, literal(1) if condition is None else case((condition, 1), else_=0))
            for name, condition in _counts(c, stored, now)]


mirror_registry.register("complaint", mirror_registry.MirrorFormulas(
    columns=mirrored_columns, parts=mirror_parts, kept=lambda c: [counted(c)], last_due=last_due))


@dataclass(frozen=True)
class _Source:
    """Where one filter's counts are read from: the complaints, or on the mirror its sums (lib.analytics)."""
    froms: Any
    where: list
    parts: list
    c: Any = None

    def group(self, session: Session, by: str | None):
        return _group_column(session, by, self.c)


def _source(flt: KpiFilter, session: Session, now: datetime) -> _Source:
    mirror = session.info.get("mirror")
    if mirror is None:
        return _Source(joined(), conditions(flt), _parts(session, now))
    sums = mirror.parts("complaint", flt.start, flt.end, now)  # the period and the void are applied inside
    return _Source(sums.join(Project, Project.id == sums.c.project_id).join(Company, Company.id == Project.company_id),
                   conditions(flt, include_void=True, c=sums.c, period=False),
                   [func.coalesce(func.sum(column), 0).label(column.name) for column in sums.c
                    if column.name not in analytics.ROLLUPS["complaint"].keys], sums.c)


def _hours_to_resolve(session: Session):
    if session.get_bind().dialect.name == "duckdb":  # stored with each complaint by the mirror
        return literal_column("complaint.hours_to_resolve", Float)
    return hours_between(session, C.received_at, C.resolved_at)


def _percentiles(session: Session, where: list, group) -> dict[Any, dict[str, float | None]]:
    return percentiles(session, _hours_to_resolve(session),
                       [*where, _flags(session)["resolved"], C.resolved_at.is_not(None)], joined(), group,
                       {"median_hours_to_resolve": (1, 2), "p90_hours_to_resolve": (9, 10)})


def period_percentiles(flts: tuple[KpiFilter, ...], *, session: Session) -> list[dict[str, float | None]]:
    """Median and p90 hours to resolve of several periods of one filter (only the dates differ), in
    one statement when the periods do not overlap: one read of their rows, ordered per period."""
    spans = sorted((f.start, f.end) for f in flts)
    same = len({replace(f, start=flts[0].start, end=flts[0].end) for f in flts}) == 1
    with analytics.reading(session, "complaint") as reader:
        if not same or any(a[1] >= b[0] for a, b in pairwise(spans)):  # overlapping: each on its own
            return [_percentiles(reader, conditions(f), None).get("_all", {}) for f in flts]
        bounds = [f.bounds() for f in flts]
        period = case(*[(and_(C.received_at >= lo, C.received_at < hi), i) for i, (lo, hi) in enumerate(bounds)])
        where = [period.is_not(None), *conditions(replace(flts[0], start=spans[0][0], end=spans[-1][1]))]
        found = _percentiles(reader, where, period)
    return [found.get(i, {}) for i in range(len(flts))]


def _compute(flt: KpiFilter, *, session: Session, by: str | None, now: datetime,
             with_percentiles: bool) -> KpiResult:
    src = _source(flt, session, now)
    group = src.group(session, by)
    where = conditions(flt)
    stmt = select(*([group.label("g")] if group is not None else []), *src.parts).select_from(src.froms).where(*src.where)
    if group is not None:
        stmt = stmt.group_by(group).order_by(group)
    rows = session.execute(stmt).mappings().all()
    pct = _percentiles(session, where, _group_column(session, by)) if with_percentiles else {}
    if group is None:
        row = rows[0] if rows else {}
        return KpiResult("complaints", flt.as_json(), _kpis(row, pct.get("_all", {})), [])
    groups = [{"key": r["g"], "kpis": _kpis(r, pct.get(r["g"], {}))} for r in rows]
    # Every count is a sum over groups (each complaint is in exactly one), so the totals need no second
    # scan; only their median and p90 do.
    summed = {name: sum(int(r[name] or 0) for r in rows) for name in rows[0].keys() if name != "g"} if rows else {}
    total_pct = _percentiles(session, where, None).get("_all", {}) if with_percentiles else {}
    return KpiResult("complaints", flt.as_json(), _kpis(summed, total_pct), groups)


def compute_many(flt: KpiFilter, bys: tuple[str | None, ...], *, session: Session, now: datetime | None = None,
                 with_percentiles: bool = True) -> dict[str | None, KpiResult]:
    """`compute` for several groupings of one filter (None: no grouping), as a page shows them side by
    side. On the analytic mirror they are one GROUPING SETS statement: the period's rows are read and
    their conditions evaluated once, not once per grouping. Median and p90 (if asked) are computed for
    the ungrouped total only; groups come without them."""
    now = now or local_now()
    with analytics.reading(session, "complaint") as reader:
        if reader.get_bind().dialect.name != "duckdb":  # SQLite has no GROUPING SETS: one query each
            return {by: _compute(flt, session=reader, by=by, now=now, with_percentiles=with_percentiles and by is None)
                    for by in bys}
        return _compute_sets(flt, bys, session=reader, now=now, with_percentiles=with_percentiles)


def _compute_sets(flt: KpiFilter, bys: tuple[str | None, ...], *, session: Session, now: datetime,
                  with_percentiles: bool) -> dict[str | None, KpiResult]:
    grouped = [by for by in bys if by is not None]
    where = conditions(flt)
    src = _source(flt, session, now)
    found = grouping_sets(session, {by: src.group(session, by) for by in grouped}, [(by,) for by in grouped],
                          src.parts, src.froms, src.where)
    total = found[()][0] if found[()] else {}
    out: dict[str | None, KpiResult] = {
        by: KpiResult("complaints", flt.as_json(), _kpis(total, {}),
                      [{"key": r[by], "kpis": _kpis(r, {})} for r in found[(by,)]]) for by in grouped}
    if None in bys:
        pct = _percentiles(session, where, None).get("_all", {}) if with_percentiles else {}
        out[None] = KpiResult("complaints", flt.as_json(), _kpis(total, pct), [])
    return out


def grid(flt: KpiFilter, by: tuple[str, ...], *, session: Session, now: datetime | None = None,
         with_percentiles: bool = True) -> list[dict[str, Any]]:
    """Every KPI per combination of several dimensions, in one GROUP BY: [{"keys": (…), "kpis": {…}}]."""
    with analytics.reading(session, "complaint") as reader:
        columns = [_group_column(reader, b) for b in by]
        where = conditions(flt)
        keys = [c.label(f"key_{i}") for i, c in enumerate(columns)]
        stmt = (select(*keys, *_parts(reader, now or local_now())).select_from(joined()).where(*where)
                .group_by(*columns).order_by(*columns))
        rows = reader.execute(stmt).all()
        pct = _percentiles(reader, where, columns) if with_percentiles else {}
    out = []
    for row in rows:
        keys, values = tuple(row[:len(by)]), row._mapping
        out.append({"keys": keys, "kpis": _kpis(values, pct.get(keys, {}))})
    return out


def _kpis(r: Any, pct: dict[str, float | None]) -> dict[str, Any]:
    n = int(r.get("complaints") or 0)
    return {
        "complaints": n,
        "responsible_share": ratio(r.get("responsible_n"), n),
        "resolution_rate": ratio(r.get("resolved"), n),
        "first_response_on_time_rate": ratio(r.get("fr_on_time"), r.get("fr_due")),
        "resolution_on_time_rate": ratio(r.get("res_on_time"), r.get("res_due")),
        "median_hours_to_resolve": pct.get("median_hours_to_resolve"),
        "p90_hours_to_resolve": pct.get("p90_hours_to_resolve"),
        "escalation_rate": ratio(r.get("escalated"), n),
        "reopen_rate": ratio(r.get("reopened"), r.get("ever_resolved")),
        "followup_coverage": ratio(r.get("followed_up"), r.get("ever_resolved")),
        "followup_satisfaction": ratio(r.get("followup_good"), r.get("followup_scored")),
        "open_backlog": int(r.get("open_backlog") or 0),
        "overdue_open": int(r.get("overdue_open") or 0),
    }
