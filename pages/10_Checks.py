"""Call-back checks (抽查回访, SPEC §14): KPIs per company, HQ's check queue, drawing the sample on demand,
and recording one check (the complainant's phone revealed for that record, audited)."""
from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from lib import privacy, ui
from lib.errors import DomainError
from lib.i18n import format_number, format_rate, kpi_label, md_escape
from lib.kpis import areas
from lib.pages import WRITERS
from lib.services import checks as svc
from lib.services import settings as app_settings

user = ui.page_setup("checks")
tr, lang = ui.tr, ui.lang()
reach = ui.current_reach()
hq_writer = user.role in WRITERS and reach.is_group  # HQ records; a company does not check itself
RATES = ("check_coverage", "confirmed_resolution_rate", "handling_compliance_rate")
COUNTS = ("checks_due", "checks_done", "checks_failed")

st.title(tr("chk_title"))
ui.show_flash()
rule = ui.read(app_settings.get, "check_sample")
st.caption(tr("chk_caption", minimum=rule["minimum"], share=f"{float(rule['share']) * 100:g}%"))
st.caption(tr("chk_rule"))

flt = ui.org_filters("checks")
if flt.start > flt.end:
    st.warning(tr("no_data"))
    st.stop()

st.subheader(tr("chk_kpis"))
result = ui.cached(areas.compute, "checks", flt, by="company")
cols = st.columns(len(RATES) + len(COUNTS))
for col, name in zip(cols, (*RATES, *COUNTS), strict=True):
    value = result.kpis[name]
    col.container(border=True).metric(kpi_label(name, lang),
                                      format_rate(value) if name in RATES else format_number(value))
st.markdown(f"**{tr('chk_by_company')}**")
if result.groups:
    table = pd.DataFrame([{tr("chk_col_company"): g["key"],
                           **{kpi_label(n, lang): format_rate(g["kpis"][n]) for n in RATES},
                           **{kpi_label(n, lang): format_number(g["kpis"][n]) for n in COUNTS}}
                          for g in result.groups])
    st.dataframe(table, hide_index=True, key="checks_by_company")
else:
    st.info(tr("chk_queue_empty"))

if user.role not in WRITERS:  # executives: the KPIs only (SPEC §8)
    st.stop()


def _draw() -> None:
    try:
        drawn = ui.write(svc.draw, flt.start, flt.end, actor=user.username,
                         seed=st.session_state.get("checks_seed") or None, reach=ui.current_reach())
    except DomainError as exc:
        ui.flash("error", ui.error_text(exc))
        return
    ui.flash("success", tr("chk_drawn", added=sum(d.added for d in drawn), companies=len(drawn)))


def _save_rule() -> None:
    s = st.session_state
    try:
        ui.write(svc.set_sample_rule, float(s["checks_rule_share"]), int(s["checks_rule_minimum"]),
                 actor=user.username)
    except DomainError as exc:
        ui.flash("error", ui.error_text(exc))
        return
    ui.flash("success", tr("chk_rule_saved"))


if user.role == "admin":  # checked from the database on this run (page_setup)
    with st.expander(tr("chk_rule_title"), icon=":material/tune:"):
        with st.form("checks_rule_form"):
            c1, c2 = st.columns(2)
            c1.number_input(tr("col_chk_share"), min_value=0.1, max_value=100.0, step=0.5,
                            value=float(rule["share"]) * 100, key="checks_rule_share")
            c2.number_input(tr("col_chk_minimum"), min_value=0, max_value=1000, step=1, value=int(rule["minimum"]),
                            key="checks_rule_minimum")
            st.form_submit_button(tr("chk_rule_save"), on_click=_save_rule)

st.subheader(tr("chk_queue"))
if hq_writer:
    c1, c2 = st.columns([2, 1])
    c1.text_input(tr("chk_seed"), key="checks_seed", max_chars=100, placeholder=svc.DEFAULT_SEED)
    c2.button(tr("chk_draw"), key="checks_draw", help=tr("chk_draw_help"), on_click=_draw,
              icon=":material/casino:")
else:
    st.caption(tr("chk_read_only"))

STATUSES = ("pending", "unreached", "passed", "failed")
statuses = tuple(st.multiselect(tr("chk_status_filter"), list(STATUSES), key="checks_statuses",
                                format_func=lambda s: tr(f"chk_status_{s}"), placeholder=tr("all"),
                                select_all=False))
rows = ui.read(svc.queue, flt, statuses=statuses)
if rows.empty:
    st.info(tr("chk_queue_empty"))
    st.stop()
shown = privacy.masked(rows)  # a list: masked for every role; the phone is revealed one record at a time


def cell(value) -> str:
    """Plain text; a blank cell reads "—" (a score as a whole number, not 5.0)."""
    if value is None or value != value:
        return "—"
    return str(int(value)) if isinstance(value, float) else str(value)


st.dataframe(pd.DataFrame({
    tr("chk_col_ref"): shown["ref"], tr("chk_col_company"): shown["company"], tr("chk_col_project"): shown["project"],
    tr("chk_col_resolved_at"): shown["resolved_at"], tr("chk_col_status"): [tr(f"chk_status_{s}") for s in shown["status"]],
    **{tr(name): [cell(v) for v in shown[column]] for name, column in (
        ("chk_col_phone", "complainant_phone"), ("chk_col_satisfaction", "satisfaction"),
        ("chk_col_checker", "checker"), ("chk_col_finding", "finding"))}}),
    hide_index=True, key="checks_queue")

if not hq_writer:
    st.stop()

open_rows = rows[rows["status"].isin(svc.OPEN)]
labels = {int(r.sample_id): f"{r.ref} · {r.company} · {tr('chk_status_' + r.status)}" for r in open_rows.itertuples()}
if not labels:
    st.stop()
picked = st.selectbox(tr("chk_pick"), list(labels), format_func=labels.get, index=None,
                      placeholder=tr("chk_pick_none"), key="checks_pick")
if picked is None:
    st.stop()
try:
    check = ui.read(svc.detail, int(picked), reach=ui.current_reach())
except DomainError as exc:
    st.error(ui.error_text(exc))
    st.stop()
ref = check["ref"]
revealed = st.session_state.get("checks_revealed") == ref
record = check if revealed else privacy.record_for_role(check, None)

st.markdown(f"**{tr('chk_facts')}: {md_escape(ref)}**")
stamp = hashlib.sha1(f"{ref}|{revealed}|{check['status']}".encode()).hexdigest()[:10]
facts = {tr("chk_col_company"): record["company"], tr("chk_col_project"): record["project"],
         tr("chk_col_resolved_at"): record["resolved_at"], tr("col_complainant_name"): record["complainant_name"],
         tr("chk_col_phone"): record["complainant_phone"], tr("col_first_response_at"): record["first_response_at"],
         tr("col_first_response_due_at"): record["first_response_due_at"], tr("col_followup_at"): record["followup_at"]}
fact_cols = st.columns(4)
for i, (name, value) in enumerate(facts.items()):
    fact_cols[i % 4].text_input(name, value="—" if value is None else str(value), disabled=True,
                                key=f"checks_fact_{i}_{stamp}")
if not revealed and record["complainant_phone"]:
    st.button(tr("chk_reveal"), key="checks_reveal", icon=":material/visibility:", help=tr("chk_reveal_help"),
              on_click=ui.reveal, args=(user.username, user.role, "complaint", ref, "checks_revealed"))
c1, c2 = st.columns(2)
c1.text_area(tr("col_root_cause"), value=record["root_cause"] or "", disabled=True, key=f"checks_root_{stamp}")
c2.text_area(tr("col_corrective_action"), value=record["corrective_action"] or "", disabled=True,
             key=f"checks_ca_{stamp}")


def _save(sample_id: int, ref: str) -> None:
    s = st.session_state
    reached = bool(s["checks_reached"])
    data = svc.CheckInput(
        reached=reached, attempts=int(s["checks_attempts"]),
        resolution_confirmed=(s["checks_confirmed"] == tr("chk_yes")) if reached else None,
        satisfaction=int(s["checks_satisfaction"]) if reached else None,
        **{h: bool(s[f"checks_h_{h}_{sample_id}"]) for h in svc.HANDLING}, finding=s.get("checks_finding") or "")
    try:
        outcome = ui.write(svc.record, sample_id, data, actor=user.username, reach=ui.current_reach())
    except DomainError as exc:
        ui.flash("error", ui.error_text(exc))
        return
    ui.flash("success", tr(f"chk_saved_{outcome}", ref=ref))
    s["checks_pick"] = None  # back to "choose…" (the saved check has left the open ones)
    s.pop("checks_revealed", None)


st.markdown(f"**{tr('chk_record')}**")
with st.form(f"checks_form_{picked}", clear_on_submit=True):
    c1, c2 = st.columns(2)
    c1.toggle(tr("chk_reached"), value=True, key="checks_reached")
    c2.number_input(tr("col_chk_attempts"), min_value=1, max_value=svc.MAX_ATTEMPTS, value=1, step=1,
                    key="checks_attempts")
    c1.radio(tr("col_chk_resolution_confirmed"), [tr("chk_yes"), tr("chk_no")], horizontal=True,
             key="checks_confirmed")
    c2.radio(tr("col_chk_satisfaction"), [5, 4, 3, 2, 1], horizontal=True, key="checks_satisfaction")
    st.caption(tr("chk_handling"))
    hcols = st.columns(len(svc.HANDLING))
    for col, h in zip(hcols, svc.HANDLING, strict=True):
        col.checkbox(tr(f"chk_h_{h}"), value=check["suggested"][h], key=f"checks_h_{h}_{picked}")
    st.text_area(tr("col_chk_finding"), key="checks_finding", max_chars=2000)
    st.form_submit_button(tr("chk_save"), type="primary", on_click=_save, args=(int(picked), ref))
