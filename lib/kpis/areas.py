"""One entry point for every area's KPIs: the CLI, the overview, Explore and the monthly report all
call this, so they cannot disagree."""
from __future__ import annotations

from sqlalchemy.orm import Session

from lib.kpis import checks, complaints, followups, listening, supervisors, surveys
from lib.kpis.common import KpiFilter, KpiResult

AREAS = ("complaints", "surveys", "listening", "supervisors", "checks")
# HQ supervision areas (SPEC §14) that are `compute` and the CLI's `kpi AREA` only, not the overview's cards,
# league, movers or the monthly report's sheets, which go over AREAS.
SUPERVISION = {"followups": followups}
CLI_AREAS = (*AREAS, *SUPERVISION)
GROUPS = {"complaints": complaints.GROUPS, "surveys": surveys.GROUPS, "listening": listening.GROUPS,
          "supervisors": supervisors.GROUPS, "checks": checks.GROUPS,
          **{name: m.GROUPS for name, m in SUPERVISION.items()}}


PERCENTILE_KPIS = frozenset({"median_hours_to_resolve", "p90_hours_to_resolve"})


def compute(area: str, flt: KpiFilter, *, session: Session, by: str | None = None,
            with_percentiles: bool = True) -> KpiResult:
    """`with_percentiles=False`: callers that show none of PERCENTILE_KPIS skip their sorting passes."""
    if area == "complaints":
        return complaints.compute(flt, session=session, by=by, with_percentiles=with_percentiles)
    if area == "surveys":
        return surveys.compute(flt, session=session, by=by)
    if area == "listening":
        from lib.services import settings
        types = settings.get("listening_activity_types", session=session)
        return listening.compute(flt, session=session, activity_types=types, by=by)
    if area == "supervisors":
        return supervisors.compute(flt, session=session, by=by)
    if area == "checks":  # SPEC §14 call-back checks
        return checks.compute(flt, session=session, by=by)
    if area in SUPERVISION:
        return SUPERVISION[area].compute(flt, session=session, by=by)
    raise ValueError(f"unknown area {area!r}")


def compute_many(area: str, flt: KpiFilter, bys: tuple[str | None, ...], *, session: Session,
                 with_percentiles: bool = True, with_comparisons: bool = True) -> dict[str | None, KpiResult]:
    """`compute` for several groupings of one filter. Complaints and surveys read the period once for all
    of them on the analytic mirror; percentiles, if asked, come with the ungrouped total only.
    `with_comparisons=False`: the survey KPIs against last year and the industry are left out (None)."""
    if area == "complaints":
        return complaints.compute_many(flt, bys, session=session, with_percentiles=with_percentiles)
    if area == "surveys":
        return surveys.compute_many(flt, bys, session=session, with_comparisons=with_comparisons)
    return {by: compute(area, flt, session=session, by=by, with_percentiles=with_percentiles) for by in bys}
