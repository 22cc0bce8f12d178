"""Explore: any area's data by up to two dimensions, a KPI of the dictionary or count / mean / sum of a
column, as bar, line, heat map or table; views saved per user; pivot and row downloads (audited)."""
from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from lib import charts, exports, ui
from lib.errors import DomainError
from lib.i18n import kpi_label
from lib.kpis.common import FilterError
from lib.pages import WRITERS
from lib.services import explore, few, settings
from lib.vocab import VOCABULARIES, label

user = ui.page_setup("explore")
tr, lang = ui.tr, ui.lang()
state = st.session_state
VOCAB_DIMS = {"business_line", "channel", "category", "severity", "touchpoint", "method"}
CHARTS = ("bar", "line", "heatmap", "table")
FIELDS = ("exp_dataset", "exp_by", "exp_by2", "exp_measure", "exp_chart", "exp_period", "exp_from", "exp_to",
          "exp_company", "exp_city", "exp_project")

st.title(tr("explore_title"))
ui.show_flash()


def open_view(name: str) -> None:
    """on_click: put a saved view's choices into the widgets before they are drawn."""
    try:
        spec = ui.read(explore.load_view, user.username, name, reach=ui.current_reach())
    except DomainError as exc:
        ui.flash("error", ui.error_text(exc))
        return
    for key in FIELDS:
        if key in spec:
            state[key] = spec[key]
    for key in ("exp_from", "exp_to"):
        if isinstance(state.get(key), str):
            state[key] = pd.Timestamp(state[key]).date()
    ui.flash("success", tr("view_opened", name=name))


def save_current(name: str) -> None:
    spec = {key: state.get(key) for key in FIELDS}
    try:
        ui.write(explore.save_view, user.username, name, spec)
        ui.flash("success", tr("view_saved", name=name))
    except DomainError as exc:
        ui.flash("error", ui.error_text(exc))


def ask_remove_view(name: str) -> None:
    """on_click: deleting a saved view asks first (Confirm / Cancel below the buttons)."""
    state["exp_view_pending_delete"] = name


def remove_view(name: str) -> None:
    state.pop("exp_view_pending_delete", None)
    ui.write(explore.delete_view, user.username, name)
    ui.flash("success", tr("view_deleted", name=name))


def keep_view() -> None:
    state.pop("exp_view_pending_delete", None)
    ui.flash("info", tr("ux_cancelled"))


with st.expander(tr("saved_views"), expanded=False):
    mine = ui.read(explore.views, user.username)
    c1, c2, c3 = st.columns([2, 1, 1])
    chosen = c1.selectbox(tr("my_views"), mine, index=None, placeholder=tr("no_views") if not mine else tr("choose"),
                          key="exp_view_pick")
    c2.button(tr("open"), key="exp_view_open", disabled=chosen is None, on_click=open_view, args=(chosen,))
    c3.button(tr("delete"), key="exp_view_delete", disabled=chosen is None, on_click=ask_remove_view, args=(chosen,))
    pending = state.get("exp_view_pending_delete")
    if pending and pending in mine:
        box = st.container(border=True)
        box.warning(tr("ux_confirm_delete_view", name=pending), icon=":material/help:")
        yes, no, _ = box.columns([1, 1, 6])
        yes.button(tr("ux_confirm_yes"), type="primary", key="exp_view_delete_yes", on_click=remove_view,
                   args=(pending,))
        no.button(tr("ux_confirm_no"), key="exp_view_delete_no", on_click=keep_view)
    n1, n2 = st.columns([3, 1])
    new_name = n1.text_input(tr("view_name"), key="exp_view_name", max_chars=80)
    n2.button(tr("save_view"), key="exp_view_save", on_click=save_current, args=(new_name,))

dataset_name = st.selectbox(tr("dataset"), list(explore.DATASETS), format_func=lambda a: tr(f"area_{a}"),
                            key="exp_dataset")
ds = explore.DATASETS[dataset_name]
flt = ui.org_filters("exp")


def measure_label(m: str) -> str:
    if m.startswith("kpi:"):
        return kpi_label(m[4:], lang)
    if m == "count":
        return tr("measure_count")
    kind, column = m.split(":")
    return f"{tr('measure_' + kind)} · {tr('column_' + column)}"


c1, c2, c3, c4 = st.columns(4)
measures = ds.measures()
if state.get("exp_measure") not in measures:
    state.pop("exp_measure", None)
measure = c1.selectbox(tr("measure"), measures, format_func=measure_label, key="exp_measure")
dims = list(ds.dimensions)
for key in ("exp_by", "exp_by2"):
    if key in state and state[key] is not None and state[key] not in dims:
        state.pop(key)
by = c2.selectbox(tr("group_by"), dims, format_func=tr, key="exp_by")
by2 = c3.selectbox(tr("group_by_2"), [d for d in dims if d != by], index=None, format_func=tr,
                   placeholder=tr("none"), key="exp_by2")
chart = c4.segmented_control(tr("chart_type"), CHARTS, format_func=lambda c: tr(f"chart_{c}"), key="exp_chart",
                             **({} if "exp_chart" in state else {"default": "bar"})) or "bar"

try:
    data = ui.cached(explore.pivot, dataset_name, flt, measure, by, by2, with_n=True)
except FilterError:
    st.warning(tr("err_filter_area"))
    st.stop()
except DomainError as exc:
    st.error(ui.error_text(exc))
    st.stop()
if data.empty:
    st.info(tr("no_data"))
    st.stop()


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for dim in (d for d in (by, by2) if d):
        vocab = dim if dim in VOCAB_DIMS and dim in VOCABULARIES else None
        out[dim] = ["—" if v is None else (label(vocab, str(v), lang) if vocab else str(v)) for v in out[dim]]
    return out


shown = labelled(data)
# #23: a KPI cell on fewer cases than the admin's minimum is grey "too few" on the heat map, as in the overview
minimum = ui.cached(settings.min_sample)
kpi_name = measure[4:] if measure.startswith("kpi:") else None
if kpi_name:
    shown["few"] = few.cells(shown, kpi_name, minimum)
title = measure_label(measure)
is_rate = measure.startswith("kpi:") and ("rate" in measure or "share" in measure)
fmt = ".1%" if is_rate else ",.1f"
if by2:
    wide = shown.pivot_table(index=by, columns=by2, values="value", aggfunc="first", sort=False)
else:
    wide = shown.set_index(by)[["value"]].rename(columns={"value": title})
wide.index.name = tr(by)
if by2:
    wide.columns.name = tr(by2)

# a rate reads as % (96.2%, not 0.9615) in the table as in the chart; the download keeps the number (#23)
shown_columns = ({str(c): st.column_config.NumberColumn(format="percent") for c in wide.columns} if is_rate
                 else None)
if chart == "table":
    st.dataframe(wide, key="exp_table", column_config=shown_columns)
else:
    ui.chart(charts.pivot, shown, kind=chart, by=by, by2=by2, by_title=tr(by), by2_title=tr(by2) if by2 else None,
             value_title=title, fmt=fmt, few_label=tr("too_few"))
    if chart == "heatmap" and kpi_name and shown["few"].any():
        st.caption(tr("ux_few_note", rule=f"{kpi_label(kpi_name, lang)} n ≥ {minimum[kpi_name]}"))
    st.dataframe(wide, key="exp_table", column_config=shown_columns)

table = wide.reset_index()
d1, d2, d3 = st.columns(3)
d1.download_button(tr("download_pivot_csv"), exports.to_bytes(table, "csv"), file_name="pivot.csv", mime="text/csv",
                   key="exp_dl_csv", on_click=ui.audit_export, args=(user.username, f"pivot_{dataset_name}", "csv",
                                                                     len(table)))
d2.download_button(tr("download_pivot_xlsx"), partial(exports.to_bytes, table, "xlsx"), file_name="pivot.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="exp_dl_xlsx",
                   on_click=ui.audit_export, args=(user.username, f"pivot_{dataset_name}", "xlsx", len(table)))
if user.role in WRITERS and dataset_name in ("complaints", "surveys"):
    raw = ui.cached(explore.rows, dataset_name, flt)
    d3.download_button(tr("download_rows", n=len(raw)), ui.row_export(raw, fmt="csv", kind=f"rows_{dataset_name}",
                                                                       user=user),
                       file_name=f"{dataset_name}_rows.csv", mime="text/csv", key="exp_dl_rows", on_click="ignore")
