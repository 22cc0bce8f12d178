"""Risk signals of complaints (SPEC §15, issue #26): group complaints, repeat complainants, exposure words.

- ``group_complaint`` (群诉): at least N complaints (setting ``signal_group_min``, default 5) of one
  project and category received within W hours (``signal_group_window_hours``, default 72; inclusive:
  the N-th at exactly W hours after the first counts, a minute later does not). A sliding window on
  ``received_at``: a complaint *fires* when it and the N−1 complaints before it of its project and
  category were received within W hours (``LAG(received_at, N−1)`` in SQL); the complaints of
  overlapping firing windows form one signal. A signal belongs to a period when one of its firing
  complaints was received in the period (its earlier complaints may be up to W hours before it).
  The SPEC's "or sharing a rising term": see `TermSource` (the term store is another feature's; when it
  passes a source, the same window runs over project + term).
- ``repeat_complainant``: a household complaining again within D days (``signal_repeat_days``, 90).
  A *household* is one keyed phone hash (`lib.services.phone_hash`): the complaint model has no unit or
  room field, so the phone is the only household key there is. A household counts in a period when
  one of its complaints received in the period follows another of its complaints received at most D
  days earlier. The hash never leaves this module: households are numbered 1, 2 … per answer.
- ``exposure_words``: a description containing a word of the admin's list (``signal_exposure_words``):
  escalation to HQ is suggested (the complaint register's escalate path).

Every read takes a KpiFilter (its organisation scope and lists apply, void complaints never count) and
runs the detection in SQL; only the complaints of the signals found are read back.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from lib.db import among, contains
from lib.errors import ValidationFailed
from lib.kpis import complaints as kpis
from lib.kpis.common import KpiFilter, hours_between
from lib.models import Company, Complaint, Project
from lib.privacy import mask_name, mask_phone
from lib.services import settings

EPSILON_HOURS = 1e-6  # SQLite's julianday arithmetic is a float: exactly W hours must not read as W + 1e-12
QUOTE_CHARS = 16  # characters either side of the first matched word in a quote
_DIGITS = re.compile(r"\+?\d[\d\s\-()]{5,}\d")


@dataclass(frozen=True)
class Rules:
    group_min: int = 5
    window_hours: float = 72.0
    repeat_days: int = 90
    words: tuple[str, ...] = ()


def rules(*, session: Session) -> Rules:
    return Rules(int(settings.get("signal_group_min", session=session)),
                 float(settings.get("signal_group_window_hours", session=session)),
                 int(settings.get("signal_repeat_days", session=session)),
                 tuple(settings.get("signal_exposure_words", session=session)))


def parse_words(text: str) -> list[str]:
    """An admin's list as typed: one word per line or separated by commas (、，,), blanks and repeats dropped."""
    seen: dict[str, None] = {}
    for word in re.split(r"[\n,，、;；]+", text or ""):
        if word.strip():
            seen[word.strip()] = None
    return list(seen)


def save_rules(*, session: Session, actor: str, group_min: Any, window_hours: Any, repeat_days: Any,
               words: list[str]) -> Rules:
    """The admin's signal settings, validated whole (nothing stored if any is bad), each change audited."""
    bad = []
    try:
        group_min = int(group_min)
        if not 2 <= group_min <= 1000:
            bad.append("sig_group_min")
    except (TypeError, ValueError):
        bad.append("sig_group_min")
    try:
        window_hours = float(window_hours)
        if not 1 <= window_hours <= 24 * 31:
            bad.append("sig_window_hours")
    except (TypeError, ValueError):
        bad.append("sig_window_hours")
    try:
        repeat_days = int(repeat_days)
        if not 1 <= repeat_days <= 730:
            bad.append("sig_repeat_days")
    except (TypeError, ValueError):
        bad.append("sig_repeat_days")
    words = [w.strip() for w in words if w and w.strip()]
    if not words or len(words) > 200 or any(len(w) > 20 for w in words):
        bad.append("sig_words")
    if bad:
        raise ValidationFailed("sig_err_settings", fields=", ".join(bad))
    new = {"signal_group_min": group_min, "signal_group_window_hours": window_hours,
           "signal_repeat_days": repeat_days, "signal_exposure_words": words}
    for key, value in new.items():
        if settings.get(key, session=session) != value:
            settings.put(key, value, session=session, actor=actor)
    return rules(session=session)


# ---- results ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupSignal:
    project_id: int
    company_id: int
    project: str
    company: str
    category: str | None
    count: int
    first_at: datetime
    last_at: datetime
    refs: tuple[str, ...]
    term: str | None = None  # set when the group shares a rising term (TermSource) instead of a category

    @property
    def key(self) -> str:
        """Stable while the signal grows: its project, category (or term) and first complaint."""
        return f"group:{self.project_id}:{self.term or self.category}:{self.refs[0]}"

    def as_json(self) -> dict[str, Any]:
        out = {"project": self.project, "company": self.company, "category": self.category, "count": self.count,
               "first_at": self.first_at.isoformat(), "last_at": self.last_at.isoformat(), "refs": list(self.refs)}
        return out | ({"term": self.term} if self.term else {})


@dataclass(frozen=True)
class RepeatSignal:
    household: int  # 1, 2 … within one answer; the phone and its hash are never given out
    count: int  # the household's complaints in the chain (the repeats and the ones they followed)
    repeats: int  # of those, complaints received in the period within D days of the previous one
    first_at: datetime
    last_at: datetime
    refs: tuple[str, ...]
    repeat_refs: tuple[str, ...]
    project_ids: tuple[int, ...]
    projects: tuple[str, ...]
    where: tuple[tuple[str, int, str], ...] = ()  # (ref, project id, project) of each complaint of the chain

    def project_of(self, ref: str) -> tuple[int, str]:
        return next((pid, name) for r, pid, name in self.where if r == ref)


@dataclass(frozen=True)
class ExposureSignal:
    ref: str
    words: tuple[str, ...]
    project_id: int
    company_id: int
    project: str
    company: str
    received_at: datetime
    status: str
    escalation_level: int
    version: int
    assignee: str | None
    quote: str  # the description around the first match, names and phones masked

    @property
    def escalation_suggested(self) -> bool:
        return self.escalation_level == 0 and self.status not in ("closed", "void")


@dataclass(frozen=True)
class Signals:
    rules: Rules
    group_complaints: list[GroupSignal] = field(default_factory=list)
    repeat_complainants: list[RepeatSignal] = field(default_factory=list)
    exposure: list[ExposureSignal] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The CLI's answer (SPEC §15): refs, projects, categories, counts and words only."""
        return {"group_complaints": [g.as_json() for g in self.group_complaints],
                "repeat_complainants": len(self.repeat_complainants),
                "exposure": [{"ref": e.ref, "words": list(e.words)} for e in self.exposure]}

    def counts(self) -> dict[str, int]:
        return {"group_complaints": len(self.group_complaints), "repeat_complainants": len(self.repeat_complainants),
                "exposure": len(self.exposure)}


REF_PATTERN = re.compile(r"[A-Za-z0-9_\-]{1,64}")
MAX_LINK_REFS = 200


def refs_query(refs: Iterable[str], first_at: datetime, last_at: datetime, limit: int = 280) -> str:
    """The register's address for these complaints: their period and their refs (`refs=A,B`, which the
    register lists alone). Past `limit` characters (a stored link's size) the refs are left out."""
    query = {"from": first_at.date().isoformat(), "to": last_at.date().isoformat(), "refs": ",".join(refs)}
    text = urlencode(query)
    return text if len(text) <= limit else urlencode({k: v for k, v in query.items() if k != "refs"})


def parse_refs(value: str | None) -> tuple[str, ...]:
    """`refs=` of a link, as the register takes it: well-formed references only, at most MAX_LINK_REFS."""
    refs = [r.strip() for r in (value or "").split(",") if REF_PATTERN.fullmatch(r.strip())]
    return tuple(dict.fromkeys(refs))[:MAX_LINK_REFS]


# ---- the rising-term hook ------------------------------------------------------------------

# The hook for "or sharing a rising term" (SPEC §15): a callable that, for a filter, yields
# (term, complaint ref, project id, received_at) of the complaints of the filter's reach that contain one
# of the period's rising terms (the term store of the Topics feature, not on this branch). The period it
# is given is already widened by the window (`window_filter`). `compute(..., terms=source)` then runs the
# same sliding window over (project, term) and adds those groups with `term` set and category None.
TermHit = tuple[str, str, int, datetime]
TermSource = Callable[[KpiFilter, Session], Iterable[TermHit]]


def window_filter(flt: KpiFilter, hours: float) -> KpiFilter:
    """The filter's period reaching back far enough for a window that ends on its first day."""
    return replace(flt, start=flt.start - timedelta(days=int(hours // 24) + 1))


def clusters(times: list[datetime], n: int, hours: float, since: datetime) -> list[tuple[int, int]]:
    """(first, last) index ranges of `times` (sorted) where ≥ n fall within `hours`: index i fires when
    times[i] − times[i − n + 1] ≤ hours; overlapping firing windows join; a range is kept when one of its
    firing indexes is at or after `since`."""
    out: list[list[int]] = []
    fired_since: list[bool] = []
    for i in range(n - 1, len(times)):
        start = i - n + 1
        if (times[i] - times[start]).total_seconds() / 3600 > hours + EPSILON_HOURS:
            continue
        if out and start <= out[-1][1]:
            out[-1][1] = i
            fired_since[-1] = fired_since[-1] or times[i] >= since
        else:
            out.append([start, i])
            fired_since.append(times[i] >= since)
    return [(a, b) for (a, b), keep in zip(out, fired_since, strict=True) if keep]


# ---- detection -----------------------------------------------------------------------------

def term_store(flt: KpiFilter, session: Session) -> list[TermHit]:
    """The default TermSource: the Topics feature's rising words over the stored terms (lib.text.topics)."""
    from lib.text.topics import rising_term_hits

    return rising_term_hits(flt, session)


def compute(flt: KpiFilter, *, session: Session, terms: TermSource | None = term_store,
            rules_: Rules | None = None) -> Signals:
    """`terms=None`: the project-and-category groups only."""
    r = rules_ or rules(session=session)
    return Signals(r, group_complaints(flt, r, session=session, terms=terms),
                   repeat_complainants(flt, r, session=session), exposure(flt, r, session=session))


def group_complaints(flt: KpiFilter, r: Rules, *, session: Session, terms: TermSource | None = None) -> list[GroupSignal]:
    wide = window_filter(flt, r.window_hours)
    since, until = flt.bounds()
    c = Complaint
    lagged = (select(c.project_id, c.category, c.received_at,
                     func.lag(c.received_at, r.group_min - 1).over(
                         partition_by=(c.project_id, c.category), order_by=(c.received_at, c.id)).label("window_start"))
              .select_from(kpis.joined()).where(*kpis.conditions(wide))).subquery()
    fired = session.execute(
        select(lagged.c.project_id, lagged.c.category).distinct()
        .where(lagged.c.window_start.is_not(None), lagged.c.received_at >= since,
               hours_between(session, lagged.c.window_start, lagged.c.received_at) <= r.window_hours + EPSILON_HOURS)
    ).all()
    out: list[GroupSignal] = []
    if fired:
        pairs = {(p, cat) for p, cat in fired}
        rows = session.execute(
            select(c.ref, c.project_id, c.category, c.received_at, Project.name.label("project"),
                   Company.name.label("company"), Project.company_id)
            .select_from(kpis.joined())
            .where(*kpis.conditions(wide), among(session, c.project_id, sorted({p for p, _ in pairs})))
            .order_by(c.project_id, c.category, c.received_at, c.id)).all()
        by_group: dict[tuple[int, str], list] = {}
        for row in rows:
            if (row.project_id, row.category) in pairs:
                by_group.setdefault((row.project_id, row.category), []).append(row)
        for (_pid, category), members in by_group.items():
            out += _signals(members, r, since, category=category)
    if terms is not None:  # a term group adds news only when its complaints are not a group already
        covered = [set(g.refs) for g in out]
        for g in _term_groups(terms, wide, r, since, until, session=session):
            if not any(set(g.refs) <= refs for refs in covered):
                out.append(g)
                covered.append(set(g.refs))
    return sorted(out, key=lambda g: (g.first_at, g.project, g.category or "", g.term or ""))


def _signals(members: list, r: Rules, since: datetime, *, category: str | None, term: str | None = None) -> list[GroupSignal]:
    times = [m.received_at for m in members]
    found = []
    for a, b in clusters(times, r.group_min, r.window_hours, since):
        part = members[a:b + 1]
        found.append(GroupSignal(part[0].project_id, part[0].company_id, part[0].project, part[0].company, category,
                                 len(part), part[0].received_at, part[-1].received_at, tuple(m.ref for m in part), term))
    return found


@dataclass(frozen=True)
class _Member:
    ref: str
    project_id: int
    received_at: datetime
    project: str = ""
    company: str = ""
    company_id: int = 0


def _term_groups(terms: TermSource, wide: KpiFilter, r: Rules, since: datetime, until: datetime, *,
                 session: Session) -> list[GroupSignal]:
    hits = [h for h in terms(wide, session) if h[3] < until]
    if not hits:
        return []
    names = {pid: (p, co, cid) for pid, p, co, cid in session.execute(
        select(Project.id, Project.name, Company.name, Project.company_id).join(Company, Company.id == Project.company_id)
        .where(Project.id.in_({h[2] for h in hits})))}
    by_group: dict[tuple[int, str], list[_Member]] = {}
    for term, ref, pid, at in sorted(hits, key=lambda h: (h[2], h[0], h[3], h[1])):
        p, co, cid = names[pid]
        by_group.setdefault((pid, term), []).append(_Member(ref, pid, at, p, co, cid))
    out = []
    for (_pid, term), members in by_group.items():
        out += _signals(members, r, since, category=None, term=term)
    return out


def repeat_complainants(flt: KpiFilter, r: Rules, *, session: Session) -> list[RepeatSignal]:
    """Households with a complaint in the period that follows another of theirs within D days."""
    c = Complaint
    since, _until = flt.bounds()
    wide = replace(flt, start=flt.start - timedelta(days=r.repeat_days + 1))
    lagged = (select(c.phone_hash, c.received_at,
                     func.lag(c.received_at).over(partition_by=c.phone_hash, order_by=(c.received_at, c.id))
                     .label("previous_at"))
              .select_from(kpis.joined()).where(*kpis.conditions(wide), c.phone_hash.is_not(None))).subquery()
    repeat = and_(lagged.c.previous_at.is_not(None), lagged.c.received_at >= since,
                  hours_between(session, lagged.c.previous_at, lagged.c.received_at)
                  <= r.repeat_days * 24 + EPSILON_HOURS)
    households = session.execute(select(lagged.c.phone_hash).where(repeat).group_by(lagged.c.phone_hash)).scalars().all()
    if not households:
        return []
    rows = session.execute(
        select(c.phone_hash, c.ref, c.received_at, c.project_id, Project.name).select_from(kpis.joined())
        .where(*kpis.conditions(wide), among(session, c.phone_hash, list(households)))
        .order_by(c.phone_hash, c.received_at, c.id)).all()
    chains: dict[str, list] = {}
    for row in rows:
        chains.setdefault(row.phone_hash, []).append(row)
    found = []
    limit = timedelta(days=r.repeat_days)
    for members in chains.values():
        repeats, linked = [], set()
        for i in range(1, len(members)):
            if members[i].received_at >= since and members[i].received_at - members[i - 1].received_at <= limit:
                repeats.append(i)
                linked |= {i - 1, i}
        if not repeats:
            continue
        part = [members[i] for i in sorted(linked)]
        found.append((part, [members[i].ref for i in repeats]))
    found.sort(key=lambda f: (f[0][0].received_at, f[0][0].ref))
    return [RepeatSignal(n, len(part), len(reps), part[0].received_at, part[-1].received_at,
                         tuple(m.ref for m in part), tuple(reps),
                         tuple(dict.fromkeys(m.project_id for m in part)), tuple(dict.fromkeys(m.name for m in part)),
                         tuple((m.ref, m.project_id, m.name) for m in part))
            for n, (part, reps) in enumerate(found, start=1)]


def exposure(flt: KpiFilter, r: Rules, *, session: Session) -> list[ExposureSignal]:
    """Complaints of the period whose description contains a word of the list (matched in SQL)."""
    if not r.words:
        return []
    c = Complaint
    rows = session.execute(
        select(c.ref, c.description, c.complainant_name, c.complainant_phone, c.project_id, Project.company_id,
               Project.name, Company.name, c.received_at, c.status, c.escalation_level, c.version, c.assignee)
        .select_from(kpis.joined())
        .where(*kpis.conditions(flt), or_(*(contains(c.description, w) for w in r.words)))
        .order_by(c.received_at, c.id)).all()
    out = []
    for row in rows:
        text = row.description or ""
        words = tuple(w for w in r.words if matches(text, w))
        if words:
            out.append(ExposureSignal(row.ref, words, row.project_id, row.company_id, row[6], row[7], row.received_at,
                                      row.status, row.escalation_level, row.version, row.assignee,
                                      quote(text, words[0], row.complainant_name, row.complainant_phone)))
    return out


def matches(text: str, word: str) -> bool:
    """`word` in `text`, case-insensitively (as the SQL's ILIKE); a number such as 12345 only on its own,
    not inside a longer number (a phone 138 1234 5678 is no call to the 12345 hotline)."""
    if word.isdigit():
        return re.search(rf"(?<!\d){re.escape(word)}(?!\d)", text) is not None
    return word.lower() in text.lower()


def quote(text: str, word: str, name: str | None, phone: str | None) -> str:
    """The description around `word`, with the complainant's name and phone and any phone-like number
    masked (lists mask personal data for every role, SPEC §8)."""
    text = mask_text(text, name, phone)  # whole first: a cut must not leave half a phone unmasked
    at = max(text.lower().find(word.lower()), 0)
    start, end = max(0, at - QUOTE_CHARS), min(len(text), at + len(word) + QUOTE_CHARS)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def mask_text(text: str, name: str | None, phone: str | None) -> str:
    if name and name.strip():
        text = text.replace(name.strip(), mask_name(name) or "")
    if phone and phone.strip():
        text = text.replace(phone.strip(), mask_phone(phone) or "")
    return _DIGITS.sub(lambda m: mask_phone(m.group(0)) or "", text)
