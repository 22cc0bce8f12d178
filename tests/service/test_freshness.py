"""Issue #27, freshness: the data version the page caches are keyed by (lib.freshness) moves with every
kind of write, from any connection, on SQLite and PostgreSQL; and it comes back to no earlier value."""
from datetime import datetime

from sqlalchemy import delete, select, update

from lib.db import make_engine, session_scope
from lib.freshness import data_version
from lib.models import Complaint, SurveyResponse
from lib.services import audit
from tests import fixtures


def _version(engine) -> tuple:
    with session_scope(engine, readonly=True) as session:
        return data_version(session)


def test_every_write_from_another_connection_moves_the_version(engine):
    with session_scope(engine) as session:
        projects = fixtures.org(session)
        fixtures.complaints_fixture(session, projects)
        fixtures.surveys_fixture(session, projects)
    other = make_engine(engine.url.render_as_string(hide_password=False))  # another process's pool
    seen = [_version(engine)]
    assert _version(engine) == seen[0]  # nothing written: the same version, the caches hold

    def wrote(change) -> None:
        with session_scope(other) as session:
            change(session)
        now = _version(engine)
        assert now not in seen, (now, seen)  # moved, and to a value it never had
        seen.append(now)

    p1 = projects[0]
    wrote(lambda s: fixtures.complaint(s, p1, "FR1", datetime(2025, 3, 1, 9), "hotline", "ordinary", True,
                                       "received"))
    wrote(lambda s: s.execute(update(Complaint).where(Complaint.ref == "FR1").values(status="resolved")))
    wrote(lambda s: s.execute(update(Complaint).where(Complaint.ref == "FR1").values(status="received")))
    wrote(lambda s: s.execute(delete(Complaint).where(Complaint.ref == "FR1")))
    wrote(lambda s: s.execute(update(SurveyResponse).where(
        SurveyResponse.id == s.scalar(select(SurveyResponse.id).limit(1))).values(overall=1)))
    wrote(lambda s: audit.record(session=s, actor="admin1", action="setting_change", entity="setting",
                                 entity_id="x"))  # an audited write to any other table
    other.dispose()


def test_a_rolled_back_write_leaves_the_version(engine):
    with session_scope(engine) as session:
        projects = fixtures.org(session)
    before = _version(engine)
    with session_scope(engine) as session:
        fixtures.complaint(session, projects[0], "FR2", datetime(2025, 3, 1, 9), "hotline", None, False, "received")
        session.flush()
        session.rollback()
    assert _version(engine) == before
