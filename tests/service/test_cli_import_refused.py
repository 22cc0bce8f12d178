"""A refused import from the command line is audited as on the page (lib.imports.base.record_refusal):
an `import_refused` row written in a transaction of its own, committed although the import's own
transaction was rolled back; nothing of the file is written. SQLite and PostgreSQL (the `engine` fixture)."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from lib import cli
from lib.config import get_settings
from lib.db import session_scope
from lib.models import AuditLog, Complaint

HEADER = "ref,received_at,channel,company,city,project,description\n"


def _cli(engine, monkeypatch, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        return cli.main(list(argv))
    finally:
        get_settings.cache_clear()


def _refusals(engine, filename: str) -> list[dict]:
    with session_scope(engine, readonly=True) as s:
        rows = s.execute(select(AuditLog.actor, AuditLog.entity, AuditLog.detail)
                         .where(AuditLog.action == "import_refused")).all()
    out = [{"actor": a, "entity": e, **json.loads(d)} for a, e, d in rows]
    return [r for r in out if r["file"] == filename]  # other tests' refusals in a shared database


def test_a_refused_cli_import_writes_an_audit_row_and_nothing_else(engine, monkeypatch, tmp_path, capsys):
    nul = tmp_path / "nul-refused.csv"
    # One row with a NUL character: the whole file is refused before any row is read.
    nul.write_bytes((HEADER + "RFX1,2025-09-30 11:00,hotline,A公司,深圳,深圳花园,漏\x00水\n").encode())
    assert _cli(engine, monkeypatch, "import", "complaints", str(nul)) == 1
    assert "NUL" in capsys.readouterr().err
    (row,) = _refusals(engine, str(nul))
    assert row["actor"] == "cli" and row["entity"] == "complaint" and row["kind"] == "complaints"
    assert row["reason"] == "imp_err_rows" and row["errors"] == 1 and row["rows_refused"] == 1 and row["dry_run"] is False
    with session_scope(engine, readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Complaint).where(Complaint.ref == "RFX1")) == 0
    # A dry run refused the same way is audited too, flagged as one.
    assert _cli(engine, monkeypatch, "import", "complaints", str(nul), "--dry-run") == 1
    assert sorted(r["dry_run"] for r in _refusals(engine, str(nul))) == [False, True]
