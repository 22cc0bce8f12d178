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
