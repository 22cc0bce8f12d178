"""Shared fixtures: a fresh migrated database per test on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from lib.db import make_engine, session_scope
from lib.schema import init_db

PG_URL = os.environ.get("CRHQ_TEST_PG_URL")
# Analytic snapshots of test databases go to a throwaway folder, never to data/.
os.environ.setdefault("CRHQ_ANALYTICS_DIR", tempfile.mkdtemp(prefix="crhq-analytics-"))


def _postgres_engine() -> Iterator[Engine]:
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CRHQ_TEST_PG_URL is not set: run the suite through scripts/test.sh")
        pytest.skip("no PostgreSQL server (set CRHQ_TEST_PG_URL or run scripts/test.sh)")
    name = f"crhq_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path) -> Iterator[Engine]:
    """A migrated, empty database; every service test runs once per backend."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        init_db(eng)
        yield eng
        eng.dispose()
    else:
        for eng in _postgres_engine():
            init_db(eng)
            yield eng


@pytest.fixture
def session(engine):
    with session_scope(engine) as s:
        yield s


@pytest.fixture
def import_limits(monkeypatch):
    """Import limits from the environment, as an operator sets them (CRHQ_IMPORT_*)."""
    from lib.imports import limits

    def use(**values):
        for name, value in values.items():
            monkeypatch.setenv(f"CRHQ_IMPORT_{name.upper()}", str(value))
        limits.get_limits.cache_clear()
    yield use
    monkeypatch.undo()
    limits.get_limits.cache_clear()
