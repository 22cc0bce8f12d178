"""Typed SQLAlchemy 2 models, one module per area; importing this registers every table."""
from lib.models.analytics import AnalyticsChange, AnalyticsState
from lib.models.cases import TypicalCase, TypicalCaseAction, TypicalCaseTag, UnitReport  # noqa: F401
from lib.models.checks import CheckResult, CheckSample
from lib.models.complaints import Complaint, ComplaintEvent
from lib.models.followups import FollowupTask
from lib.models.listening import Employee, ListeningActivity
from lib.models.notify import NotifyMark, NotifyOutbox, NotifySubscription, NotifyWebhook  # noqa: F401
from lib.models.org import Company, Project
from lib.models.settings import KpiTarget, SavedView, Setting
from lib.models.supervisors import (
    SupervisionActivity,
    Supervisor,
    SupervisorIssue,
    SupervisorIssueRaiser,
    SupervisorIssueUpdate,
)
from lib.models.surveys import Benchmark, SurveyResponse, SurveyWave
from lib.models.text import TextTerm  # noqa: F401
from lib.models.users_audit import AuditLog, User

__all__ = [
    "AnalyticsChange", "AnalyticsState", "AuditLog", "Benchmark", "CheckResult", "CheckSample", "Company", "Complaint",
    "ComplaintEvent", "Employee", "FollowupTask", "KpiTarget",
    "ListeningActivity", "Project", "SavedView", "Setting", "Supervisor", "SupervisionActivity",
    "SupervisorIssue", "SupervisorIssueRaiser", "SupervisorIssueUpdate", "SurveyResponse",
    "SurveyWave", "User",
]
