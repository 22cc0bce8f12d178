"""Issue #23: the partial-month marker's label no longer overlaps: it was a text mark at every series'
partial point (three listening tiers, seven touchpoints: the label over itself and the points); now the
partial month's axis tick reads the month and, under it, the label — once, clear of the data."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from lib import charts

LABEL = "不完整月份"


def _texts(spec: dict) -> list[dict]:
    found, stack = [], [spec]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            mark = node.get("mark")
            if mark == "text" or (isinstance(mark, dict) and mark.get("type") == "text"):
                found.append(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _x_axes(spec: dict) -> list[dict]:
    found, stack = [], [spec]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            axis = node.get("encoding", {}).get("x", {}).get("axis") if isinstance(node.get("encoding"), dict) else None
            if isinstance(axis, dict) and "labelExpr" in axis:
                found.append(axis)
            stack.extend(v for k, v in node.items() if k != "encoding")
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _frames():
    months = ["2026-10", "2026-11", "2026-12"]
    tiers = pd.DataFrame([{"month": m, "series": s, "rate": 0.5, "n": 10, "partial": m == "2026-12"}
                          for m in months for s in ("全部", "管理层", "员工")])
    touch = pd.DataFrame([{"month": m, "touchpoint": t, "series": t, "n": 10, "value": 80.0, "low": 75.0,
                           "high": 85.0, "partial": m == "2026-12"} for m in months for t in "ABCDEFG"])
    volume = pd.DataFrame({"month": months, "complaints": [30, 40, 3], "resolution_rate": [0.9, 0.8, 0.05],
                           "partial": [False, False, True]})
    return [(charts.rate_lines, tiers, {"x_title": "月份", "y_title": "比率"}),
            (charts.trend_with_bands, touch, {"x_title": "月份", "y_title": "得分", "fmt": ".1f"}),
            (charts.volume_and_rate, volume, {"x_title": "月份", "bar_title": "数量", "line_title": "解决率"})]


@pytest.mark.parametrize("builder,frame,titles", _frames(), ids=["tiers", "touchpoints", "volume"])
def test_the_partial_label_is_written_once_on_the_axis_not_at_every_point(builder, frame, titles):
    spec = charts.spec(builder(frame, partial_label=LABEL, **titles), validate=True)
    text = json.dumps(spec, ensure_ascii=False)
    assert not [t for t in _texts(spec) if LABEL in json.dumps(t, ensure_ascii=False)]  # no text mark carries it
    # every mention is the x axis's label expression, the same in each layer (layers share one x axis)
    axes = _x_axes(spec)
    assert text.count(LABEL) == len(axes) >= 1
    assert {a["labelExpr"] for a in axes} == {f'(datum.value === "2026-12") ? [datum.value, "({LABEL})"] : datum.value'}
    assert "strokeDash" in text  # the partial stretch is still dashed


def test_nothing_partial_leaves_the_axis_as_it_was():
    frame = pd.DataFrame({"month": ["2026-10", "2026-11"], "series": ["a", "a"], "rate": [0.5, 0.6],
                          "partial": [False, False]})
    spec = charts.spec(charts.rate_lines(frame, x_title="月份", y_title="比率", partial_label=LABEL))
    assert LABEL not in json.dumps(spec, ensure_ascii=False)
