"""Topics (客户之声, SPEC §15): top terms of a filter, their monthly trend, rising terms, drill-down.

Every count is a GROUP BY over the term store (text_term), never a re-segmentation: a term's count is
the number of records (complaints, or supervisor issues) whose description contains it, and its share
is that count over the filter's records (the store's n=0 rows, one per record). A filter's company,
city and project names resolve to project ids through the small org tables; the reader's scope is a
condition on the project id, as everywhere.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, null, select
from sqlalchemy.orm import Session

from lib import scope
from lib.kpis.common import FilterError, KpiFilter, month_key
from lib.models import Company, Complaint, Project, SupervisorIssue, TextTerm
from lib.text.segment import mask_quote

_T = TextTerm.__table__
KINDS = ("complaint", "supervisor_issue")
TOP_LIMIT = 30
RISING_CANDIDATES = 200  # the period's most frequent terms are the ones tested for a rise
MIN_COUNT = 5            # a term needs this many records in the period to be tested at all
ALPHA = 0.05             # false-discovery rate over the terms tested (Benjamini–Hochberg)


def conditions(flt: KpiFilter, kind: str, n: int | None = None) -> list:
    """The filter on the term store: period (by the record's own date), org, channel, category, scope."""
    if kind not in KINDS:
        raise FilterError(f"unknown record kind {kind}")
    where = [_T.c.kind == kind, _T.c.on_date >= flt.start, _T.c.on_date <= flt.end]
    if n is not None:
        where.append(_T.c.n == n)
    where.extend(scope.where_project(flt, _T.c.project_id))
    names = scope.where_names(flt)
    if names:
        where.append(_T.c.project_id.in_(select(Project.id).join(Company, Company.id == Project.company_id)
                                         .where(*names)))
    if flt.business_lines:
        where.append(_T.c.business_line.in_(flt.business_lines))
    if flt.channels:
        if kind != "complaint":
            raise FilterError("supervisor issues have no channel")
        where.append(_T.c.channel.in_(flt.channels))
    if flt.categories:
        where.append(_T.c.category.in_(flt.categories))
    if flt.touchpoints or flt.severities or flt.responsible is not None:
        raise FilterError("topics filter on period, organisation, business line, channel and category")
    return where


def records(flt: KpiFilter, *, session: Session, kind: str = "complaint") -> int:
    """The filter's records (the denominator of every share)."""
    return session.scalar(select(func.count()).select_from(_T).where(*conditions(flt, kind, 0))) or 0


def top_terms(flt: KpiFilter, *, session: Session, kind: str = "complaint", phrases: bool = False,
              limit: int = TOP_LIMIT) -> pd.DataFrame:
    """The `limit` most frequent terms (words, or with `phrases` adjacent word pairs): term, count, share."""
    total = records(flt, session=session, kind=kind)
    count = func.count().label("count")
    rows = session.execute(select(_T.c.term, count).where(*conditions(flt, kind, 2 if phrases else 1))
                           .group_by(_T.c.term).order_by(count.desc(), _T.c.term).limit(limit)).all()
    frame = pd.DataFrame(rows, columns=["term", "count"])
    frame["share"] = [c / total if total else None for c in frame["count"]]
    frame.attrs["records"] = total
    return frame


def trend(flt: KpiFilter, terms: list[str], *, session: Session, kind: str = "complaint") -> pd.DataFrame:
    """Per month of the period and term: records containing it, and that count over the month's records."""
    if not terms:
        return pd.DataFrame(columns=["month", "term", "count", "share"])
    month = month_key(session, _T.c.on_date).label("month")
    totals = dict(session.execute(select(month, func.count()).where(*conditions(flt, kind, 0)).group_by(month)).all())
    rows = session.execute(select(month, _T.c.term, func.count()).where(
        *conditions(flt, kind), _T.c.n.in_((1, 2)), _T.c.term.in_(terms)).group_by(month, _T.c.term)).all()
    counts = {(m, t): c for m, t, c in rows}
    out = [{"month": m, "term": t, "count": counts.get((m, t), 0),
            "share": counts.get((m, t), 0) / totals[m]} for m in sorted(totals) for t in terms]
    return pd.DataFrame(out, columns=["month", "term", "count", "share"])


@dataclass(frozen=True)
class Rise:
    term: str
    count: int           # records with the term, this period
    previous: int        # … the previous period of the same length
    share: float
    previous_share: float
    z: float
    p_value: float       # one-sided: the share rose


def z_test(k1: int, n1: int, k0: int, n0: int) -> tuple[float, float]:
    """One-sided two-proportion z-test (pooled) that k1/n1 is above k0/n0: (z, p)."""
    from scipy.stats import norm

    pooled = (k1 + k0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return 0.0, 1.0
    z = (k1 / n1 - k0 / n0) / se
    return z, float(norm.sf(z))


def rising(flt: KpiFilter, *, session: Session, kind: str = "complaint", phrases: bool = False,
           min_count: int = MIN_COUNT, alpha: float = ALPHA) -> pd.DataFrame:
    """Terms whose share of records rose significantly against the previous period of equal length:
    a one-sided two-proportion z-test per term with at least `min_count` records now, kept when it
    passes Benjamini–Hochberg at `alpha` over all the terms tested (many terms are tested at once)."""
    columns = ["term", "count", "previous", "share", "previous_share", "z", "p_value"]
    before = flt.previous_period()
    n1, n0 = records(flt, session=session, kind=kind), records(before, session=session, kind=kind)
    if not n1 or not n0:
        return pd.DataFrame(columns=columns)
    n = 2 if phrases else 1
    count = func.count().label("count")
    now = dict(session.execute(select(_T.c.term, count).where(*conditions(flt, kind, n)).group_by(_T.c.term)
                               .having(func.count() >= min_count).order_by(count.desc(), _T.c.term)
                               .limit(RISING_CANDIDATES)).all())
    if not now:
        return pd.DataFrame(columns=columns)
    then = dict(session.execute(select(_T.c.term, func.count()).where(
        *conditions(before, kind, n), _T.c.term.in_(list(now))).group_by(_T.c.term)).all())
    tested = []
    for term, k1 in now.items():
        k0 = then.get(term, 0)
        z, p = z_test(k1, n1, k0, n0)
        tested.append(Rise(term, k1, k0, k1 / n1, k0 / n0, z, p))
    kept = benjamini_hochberg([r.p_value for r in tested], alpha)
    rows = [r for r, keep in zip(tested, kept, strict=True) if keep and r.z > 0]
    rows.sort(key=lambda r: (r.p_value, -r.count, r.term))
    return pd.DataFrame([r.__dict__ for r in rows], columns=columns)


def benjamini_hochberg(p_values: list[float], alpha: float) -> list[bool]:
    """Which tests pass at false-discovery rate `alpha`: the largest rank k with p_(k) ≤ k·alpha/m and all below."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    cutoff = 0
    for rank, i in enumerate(order, start=1):
        if p_values[i] <= rank * alpha / m:
            cutoff = rank
    passed = set(order[:cutoff])
    return [i in passed for i in range(m)]


DRILL_LIMIT = 500
DRILL_COLUMNS = {"complaint": ["ref", "received_at", "status", "channel", "company", "project", "category",
                               "description"],
                 "supervisor_issue": ["ref", "raised_on", "status", "company", "project", "category", "description"]}


def records_with(flt: KpiFilter, term: str, *, session: Session, kind: str = "complaint",
                 limit: int = DRILL_LIMIT) -> pd.DataFrame:
    """The filter's records whose description contains `term` (a word or a pair), newest first, at most
    `limit`. No names or phones are read; the quoted descriptions have phone numbers and the
    complainant's name masked, whoever reads them (a list is not a reveal)."""
    ids = select(_T.c.record_id).where(*conditions(flt, kind), _T.c.n.in_((1, 2)), _T.c.term == term)
    if kind == "complaint":
        r = Complaint
        stmt = select(r.ref, r.received_at, r.status, r.channel, Company.name, Project.name, r.category,
                      r.description, r.complainant_name).order_by(r.received_at.desc(), r.id.desc())
    else:
        r = SupervisorIssue
        stmt = select(r.ref, r.raised_on, r.status, Company.name, Project.name, r.category, r.description,
                      null()).order_by(r.raised_on.desc(), r.id.desc())
    stmt = (stmt.join(Project, Project.id == r.project_id).join(Company, Company.id == Project.company_id)
            .where(r.id.in_(ids)).limit(limit))
    rows = session.execute(stmt).all()
    columns = DRILL_COLUMNS[kind]
    frame = pd.DataFrame([row[:-1] for row in rows], columns=columns)
    frame["description"] = [mask_quote(text, (row[-1],) if row[-1] else ()) for text, row in
                            zip(frame["description"], rows, strict=True)]
    return frame


RISING_FOR_SIGNALS = 20  # the most significant rising terms a group-complaint signal may share


def rising_term_hits(flt: KpiFilter, session: Session) -> list[tuple[str, str, int, object]]:
    """The risk signals' "sharing a rising term" source (SPEC §15, lib.services.signals.TermSource): for
    the filter's rising words, (term, complaint ref, project id, received_at) of the filter's complaints
    that contain one. A filter the term store cannot take (severity, touchpoint …) has no term groups."""
    try:
        rise = rising(flt, session=session)
        if rise.empty:
            return []
        terms = list(rise["term"])[:RISING_FOR_SIGNALS]
        rows = session.execute(
            select(_T.c.term, Complaint.ref, Complaint.project_id, Complaint.received_at)
            .join(Complaint, Complaint.id == _T.c.record_id)
            .where(*conditions(flt, "complaint", 1), _T.c.term.in_(terms), Complaint.status != "void")).all()
    except FilterError:
        return []
    return [(r.term, r.ref, r.project_id, r.received_at) for r in rows]
