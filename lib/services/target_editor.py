"""The admin's target editor in the units people read (issue #23): rates as percentages (90 for 90 %,
amber 5 for 5 pt), scores as points 0–100; stored as targets.save keeps them (rates as fractions)."""
from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from lib.errors import ValidationFailed
from lib.services import targets


class TargetRowsRejected(ValidationFailed):
    """Bad editor rows: `problems` maps each reason's message key to its row numbers (1-based)."""

    def __init__(self, problems: dict[str, list[int]]) -> None:
        super().__init__("ux_err_target_rows", rows="、".join(str(i) for i in sorted({i for r in problems.values()
                                                                                      for i in r})))
        self.problems = problems


def messages(exc: TargetRowsRejected, translate) -> list[str]:
    """One line per reason, naming its rows, in the reader's language (`translate` = key, **params → text)."""
    return [translate(key, rows="、".join(map(str, rows))) for key, rows in exc.problems.items()]


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = float(value)
    return None if number != number else number


def editor_table(*, session: Session) -> pd.DataFrame:
    """The stored targets with rates ×100 (kpi, business_line, company, target, amber)."""
    frame = targets.table(session=session).drop(columns=["direction"])
    rate = frame["kpi"].map(targets.KIND_OF).eq("rate")
    for column in ("target", "amber"):
        frame[column] = [None if v is None or v != v else (round(v * 100, 6) if r else v)
                         for v, r in zip(frame[column], rate, strict=True)]
    return frame


def save_edited(rows: list[dict[str, Any]], *, session: Session, actor: str) -> int:
    """Rows as the editor holds them (rates in %): checked here, with a message naming the row and what is
    wrong in the admin's units, then stored as fractions by targets.save (all or nothing, audited). A rate
    target of 1 or less reads as a fraction typed by habit (0.9 for 90 %) and is refused, not kept as 0.9 %."""
    stored: list[dict[str, Any]] = []
    problems: dict[str, list[int]] = {}
    for i, row in enumerate(rows, start=1):
        kpi = targets.text_cell(row.get("kpi"))
        try:
            value, amber = _number(row.get("target")), _number(row.get("amber"))
        except (TypeError, ValueError):
            problems.setdefault("ux_target_not_number", []).append(i)
            continue
        if kpi is None and value is None:
            stored.append(row)  # an empty line the editor left behind (targets.save skips it; rows keep numbers)
            continue
        if kpi not in targets.KIND_OF:
            problems.setdefault("ux_target_no_kpi", []).append(i)
            continue
        rate = targets.KIND_OF[kpi] == "rate"
        reason = ("ux_target_missing" if value is None
                  else ("ux_target_range_rate" if rate else "ux_target_range_score")
                  if not (0 <= value <= 100 and 0 <= (amber or 0) <= 100)
                  else "ux_target_fraction" if rate and 0 < value <= 1 else None)
        if reason:
            problems.setdefault(reason, []).append(i)
            continue
        scale = 100.0 if rate else 1.0
        stored.append({**row, "target": value / scale, "amber": None if amber is None else amber / scale})
    if problems:
        raise TargetRowsRejected(problems)
    try:
        return targets.save(stored, session=session, actor=actor)
    except ValidationFailed as exc:  # what is left: an unknown business line / company, or a scope twice
        if exc.key != "err_target_rows":
            raise
        raise TargetRowsRejected({"ux_target_scope": [int(i) for i in str(exc.params["rows"]).split("、")]}) from None
