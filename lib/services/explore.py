"""Ad-hoc exploration: an area's dataset, a filter, up to two group-by dimensions and a measure — a KPI
of the dictionary (through lib.kpis.areas, so the numbers are the CLI's) or count / mean / sum of a
numeric column (one GROUP BY in SQL) — and views saved per user."""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lib import analytics, scope
from lib.errors import NotFound, ValidationFailed
from lib.kpis import areas
from lib.kpis import complaints as complaint_kpis
from lib.kpis import surveys as survey_kpis
from lib.kpis.common import FilterError, KpiFilter, hours_between
from lib.kpis.listening import months
from lib.models import Complaint, SavedView, SurveyResponse
from lib.services import audit, overview

# A group-by dimension → the filter field that narrows to one of its values (for the second dimension).
NARROW = {"company": "companies", "city": "cities", "project": "projects", "business_line": "business_lines",
          "channel": "channels", "touchpoint": "touchpoints", "category": "categories", "severity": "severities",
          "method": "methods", "department": "departments"}
SECOND_LIMIT = 40  # values of the second dimension (one KPI query each)


def _complaint_columns(session: Session) -> dict[str, Any]:
    return {"followup_score": Complaint.followup_score, "escalation_level": Complaint.escalation_level,
            "reopen_count": Complaint.reopen_count,
            "hours_to_resolve": hours_between(session, Complaint.received_at, Complaint.resolved_at)}


def _survey_columns(session: Session) -> dict[str, Any]:
    return {"overall_score": survey_kpis.normalised(SurveyResponse.overall),
            "housing_quality_score": survey_kpis.normalised(SurveyResponse.housing_quality),
            "maintenance_score": survey_kpis.normalised(SurveyResponse.maintenance),
            "property_service_score": survey_kpis.normalised(SurveyResponse.property_service),
            "complaint_handling_score": survey_kpis.normalised(SurveyResponse.complaint_handling),
            "recommend": SurveyResponse.recommend}


@dataclass(frozen=True)
class Dataset:
    area: str
    kpis: tuple[str, ...]
    columns: tuple[str, ...]  # numeric columns for mean / sum; empty: KPIs only

    @property
    def dimensions(self) -> tuple[str, ...]:
        return areas.GROUPS[self.area]

    def measures(self) -> list[str]:
        out = [f"kpi:{k}" for k in self.kpis]
        if self.columns:
            out.append("count")
            out += [f"{agg}:{c}" for c in self.columns for agg in ("mean", "sum")]
        return out


DATASETS = {
    "complaints": Dataset("complaints", complaint_kpis.KPI_NAMES,
                          ("followup_score", "escalation_level", "reopen_count", "hours_to_resolve")),
    "surveys": Dataset("surveys", ("responses", "satisfaction_score", "satisfaction_rate", "nps",
                                   "score_housing_quality", "score_maintenance", "score_property_service",
                                   "score_complaint_handling"),
                       ("overall_score", "housing_quality_score", "maintenance_score", "property_service_score",
                        "complaint_handling_score", "recommend")),
    "listening": Dataset("listening", ("headcount", "participants", "participation_rate",
                                       "participation_rate_management", "participation_rate_staff",
                                       "six_ones_completion_rate", "findings"), ()),
    "supervisors": Dataset("supervisors", ("active_supervisors", "projects_covered", "activities",
                                           "participant_count", "issues_raised", "issue_closure_rate",
                                           "on_time_closure_rate", "median_days_to_resolve", "open_overdue",
                                           "feedback_satisfaction"), ()),
}


def _narrowed(flt: KpiFilter, dimension: str, value: Any) -> KpiFilter:
    if dimension == "month":
        for key, start, end in months(flt.start, flt.end):
            if key == value:
                return replace(flt, start=start, end=end)
        raise FilterError(f"month {value} is outside the period")
    return replace(flt, **{NARROW[dimension]: (value,)})


def _kpi_groups(area: str, flt: KpiFilter, kpi: str, by: str, session: Session) -> list[tuple[Any, dict]]:
    """(group key, the group's KPI set) by `by`."""
    result = areas.compute(area, flt, session=session, by=by, with_percentiles=kpi in areas.PERCENTILE_KPIS)
    return [(g["key"], g["kpis"]) for g in result.groups]


def pivot(dataset: str, flt: KpiFilter, measure: str, by: str, by2: str | None = None, *,
          session: Session, with_n: bool = False) -> pd.DataFrame:
    """Long table [by, (by2,) value], at most SECOND_LIMIT values of by2. KPI measures go through the KPI
    modules (complaints and surveys: one GROUP BY of both dimensions; listening and supervisors: one
    query per value of the second); column measures are a single GROUP BY. `with_n` adds each cell's
    sample `n` (the count the minimum-sample rule reads, `overview.SAMPLE_OF`; None where none applies)."""
    ds = DATASETS[dataset]
    if by not in ds.dimensions or (by2 is not None and (by2 not in ds.dimensions or by2 == by)):
        raise ValidationFailed("err_explore_dimension")
    if measure not in ds.measures():
        raise ValidationFailed("err_explore_measure")
    if by2 is not None and by2 != "month" and by2 not in NARROW:
        raise ValidationFailed("err_explore_dimension")
    if measure.startswith("kpi:") and by2 is not None and ds.area in MIRRORED_AREAS:
        frame = _kpi_grid(ds, flt, measure[4:], by, by2, session)
    elif measure.startswith("kpi:"):
        frame = _kpi_pivot(ds, flt, measure[4:], by, by2, session)
    else:
        frame = _column_pivot(ds, flt, measure, by, by2, session)
    if with_n:
        frame["n"] = frame.pop("n") if "n" in frame else None
    elif "n" in frame:
        frame = frame.drop(columns=["n"])
    return frame


MIRRORED_AREAS = {"complaints": "complaint", "surveys": "survey_response"}


def _kpi_grid(ds: Dataset, flt: KpiFilter, kpi: str, by: str, by2: str, session: Session) -> pd.DataFrame:
    if ds.area == "complaints":
        cells = [(c["keys"], c["kpis"]) for c in complaint_kpis.grid(
            flt, (by, by2), session=session, with_percentiles=kpi in areas.PERCENTILE_KPIS)]
    else:
        cells = [((r[by], r[by2]), survey_kpis.kpis_from_stats(r))
                 for r in survey_kpis.grouped_stats(flt, (by, by2), session=session)]
    seconds = sorted({second for (_, second), _ in cells if second is not None})[:SECOND_LIMIT]
    order = {second: i for i, second in enumerate(seconds)}
    rows = sorted(({by: first, by2: second, "value": k.get(kpi), "n": overview.sample(kpi, k)}
                   for (first, second), k in cells if second in order),
                  key=lambda r: (order[r[by2]], r[by] is None, r[by] if r[by] is not None else ""))
    return pd.DataFrame(rows, columns=[by, by2, "value", "n"])


def _kpi_pivot(ds: Dataset, flt: KpiFilter, kpi: str, by: str, by2: str | None, session: Session) -> pd.DataFrame:
    if by2 is None:
        rows = [{by: key, "value": k.get(kpi), "n": overview.sample(kpi, k)}
                for key, k in _kpi_groups(ds.area, flt, kpi, by, session)]
        return pd.DataFrame(rows, columns=[by, "value", "n"])
    seconds = [key for key, _ in _kpi_groups(ds.area, flt, kpi, by2, session) if key is not None][:SECOND_LIMIT]
    rows = []
    for second in seconds:
        for key, k in _kpi_groups(ds.area, _narrowed(flt, by2, second), kpi, by, session):
            rows.append({by: key, by2: second, "value": k.get(kpi), "n": overview.sample(kpi, k)})
    return pd.DataFrame(rows, columns=[by, by2, "value", "n"])


def _column_pivot(ds: Dataset, flt: KpiFilter, measure: str, by: str, by2: str | None,
                  session: Session) -> pd.DataFrame:
    module = complaint_kpis if ds.area == "complaints" else survey_kpis
    dims = [d for d in (by, by2) if d]
    with analytics.reading(session, MIRRORED_AREAS[ds.area]) as reader:
        groups = [module._group_column(reader, d).label(d) for d in dims]
        if measure == "count":
            agg = func.count()
        else:
            kind, column = measure.split(":")
            expr = (_complaint_columns if ds.area == "complaints" else _survey_columns)(reader)[column]
            agg = func.avg(expr) if kind == "mean" else func.sum(expr)
        stmt = (select(*groups, agg.label("value")).select_from(module.joined()).where(*module.conditions(flt))
                .group_by(*groups).order_by(*groups))
        frame = pd.DataFrame(reader.execute(stmt).mappings().all(), columns=[*dims, "value"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


def rows(dataset: str, flt: KpiFilter, *, session: Session, limit: int = 5000) -> pd.DataFrame:
    """The rows behind a view (complaints or survey answers), for the row-level download."""
    if dataset == "complaints":
        from lib.services import complaints
        return complaints.list_frame(flt, session=session, limit=limit)
    if dataset == "surveys":
        from lib.services import survey_views
        return survey_views.responses(flt, session=session, limit=limit)
    raise ValidationFailed("err_explore_no_rows")


# ---- saved views ---------------------------------------------------------------------------
def save_view(username: str, name: str, spec: dict[str, Any], *, session: Session) -> None:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationFailed("err_view_name")
    view = session.scalar(select(SavedView).where(SavedView.username == username, SavedView.name == name))
    text = json.dumps(spec, ensure_ascii=False, sort_keys=True, default=str)
    if view is None:
        session.add(SavedView(username=username, name=name, spec=text))
    else:
        view.spec = text
    session.flush()
    audit.record(session=session, actor=username, action="view_saved", entity="saved_view", entity_id=name)


def views(username: str, *, session: Session) -> list[str]:
    return list(session.scalars(select(SavedView.name).where(SavedView.username == username)
                                .order_by(SavedView.name)))


VIEW_NAMES = {"exp_company": "companies", "exp_city": "cities", "exp_project": "projects"}


def check_view(spec: dict[str, Any], reach: scope.Reach | None) -> None:
    """A view naming a company, city or project outside the reader's scope is refused (OutOfScope),
    never opened narrowed or widened (SPEC §11) — whoever saved it, and whatever scope they had then."""
    if reach is None or reach.is_group:
        return
    names = {field: tuple(v for v in (spec.get(key) or ()) if isinstance(v, str)) for key, field in VIEW_NAMES.items()}
    scope.check_names(reach, **names)


def load_view(username: str, name: str, *, session: Session, reach: scope.Reach | None = None) -> dict[str, Any]:
    """A user's own view; someone else's view of the same name is simply not found. A view naming
    anything outside `reach` is refused."""
    view = session.scalar(select(SavedView).where(SavedView.username == username, SavedView.name == name))
    if view is None:
        raise NotFound("err_not_found", what=name)
    spec = json.loads(view.spec)
    check_view(spec, reach)
    return spec


def delete_view(username: str, name: str, *, session: Session) -> None:
    session.execute(delete(SavedView).where(SavedView.username == username, SavedView.name == name))
    audit.record(session=session, actor=username, action="view_deleted", entity="saved_view", entity_id=name)
