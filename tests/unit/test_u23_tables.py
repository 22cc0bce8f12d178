"""Issue 23 item 6: no table offers Streamlit's own "Download as CSV"."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_config_turns_the_built_in_table_export_off_for_the_browser():
    """Streamlit's own config loader reads .streamlit/config.toml and the NewSession message every
    browser gets says disable_data_export: the frontend then draws no CSV download in any table toolbar
    (st.dataframe, st.data_editor, chart table views) and no clipboard copy of read-only tables."""
    from streamlit import config
    from streamlit.proto.NewSession_pb2 import Config
    from streamlit.runtime.app_session import _populate_config_msg

    path = ROOT / ".streamlit" / "config.toml"
    before = config.get_option("client.disableDataExport")
    try:
        config._update_config_with_toml(path.read_text(encoding="utf-8"), str(path))
        msg = Config()
        _populate_config_msg(msg)
        assert msg.disable_data_export is True
    finally:
        config._set_option("client.disableDataExport", before, "<test restore>")


def test_nothing_turns_the_table_export_back_on():
    """No page, helper or launcher sets the option (st.set_option, a --client flag, an env variable)."""
    pattern = re.compile(r"disableDataExport|DISABLE_DATA_EXPORT", re.IGNORECASE)
    hits = []
    for base in ("lib", "pages", "app.py", ".ci", "scripts", "Dockerfile", "docker-compose.yml"):
        target = ROOT / base
        files = [target] if target.is_file() else sorted(target.rglob("*")) if target.is_dir() else []
        for file in files:
            if file.is_file() and file.suffix not in {".pyc"}:
                text = file.read_text(encoding="utf-8", errors="ignore")
                hits += [f"{file.relative_to(ROOT)}" for _ in pattern.finditer(text)]
    assert hits == []


# ---- items 10 and 12: what a table shows is in the reader's language and in business time -------------
def _events(changes: str, action: str = "in_progress"):
    import pandas as pd

    return pd.DataFrame({"at": [pd.Timestamp("2026-12-01 17:30:05")], "actor": ["staff1"], "action": [action],
                         "changes": [changes], "note": [None]})


def test_a_complaint_history_reads_labels_in_business_time_not_codes():
    from lib import ui

    shown = ui.present_events(_events('{"status": ["received", "in_progress"], "responsible": ["False", "True"]}'))
    row = shown.iloc[0]
    assert row["变更"] == "状态：已受理 → 处理中；责任投诉：否 → 是"  # was "状态: received → in_progress; …: False → True"
    assert row["操作"] == "开始处理"
    assert str(row["时间（北京时间）"]) == "2026-12-02 01:30:05"  # 17:30 UTC is 01:30 the next day in Beijing


def test_an_issue_log_names_its_fields_and_statuses():
    from lib import ui

    shown = ui.present_events(_events('{"status": ["acknowledged", "in_progress"], '
                                      '"first_responder": [null, "s1"]}'), vocabulary="issue")
    assert shown.iloc[0]["变更"] == "状态：已受理 → 处理中；首问责任人：— → s1"  # was "first_responder: None → s1"


def test_the_audit_log_reads_in_words_and_business_time():
    import pandas as pd

    from lib.services import audit

    frame = pd.DataFrame({
        "at": [pd.Timestamp("2026-12-01 17:30:00"), pd.Timestamp("2026-12-01 02:00:00"),
               pd.Timestamp("2026-12-01 03:00:00")],
        "actor": ["staff1", "admin1", "staff1"],
        "action": ["export", "user_role", "complaint_in_progress"],
        "entity": ["complaint", "user", "complaint"],
        "entity_id": [None, "staff2", "C-1"],
        "detail": ['{"format": "csv", "rows": 3}', '{"from": "staff", "to": "admin"}',
                   '{"changes": {"status": ["received", "in_progress"]}}'],
    })
    zh = audit.present(frame, "zh")
    assert list(zh.columns) == ["时间（北京时间）", "操作人", "操作", "对象", "编号", "详情"]
    assert [str(v) for v in zh["时间（北京时间）"]] == ["2026-12-02 01:30:00", "2026-12-01 10:00:00",
                                                      "2026-12-01 11:00:00"]
    assert list(zh["操作"]) == ["导出", "变更角色", "投诉：开始处理"]
    assert list(zh["对象"]) == ["投诉", "用户", "投诉"]
    assert list(zh["编号"]) == ["", "staff2", "C-1"]  # an export has no object number: blank, not "None"
    assert list(zh["详情"]) == ["格式：csv | 行数：3", "原值：客户关系专员 | 新值：管理员", "状态：已受理 → 处理中"]
    en = audit.present(frame, "en")
    assert list(en["Action"]) == ["Export", "Role changed", "Complaint: Handling started"]


def test_the_audit_search_takes_business_dates(tmp_path, monkeypatch):
    """An entry at 17:30 UTC on 1 December happened on 2 December in Beijing: the business date finds it."""
    from datetime import date, datetime

    from lib.db import make_engine, session_scope
    from lib.schema import init_db
    from lib.services import admin_views, audit

    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    init_db(engine)
    monkeypatch.setattr(audit, "utcnow", lambda: datetime(2026, 12, 1, 17, 30))
    with session_scope(engine) as session:
        audit.record(session=session, actor="staff1", action="export", entity="complaint", detail={"rows": 1})
    with session_scope(engine, readonly=True) as session:
        on_2nd = admin_views.audit_table(session=session, actor=None, action=None,
                                         start=date(2026, 12, 2), end=date(2026, 12, 2))
        on_1st = admin_views.audit_table(session=session, actor=None, action=None,
                                         start=date(2026, 12, 1), end=date(2026, 12, 1))
    assert (len(on_2nd), len(on_1st)) == (1, 0)


def test_the_users_table_reads_in_words_and_business_time():
    import pandas as pd

    from lib.services import admin_views

    frame = pd.DataFrame({"username": ["staff1"], "name": ["张三"], "role": ["staff"], "scope": ["group"],
                          "active": [True], "language": ["en"], "locked_until": [None],
                          "created_at": [pd.Timestamp("2026-11-30 20:15:00")]})
    shown = admin_views.present_users(frame, "zh", lambda s: "集团（全部）" if s.is_group else "?")
    assert shown.iloc[0].to_dict() == {"用户名": "staff1", "姓名": "张三", "角色": "客户关系专员", "数据范围": "集团（全部）",
                                       "启用": "是", "语言": "英文", "锁定至（北京时间）": None,
                                       "创建时间（北京时间）": pd.Timestamp("2026-12-01 04:15:00")}


def test_a_row_export_carries_labels_then_the_codes():
    import pandas as pd

    from lib import exports

    frame = pd.DataFrame({"ref": ["C1"], "status": ["received"], "channel": ["hotline"], "responsible": [True],
                          "severity": [None]})
    text = exports.rows_for_download(frame, fmt="csv", role="staff", lang="zh", kind="complaint").decode("utf-8-sig")
    assert text.splitlines() == ["编号,状态,渠道,责任投诉,级别", "ref,status,channel,responsible,severity",
                                 "C1,已受理,热线,是,"]
