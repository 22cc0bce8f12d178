"""Dissatisfied-respondent follow-up (不满意样本回访, SPEC §14, issue #25 item 3).

A survey answer whose overall score is in the two lowest categories of its scale, or whose recommend
is 0–6 (thresholds: settings `followup_overall_max`, `followup_recommend_max`), opens ONE task for
its project. Readings taken here, where SPEC §14 leaves a choice:

- When: the task opens when the answer reaches the database (the survey import, `open_tasks`), and is
  due `followup_due_days` (7) days after that day, not after `surveyed_on`: HQ cannot call before the
  vendor's file arrives, and a file delivered a week after the interviews would otherwise open tasks
  already overdue. The KPIs still date a task by its answer's `surveyed_on` (lib.kpis.followups).
- Exactly one: `followup_task.response_id` is unique and an answer is identified by its natural key
  (respondent_key, touchpoint, surveyed_on), so re-importing a file finds its answers and their tasks
  and opens none. An answer without a task that a re-import makes low opens one then; a task once
  opened stays (records are kept), whatever a later file says of its answer.
- Every low answer opens a task, with or without a contact phone: the vendor can call back through
  its own case id (`vendor_case_id`).
- Closing is recording the outcome (recovered / not recovered): `closed_at` is that moment. "Recovered"
  needs the respondent contacted; a contacted respondent's task closes with a cause.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Table, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from lib import scope
from lib.db import among, insert_columns, local_now, utcnow
from lib.errors import Conflict, NotFound, ValidationFailed
from lib.kpis import surveys as survey_kpis
from lib.kpis.common import KpiFilter
from lib.models import Company, FollowupTask, Project, SurveyResponse, SurveyWave
from lib.services import audit, settings

T, R = FollowupTask, SurveyResponse
OUTCOMES = ("recovered", "not_recovered")
TRIGGERS = ("overall", "recommend", "both")
VIEWS = ("open", "overdue", "closed", "all")
LIST_LIMIT = 500
TEXT_LIMIT = 2000


@dataclass(frozen=True)
class Rules:
    overall_max: dict[int, float]  # scale → highest overall score that opens a task
    recommend_max: int
    due_days: int


def rules(*, session: Session) -> Rules:
    overall = settings.get("followup_overall_max", session=session)
    return Rules({int(k): float(v) for k, v in overall.items()},
                 int(settings.get("followup_recommend_max", session=session)),
                 int(settings.get("followup_due_days", session=session)))


def trigger(rule: Rules, scale: int | None, overall: float | None, recommend: int | None) -> str | None:
    """Why an answer opens a task ("overall", "recommend" or "both"), or None when it does not."""
    low = overall is not None and scale in rule.overall_max and overall <= rule.overall_max[scale]
    detractor = recommend is not None and recommend <= rule.recommend_max
    if low and detractor:
        return "both"
    return "overall" if low else "recommend" if detractor else None


def open_tasks(session: Session, answers: list[tuple[int, int, float, int | None]], *, rule: Rules,
               opened_at: datetime | None = None,
               insert: Callable[[Table, dict[str, list[Any]]], list[int]] | None = None) -> int:
    """A task for each of `answers` (id, scale, overall, recommend) that is low and has none yet; returns
    how many were opened. `insert`: the import's journaled bulk insert (a failed import takes them back)."""
    low = {rid: why for rid, scale, overall, recommend in answers
           if (why := trigger(rule, scale, overall, recommend)) is not None}
    if not low:
        return 0
    have = set(session.scalars(select(T.response_id).where(among(session, T.response_id, list(low)))))
    new = [rid for rid in low if rid not in have]
    if not new:
        return 0
    opened_at = opened_at or local_now()
    n = len(new)
    columns = {"response_id": new, "trigger": [low[rid] for rid in new], "opened_at": [opened_at] * n,
               "due_on": [opened_at.date() + timedelta(days=rule.due_days)] * n, "contacted": [False] * n,
               "updated_at": [utcnow()] * n, "version": [1] * n}
    if insert is None:
        insert_columns(session, T.__table__, columns, ids=True)
    else:
        insert(T.__table__, columns)
    return n


# ---- reading ---------------------------------------------------------------------------------
def _joined():
    return T.__table__.join(survey_kpis.joined(), R.id == T.response_id)


def _view(view: str, today: date) -> list:
    if view == "open":
        return [T.closed_at.is_(None)]
    if view == "overdue":
        return [T.closed_at.is_(None), T.due_on < today]
    if view == "closed":
        return [T.closed_at.is_not(None)]
    return []


QUEUE_COLUMNS = ["id", "status", "surveyed_on", "company", "project", "touchpoint", "scale", "overall",
                 "recommend", "trigger", "contact_phone", "vendor_case_id", "opened_at", "due_on", "contacted",
                 "contacted_at", "outcome", "closed_at"]


def queue(flt: KpiFilter, *, session: Session, view: str = "open", today: date | None = None,
          limit: int = LIST_LIMIT) -> pd.DataFrame:
    """The tasks of answers surveyed in the filter's period (and scope), most urgent first: due date,
    then answer day. Contact phones as stored: pages mask them (lib.privacy)."""
    today = today or local_now().date()
    if view not in VIEWS:
        raise ValidationFailed("err_fields", fields="view")
    stmt = (select(T.id, T.closed_at, T.due_on, R.surveyed_on, Company.name.label("company"),
                   Project.name.label("project"), R.touchpoint, R.scale, R.overall, R.recommend, T.trigger,
                   R.contact_phone, R.vendor_case_id, T.opened_at, T.contacted, T.contacted_at, T.outcome)
            .select_from(_joined()).where(*survey_kpis.conditions(flt), *_view(view, today))
            .order_by(T.due_on, R.surveyed_on, T.id).limit(limit))
    rows = [dict(r) for r in session.execute(stmt).mappings()]
    for r in rows:
        r["status"] = status(r["closed_at"], r["due_on"], today)
    return pd.DataFrame(rows, columns=QUEUE_COLUMNS)


def status(closed_at: datetime | None, due_on: date, today: date) -> str:
    if closed_at is not None:
        return "closed_on_time" if closed_at.date() <= due_on else "closed_late"
    return "overdue" if due_on < today else "open"


def _load(session: Session, task_id: int, reach: scope.Reach | None) -> tuple[FollowupTask, SurveyResponse]:
    task = session.get(T, task_id)
    if task is None:
        raise NotFound("err_not_found", what=f"#{task_id}")
    answer = session.get(R, task.response_id)
    if reach is not None and not reach.is_group and answer.project_id not in reach.projects:
        raise scope.OutOfScope("err_record_out_of_scope", ref=f"#{task_id}")
    return task, answer


def detail(task_id: int, *, session: Session, reach: scope.Reach | None = None,
           today: date | None = None) -> dict[str, Any]:
    """One task with its answer (no respondent key), or OutOfScope outside the reader's reach."""
    task, answer = _load(session, task_id, reach)
    project = session.get(Project, answer.project_id)
    wave = session.get(SurveyWave, answer.wave_id)
    today = today or local_now().date()
    return {"id": task.id, "version": task.version, "status": status(task.closed_at, task.due_on, today),
            "company": session.get(Company, project.company_id).name, "project": project.name,
            "surveyed_on": answer.surveyed_on, "touchpoint": answer.touchpoint, "scale": answer.scale,
            "overall": answer.overall, "recommend": answer.recommend, "vendor": wave.vendor if wave else None,
            "contact_phone": answer.contact_phone, "vendor_case_id": answer.vendor_case_id,
            "trigger": task.trigger, "opened_at": task.opened_at, "due_on": task.due_on,
            "contacted": task.contacted, "contacted_at": task.contacted_at, "cause": task.cause,
            "action": task.action, "outcome": task.outcome, "closed_at": task.closed_at,
            "closed_by": task.closed_by, "updated_by": task.updated_by}


# ---- recording -------------------------------------------------------------------------------
def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def record(task_id: int, *, session: Session, actor: str, version: int | None, contacted: bool,
           contacted_at: datetime | None, cause: str | None, action: str | None, outcome: str | None,
           reach: scope.Reach | None = None) -> dict[str, list]:
    """Save what the call found; an outcome closes the task (now). A closed task is not edited again.
    Refused whole, with the fields named, when a rule fails. Audited; returns the changes."""
    task, answer = _load(session, task_id, reach)
    if version is not None and task.version != version:
        raise Conflict("err_conflict", what=f"#{task_id}")
    if task.closed_at is not None:
        raise ValidationFailed("fu_err_closed", task=task_id)
    now = local_now()
    cause, action = _text(cause), _text(action)
    problems = []
    if contacted and (contacted_at is None or contacted_at > now or contacted_at.date() < answer.surveyed_on):
        problems.append("fu_contacted_at")
    if outcome is not None and outcome not in OUTCOMES:
        problems.append("fu_outcome")
    if outcome == "recovered" and not contacted:
        problems.append("fu_contacted")
    if outcome is not None and contacted and cause is None:
        problems.append("fu_cause")
    if any(v is not None and len(v) > TEXT_LIMIT for v in (cause, action)):
        problems.append("fu_cause" if cause and len(cause) > TEXT_LIMIT else "fu_action")
    if problems:
        raise ValidationFailed("err_fields", fields=", ".join(dict.fromkeys(problems)))
    values = {"contacted": bool(contacted), "contacted_at": contacted_at if contacted else None,
              "cause": cause, "action": action, "outcome": outcome}
    if outcome is not None:
        values |= {"closed_at": now, "closed_by": actor}
    changes = {}
    for name, value in values.items():
        if getattr(task, name) != value:
            changes[name] = [None if getattr(task, name) is None else str(getattr(task, name)),
                             None if value is None else str(value)]
            setattr(task, name, value)
    if not changes:
        return {}
    task.updated_by = actor
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict("err_conflict", what=f"#{task_id}") from exc
    audit.record(session=session, actor=actor, action="followup_close" if outcome else "followup_update",
                 entity="followup_task", entity_id=task_id, detail={"changes": changes})
    return changes
