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


MONTHS = pd.DataFrame({"month": ["2026-01", "2026-02"], "complaints": [12, 7], "resolution_rate": [0.5, 0.75]})
POINTS = pd.DataFrame({"month": ["2026-01", "2026-02"], "touchpoint": ["delivery", "delivery"], "series": ["交付", "交付"],
                       "n": [30, 40], "value": [80.0, 82.5], "low": [75.0, 78.0], "high": [85.0, 87.0]})
DIMENSIONS = pd.DataFrame({"label": ["总体", "维修"], "n": [30, 28], "value": [80.0, 70.0], "low": [75.0, 64.0],
                           "high": [85.0, 76.0], "benchmark": [78.0, None]})
# Every builder with a frame shaped as its page gives it: the page draws these specs unvalidated.
EXAMPLES = {
    "volume_and_rate": (MONTHS, {"x_title": "月份", "bar_title": "投诉量", "line_title": "解决率"}),
    "rate_bars": (MONTHS.assign(key=["a", "b"], label=["甲", "乙"]), {"volume_title": "量", "rate_title": "率"}),
    "count_bars": (pd.DataFrame({"bucket": ["≤1天", ">30天"], "count": [3, 1]}), {"x": "bucket", "count_title": "数量"}),
    "count_rows": (pd.DataFrame({"label": ["一", "二"], "employees": [3, 1], "share": [0.3, 0.1]}),
                   {"count": "employees", "count_title": "人数", "sort": "-x", "extra": (("share", "占比", ".1%"),)}),
    "rate_lines": (pd.DataFrame({"month": ["2026-01"], "series": ["全员"], "rate": [0.4]}), {"x_title": "月", "y_title": "率"}),
    "raised_and_open": (pd.DataFrame({"label": ["维修"], "raised": [5], "open": [1]}),
                        {"count_title": "数量", "raised_title": "提出", "open_title": "未关闭"}),
    "trend_with_bands": (POINTS, {"x_title": "月份", "y_title": "得分", "fmt": ".1f"}),
    "versus_benchmark": (DIMENSIONS, {"value_title": "得分", "bench_title": "行业"}),
    "heatmap": (DIMENSIONS.assign(key=["项目甲", "项目甲"]), {"row_title": "项目", "value_title": "得分"}),
    "importance_performance": (pd.DataFrame({"label": ["维修", "物业"], "n": [28, 29], "importance": [0.4, 0.6],
                                             "performance": [70.0, 75.0]}), {"x_title": "重要性", "y_title": "表现"}),
    "pivot": (pd.DataFrame({"city": ["杭州"], "month": ["2026-01"], "value": [3.0]}),
              {"kind": "bar", "by": "city", "by2": "month", "by_title": "城市", "by2_title": "月份",
               "value_title": "值", "fmt": ",.1f"}),
}


def test_every_builder_has_an_example():
    builders = {name for name, fn in vars(charts).items()
                if callable(fn) and not name.startswith("_") and getattr(fn, "__module__", "") == charts.__name__
                and name != "spec"}
    assert builders == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_builder_gives_a_valid_vega_lite_spec(name):
    frame, options = EXAMPLES[name]
    charts.spec(getattr(charts, name)(frame, **options), validate=True)  # raises on a schema error
