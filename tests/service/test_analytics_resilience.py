"""The analytic mirror never gives a wrong number when its folder is deleted and rebuilt, when its
snapshot file is corrupt, truncated, missing or someone else's, or when it cannot be written (read-only
folder, full disk): the read falls back to the row store, a warning is logged and the mirror rebuilds
itself. Snapshot identities are never reused. Clock-dependent figures (backlog ageing, overdue) follow
the reader's now even when nothing is written. Counts are hand-built, not computed by the code under test."""
from __future__ import annotations

import json
import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select

import lib.db
from lib import analytics
from lib.db import session_scope
from lib.kpis import complaints, surveys
from lib.kpis.common import KpiFilter
from lib.models import AnalyticsState, Complaint
from lib.services import complaint_views
from lib.services import complaints as complaint_service
from tests import fixtures

ROOT = Path(__file__).resolve().parents[2]
Q1 = KpiFilter(date(2025, 1, 1), date(2025, 3, 31))
NOW = datetime(2025, 4, 1)
YEAR = KpiFilter(date(2025, 1, 1), date(2025, 12, 31))


@pytest.fixture(autouse=True)
def mirror_on(monkeypatch, tmp_path, engine):  # after `engine`: rebuild threads end before it is dropped
    monkeypatch.setenv("CRHQ_ANALYTICS", "on")
    monkeypatch.setenv("CRHQ_ANALYTICS_DIR", str(tmp_path / "analytics"))
    monkeypatch.setattr(analytics, "RETRY_SECONDS", 0, raising=False)  # no waiting between rebuild attempts
    analytics.close_all()  # every test starts as a fresh process
    yield
    _join_rebuilds()
    analytics.close_all()


def _join_rebuilds() -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("crhq-analytics-"):
            thread.join(timeout=120)


def _add(engine, first: int, count: int) -> None:
    """`count` open hotline complaints numbered from `first`, one a day from 1 January 2025 (all in Q1)."""
    with session_scope(engine) as session:
        project = session.scalar(select(fixtures.Project).order_by(fixtures.Project.id))
        if project is None:
            project, _ = fixtures.org(session)
        for i in range(first, first + count):
            fixtures.complaint(session, project, f"R{i:04d}", datetime(2025, 1, 1, 9) + timedelta(days=i % 90),
                               "hotline", "ordinary", True, "received")


def _read(engine) -> tuple[int, bool]:
    """(complaints in Q1 as the KPI function the pages and the CLI call gives them, read through the mirror)."""
    with session_scope(engine, readonly=True) as session:
        with analytics.reading(session, "complaint") as reader:
            mirrored = reader.get_bind().dialect.name == "duckdb"
        return complaints.compute(Q1, session=session, now=NOW).kpis["complaints"], mirrored


def _directory(engine) -> Path:
    with session_scope(engine, readonly=True) as session:
        return analytics._root() / session.scalar(select(AnalyticsState.token))


def _manifest(engine) -> dict:
    return json.loads((_directory(engine) / "manifest.json").read_text(encoding="utf-8"))


def _rebuild_in_another_process(engine) -> None:
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    done = subprocess.run([sys.executable, "-m", "lib.cli", "analytics", "rebuild"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


# ---- a deleted and rebuilt folder ------------------------------------------------------------

def test_a_process_on_the_old_snapshot_reads_the_rebuilt_folder_whole(engine):
    # The report's 4,953 shown for 5,253 in the database: process A stays on its attached snapshot while
    # the folder is deleted and another process rebuilds it with the rows added in between.
    _add(engine, 0, 30)
    analytics.build(engine)
    assert _read(engine) == (30, True)
    shutil.rmtree(analytics._root())
    _add(engine, 30, 7)
    _rebuild_in_another_process(engine)
    assert _read(engine) == (37, True)
    _add(engine, 37, 2)  # and the delta on top of the new snapshot
    assert _read(engine) == (39, True)


def test_a_process_that_rebuilds_the_deleted_folder_itself_reads_on(engine, caplog):
    # Process A finds the folder gone and rebuilds it itself while its old snapshot is still attached:
    # once "Unique file handle conflict" on every read until restart.
    _add(engine, 0, 30)
    analytics.build(engine)
    assert _read(engine) == (30, True)
    shutil.rmtree(analytics._root())
    _add(engine, 30, 7)
    for _ in range(2):
        assert _read(engine) == (37, True)
    _add(engine, 37, 2)
    assert _read(engine) == (39, True)
    analytics.close_all()  # and a new process
    assert _read(engine) == (39, True)


def test_snapshot_identity_is_never_reused(engine):
    _add(engine, 0, 3)
    seen = [analytics.build(engine)]
    seen.append(analytics.build(engine, force=True))
    shutil.rmtree(analytics._root())  # deleted: the next one must not be "generation 1" again
    seen.append(analytics.build(engine))
    shutil.rmtree(analytics._root())
    seen.append(analytics.build(engine))
    assert len({m["snapshot"] for m in seen}) == len(seen)
    assert len({m["file"] for m in seen}) == len(seen)
    generations = [m["generation"] for m in seen]
    assert generations == sorted(generations) and len(set(generations)) == len(seen)
    assert all(m["snapshot"] in m["file"] for m in seen)  # a file name says which build wrote it


# ---- a broken snapshot falls back to the row store -------------------------------------------

def _garbage(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as fh:  # the headers and every block after them
        for offset in range(0, size, 64 * 1024):
            fh.seek(offset)
            fh.write(os.urandom(4096))


def _truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _missing(path: Path) -> None:
    path.unlink()


def _garbage_in_one_block(path: Path) -> None:  # headers intact: only reading the data would notice
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.seek(size - 8192)
        fh.write(os.urandom(4096))


BREAKS = {"garbage": _garbage, "truncated": _truncate, "missing": _missing, "one_block": _garbage_in_one_block}


@pytest.mark.parametrize("damage", list(BREAKS))
def test_a_broken_snapshot_falls_back_to_the_database_and_is_rebuilt(engine, damage, caplog):
    _add(engine, 0, 30)
    analytics.build(engine)
    _add(engine, 30, 5)  # in the delta
    BREAKS[damage](_directory(engine) / _manifest(engine)["file"])
    caplog.set_level(logging.WARNING, logger="lib.analytics")
    count, mirrored = _read(engine)  # a fresh process meets the broken file
    assert count == 35 and not mirrored
    assert any("row store" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    _join_rebuilds()  # the rebuild it scheduled
    _add(engine, 35, 1)
    assert _read(engine) == (36, True)


def test_a_snapshot_file_of_another_build_is_not_taken_for_the_manifests(engine, caplog):
    # The file the manifest names replaced by one with other rows (say an older build's, copied back):
    # its position would not belong to it.
    _add(engine, 0, 30)
    old = analytics.build(engine)
    kept = _directory(engine) / "kept.duckdb"
    shutil.copy(_directory(engine) / old["file"], kept)
    _add(engine, 30, 5)
    new = analytics.build(engine, force=True)
    os.replace(kept, _directory(engine) / new["file"])
    caplog.set_level(logging.WARNING, logger="lib.analytics")
    assert _read(engine) == (35, False)
    _join_rebuilds()
    assert _read(engine) == (35, True)


def test_a_snapshot_failing_in_the_middle_of_a_read_is_read_once_more(engine, monkeypatch, caplog):
    # A block damaged after the file was checked and attached fails inside a KPI statement. DuckDB's own
    # cache hides such damage in a file this small, so the failure is injected where a read meets it.
    with session_scope(engine) as session:
        fixtures.surveys_fixture(session)
    analytics.build(engine)
    real, failures = analytics._Mirror.parts, []

    def damaged(self, *args, **kwargs):
        if not failures:
            failures.append(1)
            raise duckdb.IOException("Corrupt database file: computed checksum 1 does not match stored checksum 2")
        return real(self, *args, **kwargs)
    monkeypatch.setattr(analytics._Mirror, "parts", damaged)
    caplog.set_level(logging.WARNING, logger="lib.analytics")
    with session_scope(engine, readonly=True) as session:  # the Surveys page's read answers after all
        assert surveys.compute(YEAR, session=session).kpis["responses"] == 4  # tests/fixtures.py
        assert failures
        with analytics.reading(session, "survey_response") as reader:  # the file checked afresh was sound
            assert reader.get_bind().dialect.name == "duckdb"
    assert any("once more" in r.getMessage() for r in caplog.records)


def _immutable(path: Path, on: bool) -> None:
    """Read-only for everyone: root ignores file modes, so there `chattr +i` too (taken off first)."""
    if on:
        path.chmod(0o555)
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("running as root without chattr: no way to make a folder read-only")
        done = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True)
        if done.returncode and on:
            pytest.skip(f"chattr failed: {done.stderr!r}")
    if not on:
        path.chmod(0o755)


def test_an_unwritable_folder_falls_back_to_the_database(engine, caplog):
    _add(engine, 0, 30)
    built = analytics.build(engine)
    directory = _directory(engine)
    (directory / "manifest.json").write_text(json.dumps({**built, "format": analytics.FORMAT - 1}),
                                             encoding="utf-8")  # outdated: the reader has to rebuild
    _add(engine, 30, 5)
    caplog.set_level(logging.WARNING, logger="lib.analytics")
    _immutable(directory, True)
    try:
        with pytest.raises(OSError):
            (directory / "probe").write_text("x")
        assert _read(engine) == (35, False)
        assert _read(engine) == (35, False)
        _join_rebuilds()
    finally:
        _immutable(directory, False)
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    assert _read(engine)[0] == 35  # writable again: this read schedules the rebuild, the next one has it
    _join_rebuilds()
    assert _read(engine) == (35, True)


def test_a_full_disk_while_rebuilding_falls_back_to_the_database(engine, caplog):
    # RLIMIT_FSIZE makes every write past 64 KB fail as a full disk does (EFBIG instead of ENOSPC).
    _add(engine, 0, 30)
    analytics.build(engine)
    shutil.rmtree(analytics._root())
    _add(engine, 30, 5)
    caplog.set_level(logging.WARNING, logger="lib.analytics")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, hard))
    try:
        assert _read(engine) == (35, False)
        _join_rebuilds()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert not list(analytics._root().rglob("*.duckdb"))  # nothing half-written left behind
    assert _read(engine)[0] == 35
    _join_rebuilds()
    assert _read(engine) == (35, True)


# ---- the reader's now ------------------------------------------------------------------------

def _frozen_clock(monkeypatch, at: datetime) -> None:
    """lib.db.local_now (the business clock every read defaults to) says `at`."""
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return at.replace(tzinfo=tz) if tz is None else at.replace(tzinfo=lib.db.BUSINESS_TZ).astimezone(tz)
    monkeypatch.setattr(lib.db, "datetime", Frozen)


def test_backlog_ageing_and_overdue_follow_the_readers_now_with_nothing_written(engine, monkeypatch):
    t = datetime(2025, 3, 1, 12)
    with session_scope(engine) as session:
        p1, _ = fixtures.org(session)
        for ref, age in (("a", timedelta(hours=12)), ("b", timedelta(days=2)), ("c", timedelta(days=5)),
                         ("d", timedelta(days=11)), ("e", timedelta(days=20)), ("f", timedelta(days=40))):
            received = t - age
            session.add(Complaint(ref=ref, received_at=received, channel="hotline", project_id=p1.id,
                                  business_line=p1.business_line, category="maintenance", severity="ordinary",
                                  responsible=True, status="received", escalation_level=0, reopen_count=0,
                                  first_response_due_at=received + timedelta(hours=2),
                                  resolution_due_at=received + timedelta(days=10)))
    analytics.build(engine)

    def page(at: datetime):
        _frozen_clock(monkeypatch, at)
        with session_scope(engine, readonly=True) as session:  # as lib.ui.cached reads for the page
            board = complaint_views.board(Q1, session=session)
            explicit = complaint_service.ageing(Q1, session=session, now=at)
        return (dict(zip(board.ageing["bucket"], board.ageing["count"], strict=True)),
                board.kpis["open_backlog"], board.kpis["overdue_open"],
                dict(zip(explicit["bucket"], explicit["count"], strict=True)))

    # At T: ages 0.5, 2, 5, 11, 20, 40 days; due 10 days after receipt, so d, e, f are overdue.
    at_t = {"0-1": 1, "1-3": 1, "3-7": 1, "7-15": 1, "15-30": 1, "30+": 1}
    assert page(t) == (at_t, 6, 3, at_t)
    # 20 days later, nothing written: ages 20.5, 22, 25, 31, 40, 60; every one is overdue.
    later = {"0-1": 0, "1-3": 0, "3-7": 0, "7-15": 0, "15-30": 3, "30+": 3}
    assert page(t + timedelta(days=20)) == (later, 6, 6, later)
    assert page(t) == (at_t, 6, 3, at_t)  # and back: nothing remembered across nows
