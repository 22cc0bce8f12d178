"""Industry benchmarks (行业均值): one value per year and survey dimension on 0–100, entered by an admin."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.errors import ValidationFailed
from lib.models import Benchmark
from lib.services import audit
from lib.services.targets import text_cell
from lib.vocab import SURVEY_DIMENSIONS, lookup


def _clean(row: dict[str, Any]) -> tuple[int, str, float] | None:
    try:
        year = int(row.get("year"))
        value = float(row.get("value"))
    except (TypeError, ValueError):
        return None
    raw = str(row.get("dimension") or "").strip()
    dimension = raw if raw in SURVEY_DIMENSIONS else lookup("dimension", raw)
    if not (2000 <= year <= 2100) or dimension is None or not (0.0 <= value <= 100.0) or value != value:
        return None
    return year, dimension, value


def save(rows: list[dict[str, Any]], *, session: Session, actor: str) -> int:
    """Replace the whole benchmark table by `rows` (year, dimension, value); all or nothing.

    Returns the number of benchmarks kept. Each change (added, changed, removed) is audited."""
    clean, problems, seen = {}, [], set()
    for i, row in enumerate(rows, start=1):
        if all(text_cell(row.get(k)) is None for k in ("year", "dimension", "value")):
            continue  # an empty line the editor left behind
        item = _clean(row)
        if item is None or (item[0], item[1]) in seen:
            problems.append(str(i))
            continue
        seen.add((item[0], item[1]))
        clean[(item[0], item[1])] = item[2]
    if problems:
        raise ValidationFailed("err_benchmark_rows", rows="、".join(problems))
    existing = {(b.year, b.dimension): b for b in session.scalars(select(Benchmark))}
    changes = {}
    for key, b in existing.items():
        if key not in clean:
            changes[f"{key[0]} {key[1]}"] = [b.value, None]
            session.delete(b)
        elif b.value != clean[key]:
            changes[f"{key[0]} {key[1]}"] = [b.value, clean[key]]
            b.value = clean[key]
    for key, value in clean.items():
        if key not in existing:
            changes[f"{key[0]} {key[1]}"] = [None, value]
            session.add(Benchmark(year=key[0], dimension=key[1], value=value))
    if changes:
        session.flush()
        audit.record(session=session, actor=actor, action="benchmarks_saved", entity="benchmark",
                     detail=changes)
    return len(clean)
