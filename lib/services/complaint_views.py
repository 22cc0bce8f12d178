"""Aggregated read models for the Complaints page (the page gets small frames, never raw rows)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib import analytics
from lib.kpis import complaints
from lib.kpis.common import KpiFilter, KpiResult
from lib.models import Complaint
from lib.services import complaints as complaint_service
from lib.services import overview

BREAKDOWNS = ("business_line", "channel", "category", "city", "severity")


@dataclass(frozen=True)
class Board:
    """Everything the Complaints page draws for one filter."""
    kpis: dict
    previous: dict
    trend: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame]
    ageing: pd.DataFrame
    funnel: pd.DataFrame


def board(flt: KpiFilter, *, session: Session) -> Board:
    """The page's one read: the cards, the monthly trend and every breakdown come from one grouped
    statement on the mirror (`complaints.compute_many`); the previous period's cards, the backlog ageing
    and the escalation funnel are three small ones."""
    sets = complaints.compute_many(flt, (None, "month", *BREAKDOWNS), session=session, with_percentiles=False)
    previous = complaints.compute(flt.previous_period(), session=session, with_percentiles=False).kpis
    pct_now, pct_before = complaints.period_percentiles((flt, flt.previous_period()), session=session)
    return Board(sets[None].kpis | pct_now, previous | pct_before,
                 overview.trend_frame(sets["month"]), {by: _frame(sets[by]) for by in BREAKDOWNS},
                 complaint_service.ageing(flt, session=session), escalation_funnel(flt, session=session))


def _frame(result: KpiResult) -> pd.DataFrame:
    return pd.DataFrame([{"key": g["key"], **g["kpis"]} for g in result.groups],
                        columns=["key", *complaints.KPI_NAMES])


@analytics.through_mirror("complaint")
def escalation_funnel(flt: KpiFilter, *, session: Session) -> pd.DataFrame:
    """Complaints that reached at least each level: local company (all) → HQ → group leadership."""
    stmt = (select(Complaint.escalation_level, func.count()).select_from(complaints.joined())
            .where(*complaints.conditions(flt)).group_by(Complaint.escalation_level))
    per_level = dict(session.execute(stmt).all())
    reached = [sum(n for level, n in per_level.items() if level >= lvl) for lvl in (0, 1, 2)]
    return pd.DataFrame({"level": ["0", "1", "2"], "count": reached})
