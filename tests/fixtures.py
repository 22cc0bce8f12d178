"""Hand-built data with known answers (worked out on paper; see the comments in the tests)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from lib.models import (
    Company,
    Complaint,
    Employee,
    ListeningActivity,
    Project,
    SupervisionActivity,
    Supervisor,
    SupervisorIssue,
    SurveyResponse,
    SurveyWave,
)
from lib.sla import due_times
from lib.vocab import normalise_text


def org(session: Session) -> tuple[Project, Project]:
    a = Company(name="A公司", city="深圳", region="华南")
    b = Company(name="B公司", city="广州", region="华南")
    session.add_all([a, b])
    session.flush()
    p1 = Project(company_id=a.id, name="深圳花园", name_norm=normalise_text("深圳花园"), city="深圳",
                 business_line="property_management")
    p2 = Project(company_id=b.id, name="广州华府", name_norm=normalise_text("广州华府"), city="广州",
                 business_line="development")
    session.add_all([p1, p2])
    session.flush()
    return p1, p2


def complaint(session: Session, project: Project, ref: str, received: datetime, channel: str,
              severity: str | None, responsible: bool, status: str, **fields) -> Complaint:
    due = due_times(received, channel, severity, responsible)
    c = Complaint(ref=ref, received_at=received, channel=channel, project_id=project.id,
                  business_line=project.business_line, category="maintenance", severity=severity,
                  responsible=responsible, status=status,
                  first_response_due_at=due.first_response_due_at, resolution_due_at=due.resolution_due_at,
                  escalation_level=fields.pop("escalation_level", 0), reopen_count=fields.pop("reopen_count", 0),
                  **fields)
    session.add(c)
    return c


def complaints_fixture(session: Session, projects: tuple[Project, Project] | None = None) -> None:
    p1, p2 = projects or org(session)
    complaint(session, p1, "C1", datetime(2025, 1, 6, 9), "hotline", "ordinary", True, "closed",
              first_response_at=datetime(2025, 1, 6, 10), resolved_at=datetime(2025, 1, 7, 9),
              followup_at=datetime(2025, 1, 8, 9), followup_score=5, closed_at=datetime(2025, 1, 9))
    complaint(session, p1, "C2", datetime(2025, 1, 6, 9), "hotline", "important", True, "verified",
              first_response_at=datetime(2025, 1, 8, 10), resolved_at=datetime(2025, 1, 10, 9),
              followup_at=datetime(2025, 1, 11, 9), followup_score=3, escalation_level=1)
    complaint(session, p1, "C3", datetime(2025, 1, 10, 12), "forum", "ordinary", True, "in_progress",
              reopen_count=1, escalation_level=2)
    complaint(session, p2, "C4", datetime(2025, 1, 15, 8), "wechat", None, False, "resolved",
              first_response_at=datetime(2025, 1, 15, 9), resolved_at=datetime(2025, 1, 15, 20))
    complaint(session, p2, "C5", datetime(2025, 1, 20, 8), "hotline", "ordinary", True, "void",
              void_reason="duplicate")
    # Boundary rows of the 1 Jan – 28 Feb 2025 filter the tests use (issue #28):
    # C10 at 00:00:00 of its first day (元旦, a holiday: its clocks start Thu 2 Jan 00:00, so the first
    # response is due Fri 3 Jan 00:00 and answered exactly then, on time; 7 working days 2, 3, 6–10 Jan
    # → resolution due Sat 11 Jan 00:00), resolved after 61 h 30 min (a fraction of an hour).
    complaint(session, p2, "C10", datetime(2025, 1, 1, 0, 0, 0), "wechat", "ordinary", True, "resolved",
              first_response_at=datetime(2025, 1, 3, 0, 0, 0), resolved_at=datetime(2025, 1, 3, 13, 30))
    # C11 one second before the end of the last day (Fri 28 Feb 23:59:59): open, first response due
    # Mon 3 Mar 23:59:59, resolution due Tue 11 Mar 23:59:59, neither passed at 1 March.
    complaint(session, p1, "C11", datetime(2025, 2, 28, 23, 59, 59), "hotline", "ordinary", True, "received")
    # C12 at 00:00:00 of the day after the filter (Sat 1 Mar): never counted in it.
    complaint(session, p1, "C12", datetime(2025, 3, 1, 0, 0, 0), "hotline", "ordinary", True, "received")
    # C6 last: the highest id (tests/service/test_analytics.py reuses it)
    complaint(session, p2, "C6", datetime(2025, 2, 10, 10), "hotline", "ordinary", True, "received")
    session.flush()


def listening_fixture(session: Session, projects: tuple[Project, Project] | None = None) -> None:
    p1, _ = projects or org(session)
    company_id = p1.company_id

    def emp(no, mgmt, joined, left=None):
        e = Employee(employee_no=no, name=no, company_id=company_id, department="客服部",
                     is_management=mgmt, joined_on=joined, left_on=left)
        session.add(e)
        session.flush()
        return e

    def act(e, day, kind, finding=None):
        session.add(ListeningActivity(employee_id=e.id, activity_date=day, activity_type=kind, finding=finding))

    e1 = emp("E1", False, date(2020, 1, 1))
    emp("E2", False, date(2025, 6, 1))                      # joiner inside the period, no activity
    e3 = emp("E3", True, date(2019, 1, 1), date(2025, 2, 1))  # leaver inside the period
    e4 = emp("E4", True, date(2019, 1, 1), date(2024, 12, 31))  # left before the period
    e5 = emp("E5", False, date(2026, 1, 1))                 # joins after the period
    e6 = emp("E6", False, date(2018, 1, 1))
    act(e1, date(2025, 3, 1), "visit_customer", "")
    act(e1, date(2025, 4, 1), "visit_customer")
    act(e3, date(2025, 1, 15), "answer_hotline")
    act(e4, date(2024, 12, 1), "visit_customer")
    act(e5, date(2026, 2, 1), "visit_customer")
    for i, kind in enumerate(["visit_customer", "answer_hotline", "handle_complaint", "attend_delivery",
                              "experience_service", "make_suggestion"]):
        act(e6, date(2025, 5, 1 + i), kind, "地库照明不足" if i == 0 else None)
    session.flush()


def surveys_fixture(session: Session, projects: tuple[Project, Project] | None = None) -> None:
    p1, _ = projects or org(session)
    wave = SurveyWave(vendor="零点调查", method="phone")
    session.add(wave)
    session.flush()

    def resp(key, scale, overall, recommend=None, housing=None, day=date(2025, 3, 1)):
        session.add(SurveyResponse(wave_id=wave.id, respondent_key=key, surveyed_on=day, project_id=p1.id,
                                   touchpoint="delivery_1m", scale=scale, overall=overall,
                                   recommend=recommend, housing_quality=housing))

    resp("k1", 5, 5, recommend=10)
    resp("k2", 10, 1, recommend=6)
    resp("k3", 11, 7, housing=9)
    resp("k4", 5, 4, recommend=9, housing=2)
    resp("k5", 5, 3, day=date(2024, 3, 1))  # last year: 50.0
    session.flush()


def supervisors_fixture(session: Session, projects: tuple[Project, Project] | None = None) -> None:
    p1, p2 = projects or org(session)
    s1 = Supervisor(supervisor_no="S1", name="张三", project_id=p1.id, term=11, joined_on=date(2020, 1, 1),
                    phone="13812345678")
    s2 = Supervisor(supervisor_no="S2", name="李四", project_id=p2.id, term=10, joined_on=date(2019, 1, 1),
                    left_on=date(2024, 6, 30))
    session.add_all([s1, s2])
    session.add_all([
        SupervisionActivity(activity_date=date(2025, 1, 5), project_id=p1.id, activity_type="meeting", participants=10),
        SupervisionActivity(activity_date=date(2025, 2, 5), project_id=p1.id, activity_type="site_inspection",
                            participants=15),
        SupervisionActivity(activity_date=date(2024, 2, 5), project_id=p1.id, activity_type="meeting", participants=99),
    ])

    def issue(ref, raised, due, status, resolved=None, score=None):
        session.add(SupervisorIssue(ref=ref, raised_on=raised, project_id=p1.id, category="delivery",
                                    description="x", responsible_party="property", first_responder="staff",
                                    due_on=due, status=status, resolved_on=resolved, feedback_score=score))

    issue("I1", date(2025, 1, 10), date(2025, 1, 25), "closed", date(2025, 1, 20), 5)
    issue("I2", date(2025, 1, 15), date(2025, 1, 30), "in_progress")
    issue("I3", date(2025, 2, 1), date(2025, 2, 16), "feedback_given", date(2025, 2, 20), 3)
    session.flush()


def all_areas_fixture(session: Session) -> tuple[Project, Project]:
    """The four fixtures above on one organisation (the overview, the report and Explore show all areas)."""
    projects = org(session)
    for fill in (complaints_fixture, surveys_fixture, listening_fixture, supervisors_fixture):
        fill(session, projects)
    return projects


def no_minimum_sample(session: Session) -> None:
    """A minimum sample of 1 for every KPI (issue #23's setting): for hand-worked fixtures of a few cases
    per company, which test the ranking and the report's figures, not the minimum."""
    from lib.services import settings

    settings.put("min_sample", dict.fromkeys(settings.DEFAULTS["min_sample"], 1), session=session, actor="test")
