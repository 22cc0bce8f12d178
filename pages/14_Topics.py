"""Voice of the customer (客户之声): top terms of complaints and supervisor issues, trend, rising terms, drill-down."""
from __future__ import annotations

import streamlit as st

from lib import charts, ui
from lib.errors import DomainError
from lib.i18n import format_number
from lib.kpis.common import FilterError
from lib.text import lists, topics
from lib.vocab import CHANNELS, label

user = ui.page_setup("topics")
tr, lang = ui.tr, ui.lang()

st.title(tr("txt_title"))
c1, c2 = st.columns(2)
kind = c1.radio(tr("txt_source"), list(topics.KINDS), format_func=lambda k: tr(f"txt_source_{k}"), horizontal=True,
                key="topics_kind")
unit = c2.radio(tr("txt_unit"), ["words", "phrases"], format_func=lambda u: tr(f"txt_unit_{u}"), horizontal=True,
                key="topics_unit")
phrases = unit == "phrases"
extra = {"categories": ("category", ui.complaint_categories(), "category")}
if kind == "complaint":
    extra = {"channels": ("channel", list(CHANNELS), "channel"), **extra}
flt = ui.org_filters("topics", **extra)

try:
    total = ui.cached(topics.records, flt, kind=kind)
    top = ui.cached(topics.top_terms, flt, kind=kind, phrases=phrases)
    rising = ui.cached(topics.rising, flt, kind=kind, phrases=phrases)
except FilterError as exc:
    st.error(str(exc))
    st.stop()
st.caption(tr("txt_records", n=format_number(total)))
if top.empty:
    st.info(tr("txt_no_terms"))
else:
    st.subheader(tr("txt_top_title"))
    st.caption(tr("txt_top_caption"))
    left, right = st.columns([2, 3])
    table = top.assign(share=top["share"] * 100).rename(columns={
        "term": tr("txt_col_term"), "count": tr("txt_col_count"), "share": tr("txt_col_share")})
    picked_row = left.dataframe(
        table, hide_index=True, key="topics_top_table", on_select="rerun", selection_mode="single-row", height=420,
        column_config={tr("txt_col_share"): st.column_config.NumberColumn(format="%.1f%%")})
    ui.chart(charts.count_rows, top.head(15).assign(label=top["term"]), where=right, count_title=tr("txt_col_count"),
             sort="-x")

    st.subheader(tr("txt_trend_title"))
    chosen = st.multiselect(tr("txt_trend_terms"), list(top["term"]), default=list(top["term"].head(5)),
                            key="topics_trend_terms", select_all=False)
    series = ui.cached(topics.trend, flt, tuple(chosen), kind=kind)
    if len(series):
        ui.chart(charts.rate_lines, series.rename(columns={"term": "series", "share": "rate", "count": "n"}),
                 x_title=tr("month"), y_title=tr("txt_trend_share"))

st.subheader(tr("txt_rising_title"))
before = flt.previous_period()
st.caption(tr("txt_rising_caption", start=before.start.isoformat(), end=before.end.isoformat(), min=topics.MIN_COUNT))
if rising.empty:
    st.caption(tr("txt_no_rising"))
else:
    st.dataframe(rising.assign(share=rising["share"] * 100, previous_share=rising["previous_share"] * 100).rename(
        columns={"term": tr("txt_col_term"), "count": tr("txt_col_count"), "previous": tr("txt_col_previous"),
                 "share": tr("txt_col_share"), "previous_share": tr("txt_col_previous_share"),
                 "z": tr("txt_col_z"), "p_value": tr("txt_col_p")}),
        hide_index=True, key="topics_rising_table",
        column_config={tr("txt_col_share"): st.column_config.NumberColumn(format="%.1f%%"),
                       tr("txt_col_previous_share"): st.column_config.NumberColumn(format="%.1f%%"),
                       tr("txt_col_z"): st.column_config.NumberColumn(format="%.2f"),
                       tr("txt_col_p"): st.column_config.NumberColumn(format="%.4f")})

# A term from the table (a selected row) or from the list; the records behind it, as anyone may see them.
options = list(dict.fromkeys([*top["term"], *rising["term"]]))
selected = (picked_row.selection.rows if not top.empty and picked_row is not None else []) or []
if selected and st.session_state.get("topics_term") != top["term"].iloc[selected[0]]:
    st.session_state["topics_term"] = top["term"].iloc[selected[0]]
if st.session_state.get("topics_term") not in options:
    st.session_state.pop("topics_term", None)
term = st.selectbox(tr("txt_pick_term"), options, index=None, placeholder=tr("txt_pick_placeholder"),
                    key="topics_term")
if term:
    rows = ui.cached(topics.records_with, flt, term, kind=kind)
    st.caption(tr("txt_drill_caption", term=term, n=len(rows)))
    vocab = {"status": "complaint_status" if kind == "complaint" else "issue_status", "channel": "channel",
             "category": "category"}
    shown = rows.assign(**{c: [label(v, x, lang) for x in rows[c]] for c, v in vocab.items() if c in rows})
    headers = {c: tr("txt_col_raised_on") if c == "raised_on" else tr(f"col_{c}") for c in shown.columns}
    st.dataframe(shown.rename(columns=headers), hide_index=True, key="topics_drill_table", height=320)

if user.role == "admin":  # server-side: the word lists are the admin's (SPEC §15), every change audited
    with st.expander(tr("txt_lists_title"), icon=":material/spellcheck:"):
        current = ui.read(lists.current)
        st.caption(tr("txt_lists_explain"))
        st.caption(tr("txt_lists_custom") if current["custom"] else tr("txt_lists_shipped"))
        l1, l2 = st.columns(2)
        userdict = l1.text_area(tr("txt_userdict"), "\n".join(current["userdict"]), height=260, key="topics_userdict")
        stopwords = l2.text_area(tr("txt_stopwords"), "\n".join(current["stopwords"]), height=260,
                                 key="topics_stopwords")
        b1, b2, b3 = st.columns(3)
        try:
            if b1.button(tr("txt_lists_save"), key="topics_lists_save", type="primary"):
                ui.write(lists.save, userdict, stopwords, actor=user.username)
                st.success(tr("txt_lists_saved"))
            if b2.button(tr("txt_lists_reset"), key="topics_lists_reset"):
                ui.write(lists.reset, actor=user.username)
                st.success(tr("txt_lists_saved"))
            if b3.button(tr("txt_reindex"), key="topics_reindex"):
                with st.spinner(tr("txt_reindex")):
                    done = ui.write(lists.reindex_all, actor=user.username)
                st.success(tr("txt_reindexed", complaints=format_number(done["complaint"]),
                              issues=format_number(done["supervisor_issue"])))
        except DomainError as exc:
            st.error(ui.error_text(exc))
