"""Chart specs: the data drawn is the frame given, whatever data transformer is switched on globally."""
import altair as alt
import pandas as pd
import pytest

from lib import charts


def _refuse(data, **kwargs):
    raise AssertionError("a chart builder consulted the global data transformer")


@pytest.fixture
def foreign_transformer():
    """Streamlit enables its own transformer globally while it draws an Altair chart in another session."""
    alt.data_transformers.register("refuse", _refuse)
    with alt.data_transformers.enable("refuse"):
        yield


def test_a_spec_carries_its_frame_and_no_fixed_view_while_another_transformer_is_on(foreign_transformer):
    frame = pd.DataFrame({"month": ["2026-01", "2026-02"], "complaints": [12, 7], "resolution_rate": [0.5, None]})
    spec = charts.spec(charts.volume_and_rate(frame, x_title="月份", bar_title="投诉量", line_title="解决率"))
    (rows,) = spec["datasets"].values()
    assert rows == [{"month": "2026-01", "complaints": 12, "resolution_rate": 0.5},
                    {"month": "2026-02", "complaints": 7, "resolution_rate": None}]
    assert "view" not in spec.get("config", {})
    assert [p["name"] for p in spec["params"]] == ["pick"]


def test_raised_and_open_draws_two_bars_per_label_named_in_the_users_language(foreign_transformer):
    frame = pd.DataFrame({"label": ["维修", "绿化"], "raised": [5, 2], "open": [1, 0]})
    spec = charts.spec(charts.raised_and_open(frame, count_title="数量", raised_title="提出", open_title="未关闭"))
    (rows,) = spec["datasets"].values()
    assert sorted((r["label"], r["kind"], r["n"]) for r in rows) == [
        ("维修", "提出", 5), ("维修", "未关闭", 1), ("绿化", "提出", 2), ("绿化", "未关闭", 0)]


@pytest.mark.parametrize("kind", ["bar", "line", "heatmap"])
def test_explore_pivot_leaves_out_empty_values(kind, foreign_transformer):
    frame = pd.DataFrame({"city": ["杭州", "宁波", "温州"], "value": [3.0, None, 1.5]})
    spec = charts.spec(charts.pivot(frame, kind=kind, by="city", by2=None, by_title="城市", by2_title=None,
                                    value_title="均值", fmt=",.1f"))
    (rows,) = spec["datasets"].values()
    assert rows == [{"city": "杭州", "value": 3.0}, {"city": "温州", "value": 1.5}]
