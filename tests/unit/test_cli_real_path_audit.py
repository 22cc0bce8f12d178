"""The command line as an operator runs it (`python -m lib.cli …` in its own process, on its own
SQLite file): what SECURITY.md says it audits is in the audit log, and `user disable` ends the
account's sessions."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from lib.db import make_engine, session_scope
from lib.models import AuditLog
from lib.services import users

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_real_path")
    url = f"sqlite:///{folder / 'cli.db'}"
    cli = _runner(url)
    cli("init-db")
    cli("seed-demo", "--complaints", "300", "--seed", "3")
    return url, cli, folder


def _runner(url: str):
    env = {**os.environ, "DATABASE_URL": url, "CRHQ_COOKIE_KEY": "c" * 48}

    def run(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run([sys.executable, "-m", "lib.cli", *args], cwd=ROOT, env=env, input=stdin,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout
    return run


def _log(url: str, action: str) -> list[tuple[str, str | None, str | None, dict]]:
    with session_scope(make_engine(url), readonly=True) as session:
        rows = session.execute(select(AuditLog.actor, AuditLog.entity, AuditLog.entity_id, AuditLog.detail)
                               .where(AuditLog.action == action).order_by(AuditLog.id)).all()
    return [(a, e, i, json.loads(d) if d else {}) for a, e, i, d in rows]


def test_a_cli_row_export_is_audited_with_the_rows_it_wrote(database):
    url, cli, folder = database
    out = folder / "complaints.csv"
    cli("export", "complaints", str(out), "--from", "2000-01-01", "--to", "2100-12-31")
    rows = len(list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))) - 1
    assert rows > 0
    logged = [(a, e, d) for a, e, _, d in _log(url, "export") if e == "complaints"]
    assert logged == [("cli", "complaints", {"format": "csv", "rows": rows, "file": str(out)})]


def test_the_cli_monthly_report_is_audited(database):
    url, cli, folder = database
    out = folder / "report.xlsx"
    cli("report", "--month", "2025-10", "--out", str(out))
    assert out.stat().st_size > 0
    assert [(a, e) for a, e, _, _ in _log(url, "export") if e.startswith("monthly_report_")] == [
        ("cli", "monthly_report_2025-10")]


def test_cli_user_add_and_disable_are_audited_and_disable_ends_the_accounts_sessions(database):
    url, cli, _ = database
    cli("user", "add", "cli_victim", "--role", "staff", "--name", "受害人", "--password-stdin",
        stdin="victim-pass-1\n")
    with session_scope(make_engine(url), readonly=True) as session:
        issued = time.time()  # a session that signed in after the account was made
        assert users.session_is_valid(users.get_user(session=session, username="cli_victim"), issued)
    time.sleep(0.05)
    cli("user", "disable", "cli_victim")
    with session_scope(make_engine(url), readonly=True) as session:
        info = users.get_user(session=session, username="cli_victim")
    assert not info.active and not users.session_is_valid(info, issued)
    assert [(a, i) for a, _, i, _ in _log(url, "user_add") if i == "cli_victim"] == [("cli", "cli_victim")]
    assert [(a, i) for a, _, i, _ in _log(url, "user_disable")] == [("cli", "cli_victim")]
