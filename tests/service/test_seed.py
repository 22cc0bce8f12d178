"""Demo data: deterministic, covers every area, status and at least two full calendar years."""
from datetime import date

from sqlalchemy import func, select

from lib.models import Complaint, SupervisorIssue, SurveyResponse
from lib.services import seed
from lib.vocab import CHANNELS, COMPLAINT_STATUSES, ISSUE_STATUSES, TOUCHPOINTS

TODAY = date(2026, 11, 22)


def _fingerprint(session):
    return (
        session.execute(select(func.count(), func.sum(Complaint.reopen_count), func.min(Complaint.received_at),
                               func.max(Complaint.received_at))).one(),
        tuple(session.scalars(select(Complaint.ref).order_by(Complaint.id).limit(5))),
        session.scalar(select(func.sum(SurveyResponse.overall))),
    )


def test_seed_is_deterministic_and_complete(session, tmp_path):
    summary = seed.seed_demo(session=session, complaints=3000, seed=3, today=TODAY, employees=300,
                             survey_per_month=90)
    assert summary.complaints == 3000 and summary.companies == 12 and summary.projects >= 60
    statuses = set(session.scalars(select(Complaint.status).distinct()))
    assert statuses == set(COMPLAINT_STATUSES)
    assert set(session.scalars(select(Complaint.channel).distinct())) == set(CHANNELS)
    assert set(session.scalars(select(SurveyResponse.touchpoint).distinct())) == set(TOUCHPOINTS)
    assert set(session.scalars(select(SupervisorIssue.status).distinct())) == set(ISSUE_STATUSES)
    first = session.scalar(select(func.min(Complaint.received_at)))
    assert first.date() <= date(TODAY.year - 2, 1, 31)  # two full calendar years before this one
    resolved = session.scalar(select(func.count()).where(Complaint.status.in_(("resolved", "verified", "closed"))))
    assert resolved / 3000 > 0.9  # most complaints resolved, as in the seed documents

    from lib.db import make_engine, session_scope
    from lib.schema import init_db
    other = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    init_db(other)
    with session_scope(other) as again:
        seed.seed_demo(session=again, complaints=3000, seed=3, today=TODAY, employees=300, survey_per_month=90)
        assert _fingerprint(again) == _fingerprint(session)


def test_seed_refuses_a_non_empty_database(session):
    seed.seed_demo(session=session, complaints=50, seed=1, today=TODAY, employees=20, survey_per_month=14)
    assert not seed.is_empty(session=session)
    try:
        seed.seed_demo(session=session, complaints=50, seed=1, today=TODAY)
    except RuntimeError as exc:
        assert "not empty" in str(exc)
    else:
        raise AssertionError("seeding twice must be refused")
