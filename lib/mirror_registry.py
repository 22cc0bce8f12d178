"""The KPI formulas the analytic mirror stores and sums, registered by the KPI modules themselves.

The KPI modules read through the mirror (lib.analytics) and the mirror computes columns and monthly
sums with their formulas, so that each formula lives in one place. Neither module imports the other
for that: each KPI module registers its formulas here when it is imported, and the mirror asks here
(importing the module named in PROVIDERS the first time, as before it did itself). No dependencies."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _none(c: Any) -> list:
    return []


@dataclass(frozen=True)
class MirrorFormulas:
    # (name, DuckDB type, expression over plain columns) the mirror stores beside a row's raw columns;
    # the argument is the raw columns' names
    columns: Callable[[tuple[str, ...]], tuple[tuple[str, str, Any], ...]]
    # (statistic, what one row adds to it) over the mirror's columns `c`, at `now` (None: as if every
    # due time had passed, as the monthly sums hold them)
    parts: Callable[[Any, Any], list[tuple[str, Any]]]
    kept: Callable[[Any], list] = _none  # conditions on the rows the sums count
    last_due: Callable[[Any], Any] | None = None  # a row's last due time (tables whose counts move with the clock)


PROVIDERS = {"complaint": "lib.kpis.complaints", "survey_response": "lib.kpis.surveys"}
_REGISTERED: dict[str, MirrorFormulas] = {}


def register(table: str, formulas: MirrorFormulas) -> None:
    _REGISTERED[table] = formulas


def formulas(table: str) -> MirrorFormulas:
    """The formulas of a mirrored table; the first time, the KPI module that registers them is imported."""
    if table not in _REGISTERED:
        importlib.import_module(PROVIDERS[table])
    return _REGISTERED[table]
