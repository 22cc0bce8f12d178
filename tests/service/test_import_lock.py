"""A long import does not block other writers (security report item 9) and stays all or nothing:
on SQLite it commits about every second and undoes what it committed if it fails; the same new file
imported twice at once (item 10's unique race) ends with every row once, on both backends."""
from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from lib.db import session_scope
from lib.imports import complaints as complaint_import
from lib.imports import registry
from lib.imports.reader import ImportRejected
from lib.models import AuditLog, Complaint, ComplaintEvent, Project
from lib.services import audit

HEADER = "ref,received_at,channel,company,city,project,description\n"


def _file(n: int, prefix: str = "K") -> bytes:
    return (HEADER + "".join(f"{prefix}{i},2025-09-{1 + i % 28:02d} 10:00,hotline,A公司,深圳,花园{i % 5},漏水{i}\n"
                             for i in range(n))).encode()


def _import(engine, data: bytes, name: str = "big.csv"):
    with session_scope(engine) as session:
        return registry.import_file("complaints", data, name, session=session, actor="t")


def _count(engine, model) -> int:
    with session_scope(engine, readonly=True) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_small_writes_wait_at_most_a_couple_of_seconds_during_a_big_import(engine):
    """SQLite: while 100,000 complaints are imported (several seconds of writing), a small write
    every 0.1 s (an audit record, like a login's) succeeds every time and waits < 2.5 s."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    data = _file(100_000)
    outcome: dict = {}

    def big() -> None:
        started = time.perf_counter()
        outcome["result"] = _import(engine, data)
        outcome["seconds"] = time.perf_counter() - started
    worker = threading.Thread(target=big)
    worker.start()
    waits = []
    while worker.is_alive():
        started = time.perf_counter()
        with session_scope(engine) as session:
            audit.record(session=session, actor="someone", action="login")
        waits.append(time.perf_counter() - started)
        time.sleep(0.1)
    worker.join()
    assert outcome["result"].inserted == 100_000
    assert outcome["seconds"] > 3  # long enough that one transaction would have blocked the writes
    # under load each write may wait about the lock slice (1 s), so only a few fit into the import
    assert len(waits) >= 3 and max(waits) < 2.5, (len(waits), max(waits), outcome["seconds"])


def test_a_failure_after_committed_chunks_undoes_everything_the_import_wrote(engine, import_limits, monkeypatch):
    """The third chunk fails with a database error after the first two were committed (SQLite):
    the complaints, events and projects they added are gone, the updated complaint is as it was,
    and the user gets the bilingual database message."""
    import_limits(lock_seconds=0)  # commit after every chunk
    _import(engine, (HEADER + "K1,2025-09-02 10:00,hotline,A公司,深圳,花园1,原来的描述\n").encode(), "first.csv")
    calls = []
    original = complaint_import.IMPORTER.write

    def failing(batch, ctx):
        calls.append(len(batch))
        if len(calls) == 3:
            raise OperationalError("INSERT ...", {}, Exception("disk I/O error"))
        original(batch, ctx)
    monkeypatch.setitem(registry.IMPORTERS, "complaints", dataclasses.replace(complaint_import.IMPORTER, write=failing))
    data = _file(14_000).replace(b"K1,2025-09-02 10:00,hotline,A\xe5\x85\xac\xe5\x8f\xb8,\xe6\xb7\xb1\xe5\x9c\xb3,"
                                 b"\xe8\x8a\xb1\xe5\x9b\xad1,\xe6\xbc\x8f\xe6\xb0\xb41\n",
                                 "K1,2025-09-02 10:00,hotline,A公司,深圳,新花园,新的描述\n".encode())
    with pytest.raises(ImportRejected) as caught:
        _import(engine, data)
    assert caught.value.key == "imp_err_database" and len(calls) == 3
    assert (_count(engine, Complaint), _count(engine, ComplaintEvent), _count(engine, Project)) == (1, 1, 1)
    with session_scope(engine, readonly=True) as session:
        kept = session.scalar(select(Complaint))
        assert (kept.description, kept.project_id) == ("原来的描述", session.scalar(select(Project.id)))
        assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "import")) == 1


def test_the_same_new_file_imported_twice_at_once_stores_every_row_once(engine):
    data = _file(12_000, "R")
    start, results, failures = threading.Barrier(2), [], []

    def run() -> None:
        start.wait()
        try:
            results.append(_import(engine, data))
        except Exception as exc:  # noqa: BLE001  (the assertion below shows it)
            failures.append(exc)
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sum(r.inserted for r in results) == 12_000
    assert all(r.inserted + r.unchanged == 12_000 for r in results)
    assert (_count(engine, Complaint), _count(engine, ComplaintEvent), _count(engine, Project)) == (12_000, 12_000, 5)
