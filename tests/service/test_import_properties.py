"""Issue #8, hostile files: property-based tests (hypothesis) of every importer. Whatever the bytes —
random, in random encodings, with huge cells, wrong types, formulas, markup — a file is either imported
whole or refused whole with a report; never another exception, never a partial write."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, func, select

from lib.db import make_engine, session_scope
from lib.imports.reader import ImportRejected
from lib.imports.registry import IMPORTERS, import_file
from lib.schema import init_db
from lib.services import seed

KINDS = list(IMPORTERS)
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]
HOSTILE = ["<script>alert(1)</script>", "[点我](javascript:alert(1))", "=HYPERLINK(\"http://x\",\"y\")",
           ":red[危险]", "$$\\frac{1}{0}$$", "\x00\x1b[31m", "'; DROP TABLE complaint; --", "١٢٣", "💥" * 50]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """One seeded SQLite database; every example runs in a transaction that is rolled back."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('props') / 'props.db'}")
    init_db(engine)
    with session_scope(engine) as session:
        seed.seed_demo(session=session, complaints=50, seed=1, today=date(2026, 11, 23), employees=20,
                       survey_per_month=6)
    return engine


def _counts(session) -> dict[str, int]:
    meta = MetaData()
    meta.reflect(session.get_bind())
    return {name: session.scalar(select(func.count()).select_from(t)) for name, t in meta.tables.items()}


def _attempt(engine, kind: str, data: bytes, filename: str) -> None:
    """Import inside a transaction; on refusal the counts must be as before the attempt."""
    with engine.connect() as conn:
        outer = conn.begin()
        from sqlalchemy.orm import Session
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        before = _counts(session)
        try:
            import_file(kind, data, filename, session=session, actor="fuzz")
        except ImportRejected as exc:
            session.rollback()
            assert exc.key.startswith("imp_err"), exc.key
            for error in exc.errors:  # a row-level report names row, column and reasons in both languages
                assert error.row >= 1 and error.column
            assert _counts(session) == before
        finally:
            session.close()
            outer.rollback()


cell = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE), st.integers().map(str),
                 st.floats(allow_nan=True).map(str), st.just(""), st.dates().map(str),
                 st.text(min_size=1, max_size=3).map(lambda s: s * 20_000))  # huge cells


@st.composite
def csv_files(draw):
    kind = draw(st.sampled_from(KINDS))
    columns = [c.name if draw(st.booleans()) else c.zh for c in IMPORTERS[kind].columns]
    columns = draw(st.lists(st.sampled_from(columns), min_size=1, max_size=len(columns) + 2)) \
        if draw(st.booleans()) else columns
    rows = draw(st.lists(st.lists(cell, min_size=len(columns), max_size=len(columns)), max_size=6))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(ENCODINGS))
    return kind, buf.getvalue().encode(encoding, errors="replace")


# Derandomised (issue #28): the same examples on every run, so a failure is a change in the code, not a
# new draw; the inputs the random runs found in CI are pinned as explicit examples.
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
HUGE_TERM = ("supervisors", ("supervisor_no,name,company,city,project,term,joined_on\n"
                             f"S1,张三,A公司,深圳,P,{'1' * 4301},2024-01-01\n").encode())


@SETTINGS
@given(kind=st.sampled_from(KINDS), data=st.binary(max_size=3000))
@example(kind="complaints", data=b"\r\x00")  # a pandas TypeError in CI
@example(kind="supervisors", data=b"\r\x00")
def test_random_bytes_are_refused_whole_or_imported(db, kind, data):
    _attempt(db, kind, data, "random.csv")


@SETTINGS
@given(kind=st.sampled_from(KINDS), data=st.binary(max_size=3000))
def test_random_bytes_named_xlsx_are_refused_with_a_message(db, kind, data):
    _attempt(db, kind, b"PK\x03\x04" + data, "random.xlsx")


@SETTINGS
@given(file=csv_files())
@example(file=HUGE_TERM)  # int() raised ValueError past 4,300 digits
def test_structured_hostile_files_are_all_or_nothing(db, file):
    kind, data = file
    _attempt(db, kind, data, "hostile.csv")
