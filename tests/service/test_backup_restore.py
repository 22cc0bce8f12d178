"""Issue #8 durability: backup → restore round-trips every table exactly (SQLite → SQLite and SQLite →
PostgreSQL), a damaged or mismatched file changes nothing, and the CLI refuses writes on a newer schema."""
import hashlib
import zipfile
from datetime import date

import pytest
from sqlalchemy import MetaData, func, select, text

from lib import cli, config
from lib.db import make_engine, session_scope
from lib.schema import init_db
from lib.services import backup, seed, users


def fingerprint(engine) -> dict[str, tuple[int, str]]:
    """Rows and a checksum per table, read back by reflection (not through the code under test)."""
    meta = MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            # Not data: the schema's revision, and the analytic mirror's bookkeeping (its own token and
            # change notes per database, deliberately left out of backups).
            if name in ("alembic_version", "analytics_change", "analytics_state"):
                continue
            pk = list(table.primary_key.columns) or list(table.columns)
            digest = hashlib.sha256()
            rows = conn.execute(select(table).order_by(*pk)).all()
            for row in rows:
                digest.update(repr(tuple(_plain(v) for v in row)).encode())
            out[name] = (len(rows), digest.hexdigest())
    return out


def _plain(value):
    """SQLite hands back dates and booleans as text and 0/1 when reflected; put both sides alike."""
    if isinstance(value, bool):
        return int(value)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in " T":
        return value.replace("T", " ").rstrip("0").rstrip(".") if "." in value else value.replace("T", " ")
    return value


@pytest.fixture
def source(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    init_db(engine)
    with session_scope(engine) as session:
        seed.seed_demo(session=session, complaints=400, seed=11, today=date(2026, 11, 23), employees=60,
                       survey_per_month=15)
        users.add_user(session=session, username="admin1", role="admin", name="管理员", password="admin-pass-1")
    return engine


def test_backup_and_restore_round_trip_every_table(source, engine, tmp_path):
    path = tmp_path / "crhq.backup"
    manifest = backup.backup(source, path)
    assert manifest["tables"]["complaint"]["rows"] == 400
    init_db(engine)
    counts = backup.restore(engine, path)
    assert counts["complaint"] == 400 and counts["audit_log"] >= 1 and counts["app_user"] == 1
    before, after = fingerprint(source), fingerprint(engine)
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
    assert after == before  # every value of every row, read back by reflection
    # New rows after a restore get fresh ids (sequences were moved past the restored ones).
    with session_scope(engine) as session:
        users.add_user(session=session, username="after1", role="staff", name="新人", password="after-pass-1")


def test_restore_refuses_a_non_empty_database_and_changes_nothing(source, tmp_path):
    path = tmp_path / "crhq.backup"
    backup.backup(source, path)
    before = fingerprint(source)
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(source, path)
    assert fingerprint(source) == before


def test_a_damaged_backup_is_refused_whole(source, engine, tmp_path):
    path, bad = tmp_path / "crhq.backup", tmp_path / "bad.backup"
    backup.backup(source, path)
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "complaint.jsonl":
                data = data.replace(b"hotline", b"forum", 1)  # one changed value
            zout.writestr(item, data)
    init_db(engine)
    with pytest.raises(backup.BackupError, match="checksum"):
        backup.restore(engine, bad)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM company")).scalar() == 0  # the transaction rolled back
    with pytest.raises(backup.BackupError, match="not a backup"):
        backup.restore(engine, tmp_path / "missing.backup")


def test_cli_backup_restore_and_refusal_of_a_newer_schema(source, tmp_path, monkeypatch, capsys):
    path = tmp_path / "cli.backup"
    monkeypatch.setenv("DATABASE_URL", str(source.url))
    config.get_settings.cache_clear()
    try:
        assert cli.main(["backup", str(path)]) == 0
        target = tmp_path / "target.db"
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
        config.get_settings.cache_clear()
        assert cli.main(["restore", str(path)]) == 0
        assert "checksums verified" in capsys.readouterr().out
        assert cli.main(["restore", str(path)]) == 1  # the second time the database is not empty
        assert "nothing changed" in capsys.readouterr().err

        restored = make_engine(f"sqlite:///{target}")
        with restored.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        sample = tmp_path / "one.csv"
        sample.write_text("ref,received_at,channel,company,project\n", encoding="utf-8")
        assert cli.main(["import", "complaints", str(sample)]) == 2
        assert "newer than this code" in capsys.readouterr().err
        with restored.connect() as conn:
            assert conn.execute(select(func.count()).select_from(text("complaint"))).scalar() == 400
    finally:
        config.get_settings.cache_clear()


KILL_HALFWAY = """
import os, sys
from lib.db import make_engine, session_scope
from lib.imports.registry import import_file
data = open(sys.argv[2], "rb").read()
def progress(done):
    if done >= 0.5:
        os.kill(os.getpid(), 9)  # killed mid-import: no cleanup, no rollback from Python
with session_scope(make_engine(sys.argv[1])) as session:
    import_file("complaints", data, "big.csv", session=session, actor="t", progress=progress)
"""


def test_an_import_killed_half_way_leaves_the_database_as_before(engine, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    init_db(engine)
    header = "ref,received_at,channel,company,city,project,severity,responsible\n"
    rows = "".join(f"K{i:06d},2025-09-{1 + i % 28:02d} 10:00,hotline,A公司,深圳,花园{i % 7},ordinary,yes\n"
                   for i in range(30_000))
    big = tmp_path / "big.csv"
    big.write_text(header + rows, encoding="utf-8")
    url = engine.url.render_as_string(hide_password=False)
    before = fingerprint(engine)
    proc = subprocess.run([sys.executable, "-c", KILL_HALFWAY, url, str(big)], cwd=Path(__file__).parents[2],
                          capture_output=True, timeout=600)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    engine.dispose()
    assert fingerprint(engine) == before


def test_cli_export_of_each_kind_is_complete_safe_and_audited(source, tmp_path, monkeypatch):
    import pandas as pd

    from lib.models import AuditLog

    monkeypatch.setenv("DATABASE_URL", str(source.url))
    config.get_settings.cache_clear()
    try:
        out = tmp_path / "complaints.csv"
        assert cli.main(["export", "complaints", str(out)]) == 0
        frame = pd.read_csv(out, encoding="utf-8-sig")
        assert len(frame) == 400  # every complaint, void ones included: not the 500-row screen limit
        survey = tmp_path / "survey.xlsx"
        assert cli.main(["export", "survey", str(survey)]) == 0
        answers = pd.read_excel(survey)
        assert "respondent_key" not in answers.columns and len(answers) > 0
        for kind in ("supervisor_issues", "supervisors", "audit"):
            assert cli.main(["export", kind, str(tmp_path / f"{kind}.csv")]) == 0
        with session_scope(source) as session:
            exports = session.scalars(select(AuditLog.entity).where(AuditLog.action == "export",
                                                                   AuditLog.actor == "cli")).all()
        assert sorted(exports) == ["audit", "complaints", "supervisor_issues", "supervisors", "survey"]
    finally:
        config.get_settings.cache_clear()
