"""Issue #27: the shipped Streamlit configuration is the production one, and Streamlit reads it so."""
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_file_watcher_and_no_error_details():
    options = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert options["server"]["fileWatcherType"] == "none"  # data/ (database, WAL, snapshots) is not watched
    assert options["server"]["runOnSave"] is False
    assert options["client"]["showErrorDetails"] == "none"


def test_streamlit_itself_takes_the_settings_from_the_project_folder():
    code = ("from streamlit import config\nconfig.get_config_options(force_reparse=True)\n"
            "print(config.get_option('server.fileWatcherType'), config.get_option('client.showErrorDetails'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=True)
    assert out.stdout.split() == ["none", "none"]
