"""Third-party survey files (SPEC §4, §9): one wave per vendor and method, upsert on the natural key."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select

from lib.db import among
from lib.imports.base import Importer, WriteContext, changed
from lib.imports.core import (
    Batch,
    CellError,
    Column,
    RowError,
    parse_choice,
    parse_date,
    parse_int,
    parse_number,
    parse_vocab,
    sized,
    text,
)
from lib.models import Company, Project, SurveyResponse, SurveyWave
from lib.services import followups

SCALES = (5, 10, 11)
SCORE_RANGE = {5: (1, 5), 10: (1, 10), 11: (0, 10)}
SCORES = ("overall", "housing_quality", "maintenance", "property_service", "complaint_handling")
_PHONE = re.compile(r"(\+?86)?1[3-9]\d{9}")


def respondent_key(value: Any) -> str | None:
    """Stored as the vendor delivers it (a hash); a value that looks like a phone number is refused."""
    raw = text(value)
    if raw is None:
        return None
    if _PHONE.fullmatch(re.sub(r"[\s\-()]", "", raw)):
        raise CellError("受访者编号看起来是手机号码：请供应商提供哈希编号，不得提供原始号码",
                        "respondent_key looks like a phone number: vendors must deliver a hash, never the number")
    return raw


_CONTACT = re.compile(r"\+?[0-9][0-9\-\s()]{4,19}")


def contact_phone(value: Any) -> str | None:
    """A phone the respondent agreed to be called back on (SPEC §14): digits, with +, -, spaces or
    brackets, 5–20 characters and at least 5 digits; an Excel number arrives without its ".0"."""
    raw = text(value)
    if raw is None:
        return None
    if not _CONTACT.fullmatch(raw) or sum(ch.isdigit() for ch in raw) < 5:
        raise CellError("不是有效的电话号码（只能包含数字、+、-、空格和括号，5–20 位）",
                        "not a valid phone number (digits, +, -, spaces and brackets only, 5–20 characters)")
    return raw


COLUMNS = [
    Column("respondent_key", "受访者编号", True, respondent_key),
    Column("surveyed_on", "调查日期", True, parse_date),
    Column("company", "公司", True, text),
    Column("city", "城市", True, text),
    Column("project", "项目", True, text),
    Column("touchpoint", "触点", True, parse_vocab("touchpoint")),
    Column("scale", "量表", True, parse_choice(SCALES)),
    Column("overall", "总体满意度", True, parse_number),
    Column("housing_quality", "房屋质量", False, parse_number),
    Column("maintenance", "维修服务", False, parse_number),
    Column("property_service", "物业服务", False, parse_number),
    Column("complaint_handling", "投诉处理", False, parse_number),
    Column("recommend", "推荐意愿", False, parse_int(0, 10)),
    Column("method", "调查方式", False, parse_vocab("method")),
    Column("vendor", "调查机构", False, text),
    Column("contact_phone", "联系电话", False, contact_phone),
    Column("vendor_case_id", "调查机构编号", False, text),
]
COLUMNS = sized(COLUMNS, SurveyResponse, company=Company.name, city=Project.city, project=Project.name,
                vendor=SurveyWave.vendor)
FIELDS = ("surveyed_on", "scale", *SCORES, "recommend", "contact_phone", "vendor_case_id")


def check(batch: Batch) -> list[RowError]:
    """Every score must lie on its own row's scale (1–5, 1–10 or 0–10)."""
    errors = []
    for name in SCORES:
        for line, scale, value in zip(batch.lines, batch["scale"], batch[name], strict=True):
            if value is not None and scale in SCORE_RANGE and not SCORE_RANGE[scale][0] <= value <= SCORE_RANGE[scale][1]:
                low, high = SCORE_RANGE[scale]
                errors.append(RowError(line, name, str(value), f"超出 {scale} 分量表的范围 {low}–{high}",
                                       f"outside the {low}–{high} range of scale {scale}"))
    errors.sort(key=lambda e: e.row)  # stable: within a line, scores in SCORES order
    return errors


def write(batch: Batch, ctx: WriteContext) -> None:
    """Answers already stored (same respondent, touchpoint and day) are updated one by one; new
    ones are written column by column."""
    session = ctx.session
    keys = list(zip(batch["respondent_key"], batch["touchpoint"], batch["surveyed_on"], strict=True))
    # Looked up on the key's leading column, which the unique index starts with; the other two
    # columns are matched here.
    wanted = set(keys)
    existing = {k: s for s in session.scalars(select(SurveyResponse).where(
        among(session, SurveyResponse.respondent_key, list({k[0] for k in keys}))))
        if (k := (s.respondent_key, s.touchpoint, s.surveyed_on)) in wanted}
    projects = [ctx.resolver.project(company, city, project, None).id for company, city, project in zip(
        batch["company"], batch["city"], batch["project"], strict=True)]
    values = {name: batch[name] for name in FIELDS} | {"project_id": projects}
    new, stored = [], []
    for i, key in enumerate(keys):
        current = existing.get(key)
        if current is None:
            new.append(i)
            continue
        stored.append(current)
        # a score column the file leaves out keeps the stored score
        row = {name: column[i] for name, column in values.items() if name in ctx.present or name == "project_id"}
        if changed(current, row):
            for name, value in row.items():
                setattr(current, name, value)
            ctx.result.updated += 1
        else:
            ctx.result.unchanged += 1
    answers = [(s.id, s.scale, s.overall, s.recommend) for s in stored]
    if new:
        waves = _waves(ctx, [batch["vendor"][i] for i in new], [batch["method"][i] for i in new],
                       [batch["surveyed_on"][i] for i in new])
        ids = ctx.insert(SurveyResponse.__table__, {  # at the driver's speed: see lib.db
            "wave_id": waves, "respondent_key": [keys[i][0] for i in new], "touchpoint": [keys[i][1] for i in new],
            **{name: [column[i] for i in new] for name, column in values.items()}})
        ctx.result.inserted += len(new)
        answers += [(rid, batch["scale"][i], batch["overall"][i], batch["recommend"][i])
                    for rid, i in zip(ids, new, strict=True)]
    _open_followups(ctx, answers)


def _open_followups(ctx: WriteContext, answers: list[tuple]) -> None:
    """SPEC §14: each low answer of the chunk without a task gets one (lib.services.followups); an
    answer already stored keeps the task it has, so a re-imported file opens none."""
    rule = ctx.cache.get("followup_rules")
    if rule is None:
        rule = ctx.cache["followup_rules"] = followups.rules(session=ctx.session)
    opened = followups.open_tasks(ctx.session, answers, rule=rule, insert=ctx.insert)
    ctx.cache["followups_opened"] = ctx.cache.get("followups_opened", 0) + opened


def _waves(ctx: WriteContext, vendors: list[Any], methods: list[Any], days: list[date]) -> list[int]:
    """One wave per (vendor, method) per file, created when the file brings its first new answer
    and stretched to the days of the answers it holds. Returns each answer's wave id."""
    waves = ctx.cache.setdefault("waves", {})
    spans: dict[tuple, list[date]] = {}
    for key, day in zip(zip(vendors, methods, strict=True), days, strict=True):
        span = spans.setdefault(key, [day, day])
        span[0], span[1] = min(span[0], day), max(span[1], day)
    for key, (first, last) in spans.items():
        wave = waves.get(key)
        if wave is None:
            waves[key] = SurveyWave(vendor=key[0], method=key[1], source=ctx.cache.get("filename"),
                                    imported_by=ctx.actor, period_start=first, period_end=last)
            ctx.session.add(waves[key])
        else:
            wave.period_start, wave.period_end = min(wave.period_start, first), max(wave.period_end, last)
    ctx.session.flush()
    ids = {key: wave.id for key, wave in waves.items()}
    return [ids[key] for key in zip(vendors, methods, strict=True)]


IMPORTER = Importer("survey", "survey_response", COLUMNS, write,
                    key=("respondent_key", "touchpoint", "surveyed_on"), check=check, order="surveyed_on")
