"""Demo follow-ups (seed.DEMO_EXTRAS): contact phones and vendor case ids on the demo answers, and a task
for every low answer, in the states a running team leaves them: old ones closed (most on time, some
late, recovered or not), recent ones open, a few overdue."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lib.db import insert_columns, utcnow
from lib.models import FollowupTask, SurveyResponse, SurveyWave
from lib.services import followups

CAUSES = ["报修后维修人员迟迟未上门", "物业前台服务态度差", "交付验房问题至今未整改", "园区夜间噪音扰民",
          "地库停车管理混乱", "公共区域设施损坏无人处理", "投诉处理结果未告知业主"]
ACTIONS = ["工程部上门复查并限期整改", "物业经理致电致歉并每周跟进", "协调维修班组三日内完成维修",
           "纳入项目月度服务改进计划", "安排专人回复处理进展"]
R = SurveyResponse


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10 ** 9):09d}"


def seed_demo(*, session: Session, rng: random.Random, today: date) -> None:
    rule = followups.rules(session=session)
    answers = session.execute(select(R.id, R.scale, R.overall, R.recommend, R.surveyed_on, SurveyWave.vendor)
                              .join(SurveyWave, SurveyWave.id == R.wave_id).order_by(R.id)).all()
    contacts, tasks = [], {name: [] for name in ("response_id", "trigger", "opened_at", "due_on", "contacted",
                                                 "contacted_at", "cause", "action", "outcome", "closed_at",
                                                 "closed_by", "updated_by", "updated_at", "version")}
    for a in answers:
        why = followups.trigger(rule, a.scale, a.overall, a.recommend)
        # most dissatisfied respondents agree to a call back; a few satisfied ones leave a number too
        if rng.random() < (0.75 if why else 0.04):
            contacts.append({"id": a.id, "contact_phone": _phone(rng),
                             "vendor_case_id": f"{(a.vendor or 'V')[:2]}-{a.surveyed_on:%Y%m}-{a.id:06d}"})
        if why:
            _task(tasks, rng, a, why, rule.due_days, today)
    if contacts:
        session.execute(update(R), contacts)
    if tasks["response_id"]:
        insert_columns(session, FollowupTask.__table__, tasks, ids=True)
    session.flush()


def _task(tasks: dict[str, list], rng: random.Random, answer, why: str, due_days: int, today: date) -> None:
    opened_on = min(answer.surveyed_on + timedelta(days=rng.randint(1, 6)), today)  # the vendor's file arrives
    opened = datetime.combine(opened_on, time(9, rng.randrange(60)))
    due = opened_on + timedelta(days=due_days)
    age = (today - opened_on).days
    contacted = closed = None
    outcome = cause = action = None
    if age > rng.randint(2, 12) and rng.random() < (0.97 if age > 45 else 0.7):  # closed; about one in six late
        closed_on = min(opened_on + timedelta(days=rng.randint(1, due_days) if rng.random() < 0.83
                                              else rng.randint(due_days + 1, due_days + 12)), today - timedelta(days=1))
        closed = datetime.combine(closed_on, time(rng.randint(9, 17), rng.randrange(60)))
        reached = rng.random() < 0.88
        contacted = closed - timedelta(hours=rng.randint(1, 6)) if reached else None
        outcome = "recovered" if reached and rng.random() < 0.58 else "not_recovered"
        cause = rng.choice(CAUSES) if reached else None
        action = rng.choice(ACTIONS) if reached else None
    elif age >= 1 and rng.random() < 0.4:  # reached, still being handled
        contacted = opened + timedelta(hours=rng.randint(1, 5))
        cause = rng.choice(CAUSES)
    tasks["response_id"].append(answer.id)
    tasks["trigger"].append(why)
    tasks["opened_at"].append(opened)
    tasks["due_on"].append(due)
    tasks["contacted"].append(contacted is not None)
    tasks["contacted_at"].append(contacted)
    tasks["cause"].append(cause)
    tasks["action"].append(action)
    tasks["outcome"].append(outcome)
    tasks["closed_at"].append(closed)
    tasks["closed_by"].append("demo" if closed else None)
    tasks["updated_by"].append("demo")
    tasks["updated_at"].append(utcnow())
    tasks["version"].append(1)
