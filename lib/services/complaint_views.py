"""Aggregated read models for the Complaints page (the page gets small frames, never raw rows)."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib import analytics
from lib.kpis import complaints
from lib.kpis.common import KpiFilter
from lib.models import Complaint


def breakdown(flt: KpiFilter, by: str, *, session: Session) -> pd.DataFrame:
    result = complaints.compute(flt, session=session, by=by, with_percentiles=False)  # bars show no medians
    return pd.DataFrame([{"key": g["key"], **g["kpis"]} for g in result.groups])


@analytics.through_mirror("complaint")
def escalation_funnel(flt: KpiFilter, *, session: Session) -> pd.DataFrame:
    """Complaints that reached at least each level: local company (all) → HQ → group leadership."""
    stmt = (select(Complaint.escalation_level, func.count()).select_from(complaints.joined())
            .where(*complaints.conditions(flt)).group_by(Complaint.escalation_level))
    per_level = dict(session.execute(stmt).all())
    reached = [sum(n for level, n in per_level.items() if level >= lvl) for lvl in (0, 1, 2)]
    return pd.DataFrame({"level": ["0", "1", "2"], "count": reached})
