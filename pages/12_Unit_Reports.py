"""Monthly unit reports (月度投诉分析上报): companies submit, HQ sees who is late or missing and returns."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import scope, ui
from lib.db import local_now
from lib.errors import DomainError
from lib.i18n import format_number, format_rate, kpi_label, md_escape
from lib.pages import WRITERS
from lib.services import reports, unit_reports
from lib.services import settings as app_settings

user = ui.page_setup("unit_reports")
tr, lang = ui.tr, ui.lang()
reach = ui.current_reach()
writer = user.role in WRITERS
hq = writer and reach.is_group  # returning a report is HQ's: group-scope staff and admins
today = local_now().date()

st.title(tr("urep_title"))
st.caption(tr("urep_caption", day=ui.cached(app_settings.get, "unit_report_due_day")))
ui.show_flash()


def _error(exc: DomainError) -> str:
    fields = exc.params.get("fields")
    if exc.key == "err_fields" and isinstance(fields, str):
        return tr("err_fields", fields="、".join(tr(f) if f.startswith("urep_") else f for f in fields.split(", ")))
    return ui.error_text(exc)


months = reports.recent_months(today, 25)[1:]  # the current month is not over: last month first
month = st.selectbox(tr("urep_month"), months, key="urep_month")
status = ui.cached(unit_reports.status, month, reach=reach, today=today)
st.caption(tr("urep_due", due=status.due_on.isoformat()))
if status.companies.empty:
    st.info(tr("urep_no_companies"))
    st.stop()
cols = st.columns(len(unit_reports.STATES))
for col, state in zip(cols, unit_reports.STATES, strict=True):
    col.metric(tr(f"urep_state_{state}"), status.counts[state])
shown = status.companies.drop(columns=["version"]).copy()
shown["state"] = [tr(f"urep_state_{s}") for s in shown["state"]]
st.dataframe(shown.rename(columns={c: tr(f"urep_col_{c}") for c in shown.columns}), hide_index=True,
             key="urep_table")

company = st.selectbox(tr("urep_company"), list(status.companies["company"]), key="urep_company")
try:
    report = ui.read(unit_reports.detail, company, month, reach=reach)
except DomainError as exc:
    (st.error if isinstance(exc, scope.OutOfScope) else st.warning)(ui.error_text(exc))
    st.stop()

st.divider()
state = dict(zip(status.companies["company"], status.companies["state"], strict=True))[company]
st.subheader(f"{md_escape(company)} · {month} · {tr(f'urep_state_{state}')}")
if report["status"] == "returned":
    st.warning(tr("urep_returned_note", by=md_escape(report["returned_by"] or ""),
                  comment=md_escape(report["return_comment"] or "")))
st.markdown(f"**{tr('urep_figures')}**")
st.caption(tr("urep_figures_live") if report["status"] is None else tr("urep_figures_snapshot"))


def _shown(name: str, value) -> str:
    if "rate" in name or "share" in name:
        return format_rate(value)
    return format_number(value)


figures = pd.DataFrame({tr("indicator"): [kpi_label(k, lang) for k in report["figures"]],
                        tr("current"): [_shown(k, v) for k, v in report["figures"].items()]})
st.dataframe(figures, hide_index=True, key="urep_figures")
stamp = f"{company}|{month}|{report['version']}"
if report["status"] is not None:
    st.text_area(tr("urep_analysis"), value=report["analysis"], disabled=True, key=f"urep_show_analysis_{stamp}")
    st.text_area(tr("urep_actions"), value=report["actions"], disabled=True, key=f"urep_show_actions_{stamp}")


def _submit(version: int | None) -> None:
    s = st.session_state
    try:
        ui.write(unit_reports.submit, company, month, analysis=s.get(f"urep_analysis_{stamp}") or "",
                 actions=s.get(f"urep_actions_{stamp}") or "", actor=user.username, reach=ui.current_reach(),
                 version=version)
    except DomainError as exc:
        ui.flash("error", _error(exc))
        return
    ui.flash("success", tr("urep_submitted_ok", company=company, month=month))


def _return(version: int) -> None:
    try:
        ui.write(unit_reports.return_report, company, month, comment=st.session_state.get(f"urep_comment_{stamp}") or "",
                 actor=user.username, reach=ui.current_reach(), version=version)
    except DomainError as exc:
        ui.flash("error", _error(exc))
        return
    ui.flash("success", tr("urep_returned_ok", company=company, month=month))


if writer and report["status"] in (None, "returned"):
    with st.form("urep_submit_form"):
        st.text_area(tr("urep_analysis"), value=report["analysis"], key=f"urep_analysis_{stamp}",
                     max_chars=unit_reports.TEXT_LENGTH)
        st.text_area(tr("urep_actions"), value=report["actions"], key=f"urep_actions_{stamp}",
                     max_chars=unit_reports.TEXT_LENGTH)
        st.form_submit_button(tr("urep_resubmit") if report["status"] == "returned" else tr("urep_submit"),
                              type="primary", on_click=_submit, args=(report["version"],))
if hq and report["status"] == "submitted":
    with st.form("urep_return_form"):
        st.text_area(tr("urep_comment"), key=f"urep_comment_{stamp}", max_chars=unit_reports.TEXT_LENGTH)
        st.form_submit_button(tr("urep_return"), on_click=_return, args=(report["version"],))
