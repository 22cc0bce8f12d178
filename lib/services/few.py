"""The minimum-sample rule (issue #23) where tables and heat maps beyond the overview show KPIs: a value on
fewer cases than the admin's minimum (settings.min_sample) is flagged, to be shown greyed as "too few",
not coloured and not ranked. The value itself (SPEC §7) is unchanged."""
from __future__ import annotations

from typing import Any

import pandas as pd

# Listening's table shows four rates by company or department: each reads its own headcount; the overall
# rates (no minimum of their own) take the staff participation minimum, over the whole headcount.
LISTENING = {"participation_rate": ("headcount", "participation_rate_staff"),
             "participation_rate_management": ("headcount_management", "participation_rate_management"),
             "participation_rate_staff": ("headcount_staff", "participation_rate_staff"),
             "six_ones_completion_rate": ("headcount", "participation_rate_staff")}


def cells(frame: pd.DataFrame, kpi: str, minimum: dict[str, int]) -> pd.Series:
    """Explore's cells (value, n): True where a value stands on fewer than the KPI's minimum."""
    least = minimum.get(kpi)
    if least is None or "n" not in frame:
        return pd.Series(False, index=frame.index)
    return pd.Series([v is not None and v == v and n is not None and n == n and n < least
                      for v, n in zip(frame["value"], frame["n"], strict=True)], index=frame.index, dtype=bool)


def listening_rows(groups: list[dict[str, Any]], minimum: dict[str, int]) -> pd.DataFrame:
    """Listening's league by company or department: key, the counts, the four rates and `<rate>__few`;
    ranked (rate known, enough people) by participation rate first, then the too-few and empty rows."""
    counts = ("headcount", "participants", "findings")
    rows = []
    for g in groups:
        k = g["kpis"]
        row = {"key": g["key"], **{c: k.get(c) for c in counts}}
        for rate, (n_field, rule) in LISTENING.items():
            row[rate] = k.get(rate)
            least = minimum.get(rule)
            row[f"{rate}__few"] = (k.get(rate) is not None and least is not None
                                   and int(k.get(n_field) or 0) < least)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["key", *counts, *[c for r in LISTENING for c in (r, f"{r}__few")]])
    ranked = frame["participation_rate"].notna() & ~frame["participation_rate__few"].astype(bool)
    return (frame.assign(_ranked=ranked).sort_values(["_ranked", "participation_rate"], ascending=[False, False],
                                                     na_position="last", kind="stable")
            .drop(columns=["_ranked"]).reset_index(drop=True))

