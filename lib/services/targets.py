"""KPI targets (admin): one per KPI, optionally per business line or company, with an amber band.

Colour of a value against its target (direction "higher": bigger is better):
- green when value ≥ target;
- amber when target − amber ≤ value < target;
- red below that. For direction "lower" the same mirrored. No value or no target → no colour.
The most specific target applies: company + business line, then company, then business line, then
the group-wide one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.errors import ValidationFailed
from lib.models import Company, KpiTarget
from lib.services import audit
from lib.vocab import BUSINESS_LINES


@dataclass(frozen=True)
class Headline:
    area: str
    kpi: str
    kind: str  # "rate" (0–1) or "score" (points)
    direction: str = "higher"


# The headline KPIs of each area: the overview's cards, the league table and the monthly report.
HEADLINES: tuple[Headline, ...] = (
    Headline("complaints", "resolution_rate", "rate"),
    Headline("complaints", "resolution_on_time_rate", "rate"),
    Headline("complaints", "followup_satisfaction", "rate"),
    Headline("surveys", "satisfaction_score", "score"),
    Headline("surveys", "satisfaction_rate", "rate"),
    Headline("listening", "participation_rate_staff", "rate"),
    Headline("listening", "participation_rate_management", "rate"),
    Headline("supervisors", "issue_closure_rate", "rate"),
    Headline("supervisors", "on_time_closure_rate", "rate"),
)
AREA_OF = {h.kpi: h.area for h in HEADLINES}
KIND_OF = {h.kpi: h.kind for h in HEADLINES}

# Shipped with the demo data and offered as a starting point (seed document figures where they exist:
# 98% resolution for property management, 45% / 53.5% listening participation).
DEFAULT_TARGETS: tuple[dict[str, Any], ...] = (
    {"kpi": "resolution_rate", "target": 0.95, "amber": 0.03},
    {"kpi": "resolution_rate", "business_line": "property_management", "target": 0.98, "amber": 0.02},
    {"kpi": "resolution_on_time_rate", "target": 0.90, "amber": 0.05},
    {"kpi": "followup_satisfaction", "target": 0.85, "amber": 0.05},
    {"kpi": "satisfaction_score", "target": 80.0, "amber": 3.0},
    {"kpi": "satisfaction_rate", "target": 0.60, "amber": 0.05},
    {"kpi": "participation_rate_staff", "target": 0.45, "amber": 0.05},
    {"kpi": "participation_rate_management", "target": 0.535, "amber": 0.05},
    {"kpi": "issue_closure_rate", "target": 0.90, "amber": 0.05},
    {"kpi": "on_time_closure_rate", "target": 0.85, "amber": 0.05},
)


@dataclass(frozen=True)
class Target:
    target: float
    amber: float
    direction: str


def colour(value: float | None, target: Target | None) -> str | None:
    """"green", "amber", "red" or None."""
    if value is None or target is None:
        return None
    gap = value - target.target if target.direction == "higher" else target.target - value
    if gap >= -1e-12:
        return "green"
    if gap >= -(target.amber or 0.0) - 1e-12:
        return "amber"
    return "red"


def table(*, session: Session) -> pd.DataFrame:
    """All targets with the company by name (for the admin editor)."""
    rows = session.execute(select(KpiTarget.kpi, KpiTarget.business_line, Company.name, KpiTarget.target,
                                  KpiTarget.amber, KpiTarget.direction)
                           .outerjoin(Company, Company.id == KpiTarget.company_id)
                           .order_by(KpiTarget.kpi, KpiTarget.business_line, Company.name)).all()
    return pd.DataFrame(rows, columns=["kpi", "business_line", "company", "target", "amber", "direction"])


def lookup_table(*, session: Session) -> dict[tuple[str, str | None, str | None], Target]:
    """(kpi, business line, company name) → Target, for resolve()."""
    rows = session.execute(select(KpiTarget.kpi, KpiTarget.business_line, Company.name, KpiTarget.target,
                                  KpiTarget.amber, KpiTarget.direction)
                           .outerjoin(Company, Company.id == KpiTarget.company_id)).all()
    return {(kpi, line or None, company or None): Target(target, amber or 0.0, direction)
            for kpi, line, company, target, amber, direction in rows}


def resolve(targets: dict, kpi: str, *, company: str | None = None,
            business_line: str | None = None) -> Target | None:
    for key in ((kpi, business_line, company), (kpi, None, company), (kpi, business_line, None), (kpi, None, None)):
        if key in targets:
            return targets[key]
    return None


def text_cell(value: Any) -> str | None:
    """Editor cells arrive as None, NaN or text; blank means "any"."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value).strip() or None


def save(rows: list[dict[str, Any]], *, session: Session, actor: str) -> int:
    """Replace all targets by `rows` (kpi, business_line, company, target, amber); all or nothing, audited."""
    companies = {name: cid for cid, name in session.execute(select(Company.id, Company.name))}
    clean, problems = {}, []
    for i, row in enumerate(rows, start=1):
        kpi, line, company = (text_cell(row.get(k)) for k in ("kpi", "business_line", "company"))
        if kpi is None and text_cell(row.get("target")) is None:
            continue  # an empty line the editor left behind
        try:
            value = float(row.get("target"))
            amber = 0.0 if text_cell(row.get("amber")) is None else float(row.get("amber"))
            if value != value or amber != amber:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(str(i))
            continue
        limit = 100.0 if KIND_OF.get(kpi) == "score" else 1.0
        ok = (kpi in KIND_OF and (line is None or line in BUSINESS_LINES) and (company is None or company in companies)
              and 0.0 <= value <= limit and 0.0 <= amber <= limit and (kpi, line, company) not in clean)
        if not ok:
            problems.append(str(i))
            continue
        clean[(kpi, line, company)] = (value, amber)
    if problems:
        raise ValidationFailed("err_target_rows", rows="、".join(problems))
    before = {(t.kpi, t.business_line, t.company_id): (t.target, t.amber) for t in session.scalars(select(KpiTarget))}
    for t in session.scalars(select(KpiTarget)):
        session.delete(t)
    session.flush()
    for (kpi, line, company), (value, amber) in clean.items():
        session.add(KpiTarget(area=AREA_OF[kpi], kpi=kpi, business_line=line,
                              company_id=companies.get(company) if company else None, target=value, amber=amber,
                              direction="higher"))
    session.flush()
    after = {(k, line, companies.get(c) if c else None): v for (k, line, c), v in clean.items()}
    if before != after:
        audit.record(session=session, actor=actor, action="targets_saved", entity="kpi_target",
                     detail={"before": len(before), "after": len(after),
                             "changed": sorted(f"{k[0]}/{k[1] or '*'}/{k[2] or '*'}"
                                               for k in set(before) | set(after) if before.get(k) != after.get(k))})
    return len(clean)


def install_defaults(*, session: Session, actor: str = "system") -> None:
    """Give an empty target table the defaults (demo data and first start)."""
    if session.scalar(select(KpiTarget.id).limit(1)) is None:
        save([dict(row) for row in DEFAULT_TARGETS], session=session, actor=actor)
