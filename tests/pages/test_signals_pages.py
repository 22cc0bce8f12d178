"""Risk signals on the overview and the Complaints page (issue #26): per role, both languages, drill-down to
the register, the suggested escalation, the admin's settings. The session's demo holds one signal of each
kind (lib.services.signals_demo)."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qsl

import pytest
import streamlit as st
from sqlalchemy import select

from lib.db import local_now, session_scope
from lib.kpis.common import KpiFilter
from lib.models import AuditLog, Complaint, Project
from lib.services import complaints as svc
from lib.services import settings, signals
from lib.services.signals_demo import HOME_PHONE
from tests.pages.conftest import app, page_engine, stored_language

ROLE_USERS = {"executive": "exec1", "staff": "staff1", "admin": "admin1"}
LABELS = {"zh": ["群诉", "重复投诉住户", "舆情风险"], "en": ["Group complaints", "Repeat households", "Exposure words"]}
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")


def _cells(at) -> str:
    return "\n".join(d.value.to_csv() for d in at.dataframe)


def _personal() -> list[str]:
    """Every name and phone of the complaints the panel lists: none may reach a page."""
    with session_scope(page_engine(), readonly=True) as s:
        rows = s.execute(select(Complaint.complainant_name, Complaint.complainant_phone, Complaint.phone_hash)
                         .where(Complaint.received_at >= local_now() - timedelta(days=100))).all()
    return sorted({v for r in rows for v in r if v and len(v) >= 2})


@pytest.mark.parametrize("page", ["app.py", "pages/1_Complaints.py"])
@pytest.mark.parametrize("role", ["executive", "staff", "admin"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_signals_panel_per_role_andstored_language(page, role, lang):
    prefix = "overview" if page == "app.py" else "complaints"
    with stored_language(ROLE_USERS[role], lang):
        at = app(page, ROLE_USERS[role]).run()
        assert not at.exception, at.exception
        heads = dict(e.label.split(" · ") for e in at.expander if " · " in e.label)
        for name in LABELS[lang]:
            assert int(heads[name].replace(",", "")) >= 1  # the demo's group, household and exposure text
        assert {f"{prefix}_sig_group", f"{prefix}_sig_repeat", f"{prefix}_sig_exposure"} <= {d.key for d in at.dataframe}
        shown = _cells(at)
        assert HOME_PHONE not in shown and not HEX64.search(shown)
        leaked = [v for v in _personal() if v in shown]
        assert leaked == [], leaked
        if lang == "en":
            headers = " ".join(at.dataframe[[d.key for d in at.dataframe].index(f"{prefix}_sig_group")].value.columns)
            assert "Project" in headers and not any("\u4e00" <= ch <= "\u9fff" for ch in headers)


def test_a_group_row_opens_its_complaints_in_the_register():
    at = app("app.py", "exec1").run()
    at.session_state["overview_sig_group"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    links = [p for p in at.get("page_link") if p.label == "在投诉台账中打开这些投诉"]
    assert len(links) == 1
    with session_scope(page_engine(), readonly=True) as s:
        today = local_now().date()
        group = signals.compute(KpiFilter(today.replace(month=1, day=1), today), session=s).group_complaints[0]
    query = dict(parse_qsl(signals.refs_query(group.refs, group.first_at, group.last_at)))
    reg = app("pages/2_Complaint_Register.py", "exec1")
    for k, v in query.items():
        reg.query_params[k] = v
    reg.run()
    assert not reg.exception, reg.exception
    table = next(d for d in reg.dataframe if d.key == "register_table").value
    ref_column = table.columns[0]
    assert sorted(table[ref_column]) == sorted(group.refs)  # exactly the signal's complaints
    assert any(f"{len(group.refs)} 起投诉" in i.value for i in reg.info)


def _exposure_complaint() -> str:
    with session_scope(page_engine()) as s:
        project = s.scalars(select(Project).order_by(Project.id)).first()
        c = svc.create(svc.NewComplaint(received_at=local_now() - timedelta(hours=2), channel="hotline",
                                        project_id=project.id, category="other", responsible=True,
                                        severity="ordinary", description="物业不管，我已经找了律师",
                                        complainant_name="钱多多", complainant_phone="13712340000"),
                       session=s, actor="test")
        ref = c.ref
    st.cache_data.clear()  # written beside the app, as another worker would: its cached reads go
    return ref


def _pick_exposure(at, ref: str):
    frame = next(d for d in at.dataframe if d.key == "complaints_sig_exposure").value
    row = list(frame[frame.columns[0]]).index(ref)
    at.session_state["complaints_sig_exposure"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def test_staff_escalate_an_exposure_complaint_to_hq_executives_cannot():
    ref = _exposure_complaint()
    at = _pick_exposure(app("pages/1_Complaints.py", "exec1").run(), ref)
    assert not at.exception
    assert f"complaints_sig_escalate_{ref}" not in [b.key for b in at.button]  # executives never edit
    frame = next(d for d in at.dataframe if d.key == "complaints_sig_exposure").value
    assert "钱多多" not in frame.to_csv() and "13712340000" not in frame.to_csv()

    at = _pick_exposure(app("pages/1_Complaints.py", "staff1").run(), ref)
    at.button(key=f"complaints_sig_escalate_{ref}").click().run()
    assert not at.exception, at.exception
    with session_scope(page_engine(), readonly=True) as s:
        level = s.scalar(select(Complaint.escalation_level).where(Complaint.ref == ref))
        audited = s.scalar(select(AuditLog.action).where(AuditLog.entity_id == ref,
                                                         AuditLog.action == "complaint_escalate_hq"))
    assert level == 1 and audited == "complaint_escalate_hq"
    at = _pick_exposure(at, ref)
    assert f"complaints_sig_escalate_{ref}" not in [b.key for b in at.button]  # done: no second suggestion


def test_admin_edits_the_signal_settings_and_bad_input_is_refused():
    with session_scope(page_engine(), readonly=True) as s:
        before = signals.rules(session=s)
    try:
        at = app("pages/9_Admin.py", "admin1").run()
        at.text_area(key="admin_sig_words").set_value("  \n ,")
        next(b for b in at.button if b.label == "保存风险信号设置").click().run()
        assert any("风险信号设置无效" in e.value and "曝光风险词" in e.value for e in at.error), [e.value for e in at.error]
        with session_scope(page_engine(), readonly=True) as s:
            assert signals.rules(session=s) == before  # nothing stored
        at.text_area(key="admin_sig_words").set_value("媒体\n律师，曝光")
        at.number_input(key="admin_sig_group_min").set_value(4)
        next(b for b in at.button if b.label == "保存风险信号设置").click().run()
        assert not at.exception and any("已保存" in s.value for s in at.success)
        with session_scope(page_engine(), readonly=True) as s:
            now = signals.rules(session=s)
            changes = s.scalars(select(AuditLog.entity_id).where(AuditLog.action == "setting_change",
                                                                 AuditLog.actor == "admin1")).all()
        assert (now.group_min, now.words) == (4, ("媒体", "律师", "曝光"))
        assert {"signal_group_min", "signal_exposure_words"} <= set(changes)
    finally:
        with session_scope(page_engine()) as s:
            for key in ("signal_group_min", "signal_group_window_hours", "signal_repeat_days", "signal_exposure_words"):
                settings.put(key, settings.DEFAULTS[key], session=s, actor="test")
