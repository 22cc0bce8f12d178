"""Headline figures of each area for the executive overview, from the shared KPI modules."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.kpis import complaints, listening, supervisors, surveys
from lib.kpis.common import KpiFilter
from lib.models import SupervisorIssue
from lib.services import settings
from lib.vocab import ISSUE_DONE


@dataclass(frozen=True)
class Headline:
    current: dict[str, Any]
    previous: dict[str, Any]


def headline(flt: KpiFilter, *, session: Session) -> Headline:
    return Headline(_figures(flt, session), _figures(flt.previous_period(), session))


def _figures(flt: KpiFilter, session: Session) -> dict[str, Any]:
    types = settings.get("listening_activity_types", session=session)
    c = complaints.compute(flt, session=session).kpis
    s = surveys.compute(flt, session=session).kpis
    li = listening.compute(flt, session=session, activity_types=types).kpis
    sup = supervisors.compute(flt, session=session).kpis
    return {
        "complaints": c["complaints"],
        "resolution_rate": c["resolution_rate"],
        "satisfaction_score": s["satisfaction_score"],
        "responses": s["responses"],
        "participation_rate": li["participation_rate"],
        "issues_raised": sup["issues_raised"],
        "issues_open": open_issues(session=session),
    }


def open_issues(*, session: Session) -> int:
    """Supervisor issues not yet resolved, as of now (a stock, not a flow: no period)."""
    return session.scalar(select(func.count()).select_from(SupervisorIssue).where(
        SupervisorIssue.source == "supervisor", SupervisorIssue.status.not_in(ISSUE_DONE))) or 0


def complaints_trend(flt: KpiFilter, *, session: Session) -> pd.DataFrame:
    """Monthly volume and resolution rate (already aggregated: charts never get raw rows)."""
    result = complaints.compute(flt, session=session, by="month")
    return pd.DataFrame(
        [{"month": g["key"], "complaints": g["kpis"]["complaints"],
          "resolution_rate": g["kpis"]["resolution_rate"]} for g in result.groups],
        columns=["month", "complaints", "resolution_rate"],
    )
