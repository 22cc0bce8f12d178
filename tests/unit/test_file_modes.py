"""Item 14: what the app writes under data/ (database and its WAL, exports, report, backup, analytic
snapshots) is its owner's only, even when the shell's umask is the usual 022 and a file was there
world-readable before. Through `python -m lib.cli` in a fresh data folder."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _cli(data: Path, *argv: str, stdin: str | None = None) -> str:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{data / 'crhq.db'}", "CRHQ_ANALYTICS_DIR": str(data / "analytics"),
           "CRHQ_BACKUP_KEY": "file-modes-test-key-" + "k" * 30}
    proc = subprocess.run([sys.executable, "-m", "lib.cli", *argv], cwd=ROOT, env=env, input=stdin, text=True,
                          capture_output=True, timeout=300, umask=0o022)  # the shell's usual umask
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _open_to_others(folder: Path) -> list[str]:
    found = []
    for path in [folder, *folder.rglob("*")]:
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(folder.parent)} {oct(mode)}")
    return found


def test_everything_the_cli_writes_under_data_is_owner_only(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    _cli(data, "init-db")
    _cli(data, "seed-demo", "--complaints", "60")
    _cli(data, "user", "add", "admin9", "--role", "admin", "--name", "Admin", "--password-stdin",
         stdin="a-long-password-9\n")
    _cli(data, "analytics", "rebuild")
    _cli(data, "export", "complaints", str(data / "complaints.csv"))
    _cli(data, "report", "--month", "2026-01", "--out", str(data / "report.xlsx"))
    _cli(data, "backup", str(data / "crhq.backup"))
    names = {p.name for p in data.rglob("*")}
    assert {"crhq.db", "complaints.csv", "report.xlsx", "crhq.backup", "analytics"} <= names
    assert any(p.is_file() for p in (data / "analytics").rglob("*")), names  # a snapshot was written
    os.chmod(data, 0o700)  # the one folder the test itself made, with the shell's umask
    assert _open_to_others(data) == []


def test_files_left_world_readable_by_an_older_version_are_closed(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    _cli(data, "init-db")
    export = data / "audit.csv"
    export.write_text("old")
    for path in (data / "crhq.db", export):
        os.chmod(path, 0o644)
    _cli(data, "export", "audit", str(export))  # opens the database (chmod on connect), overwrites the export
    assert stat.S_IMODE(os.stat(data / "crhq.db").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(export).st_mode) == 0o600
    assert _open_to_others(data) == []
