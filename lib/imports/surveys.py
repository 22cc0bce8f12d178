"""Third-party survey files (SPEC §4, §9): one wave per vendor and method, upsert on the natural key."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from lib.db import insert_many
from lib.imports.base import Importer, Row, WriteContext, changed
from lib.imports.core import (
    CellError,
    Column,
    RowError,
    parse_choice,
    parse_date,
    parse_int,
    parse_number,
    parse_vocab,
    text,
)
from lib.models import SurveyResponse, SurveyWave

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
]
FIELDS = ("surveyed_on", "scale", *SCORES, "recommend")


def check(line: int, row: dict[str, Any]) -> list[RowError]:
    """Every score must lie on its own row's scale (1–5, 1–10 or 0–10)."""
    scale = row.get("scale")
    if scale not in SCORE_RANGE:
        return []
    low, high = SCORE_RANGE[scale]
    errors = []
    for name in SCORES:
        value = row.get(name)
        if value is not None and not low <= value <= high:
            errors.append(RowError(line, name, str(value), f"超出 {scale} 分量表的范围 {low}–{high}",
                                   f"outside the {low}–{high} range of scale {scale}"))
    return errors


def _wave(ctx: WriteContext, row: dict[str, Any]) -> SurveyWave:
    """One wave per (vendor, method) per file, created only when the file brings a new response."""
    key = (row.get("vendor"), row.get("method"))
    waves = ctx.cache.setdefault("waves", {})
    if key not in waves:
        wave = SurveyWave(vendor=key[0], method=key[1], source=ctx.cache.get("filename"), imported_by=ctx.actor,
                          period_start=row["surveyed_on"], period_end=row["surveyed_on"])
        ctx.session.add(wave)
        ctx.session.flush()
        waves[key] = wave
    wave = waves[key]
    wave.period_start = min(wave.period_start, row["surveyed_on"])
    wave.period_end = max(wave.period_end, row["surveyed_on"])
    return wave


def write(rows: list[Row], ctx: WriteContext) -> None:
    session = ctx.session
    keys = [(r["respondent_key"], r["touchpoint"], r["surveyed_on"]) for _, r in rows]
    # IN on the key's leading column uses the unique index on every database (a row-value IN made
    # SQLite scan the table once per chunk); the other two columns are matched here.
    wanted = set(keys)
    existing = {k: s for s in session.scalars(select(SurveyResponse).where(
        SurveyResponse.respondent_key.in_({k[0] for k in keys})))
        if (k := (s.respondent_key, s.touchpoint, s.surveyed_on)) in wanted}
    new = []
    for key, (_, r) in zip(keys, rows, strict=True):
        project = ctx.resolver.project(r["company"], r["city"], r["project"], None)
        values = {name: r.get(name) for name in FIELDS} | {"project_id": project.id}
        current = existing.get(key)
        if current is None:
            new.append({"wave_id": _wave(ctx, r).id, "respondent_key": key[0], "touchpoint": key[1], **values})
            ctx.result.inserted += 1
        elif changed(current, values):
            for name, value in values.items():
                setattr(current, name, value)
            ctx.result.updated += 1
        else:
            ctx.result.unchanged += 1
    insert_many(session, SurveyResponse.__table__, new)  # at the driver's speed: see lib.db


IMPORTER = Importer("survey", "survey_response", COLUMNS, write,
                    key=("respondent_key", "touchpoint", "surveyed_on"), check=check)
