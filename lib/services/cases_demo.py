"""Demo records of issue #25 items 2 and 4 (seed.DEMO_EXTRAS): typical cases with preventive actions in the
tracker, some closed; the last two months' unit reports, some on time, one late, one returned."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.models import Company, Complaint, Project
from lib.services import cases, issues, unit_reports
from lib.services.seed import DEPARTMENTS
from lib.vocab import label

TAGS = {"housing_quality": ("渗漏", "开裂", "交付"), "maintenance": ("维修时效", "返修"),
        "property_service": ("服务态度", "安保"), "sales_contract": ("合同", "承诺兑现"), "delivery": ("交付", "延期"),
        "design_facilities": ("配套", "设计缺陷"), "decoration": ("装修质量",), "other": ("沟通",)}
ACTIONS = ("制定专项检查清单并培训一线人员", "将该问题纳入交付前联合验收", "建立重复投诉预警与周例会通报",
           "修订供应商考核条款", "开展同类项目全面排查")
LIFECYCLE = ("acknowledged", "in_progress", "resolved", "feedback_given", "closed")
ACTOR = "staff"  # the demo's group staff account (lib.services.demo.DEMO_ACCOUNTS)


def seed_demo(*, session: Session, rng: random.Random, today: date) -> None:
    _cases(session, rng, today)
    _unit_reports(session, rng, today)


def _cases(session: Session, rng: random.Random, today: date) -> None:
    since = datetime.combine(today - timedelta(days=240), time.min)
    pool = session.execute(select(Complaint.ref, Complaint.category, Complaint.resolved_at, Project.name)
                           .join(Project, Project.id == Complaint.project_id)
                           .where(Complaint.status.in_(("verified", "closed")), Complaint.responsible.is_(True),
                                  Complaint.received_at >= since, Complaint.resolved_at.is_not(None))
                           .order_by(Complaint.id)).all()
    for ref, category, resolved_at, project in rng.sample(pool, min(14, len(pool))):
        marked = min(today, resolved_at.date() + timedelta(days=rng.randint(1, 10)))
        what = label("category", category, "zh")
        review = cases.Review(
            what_happened=f"{project}业主反映{what}问题，首次处理未解决，业主多次来电并升级投诉。",
            root_cause=rng.choice(("施工工艺不达标且验收未发现", "维修派单与回访脱节", "承诺事项未书面交底",
                                   "供应商材料质量不稳定")),
            lessons=rng.choice(("同类问题须在交付前专项排查", "首次处理必须查明原因再关闭", "对业主承诺须留痕并跟踪兑现")),
            tags=list(rng.sample(TAGS.get(category, ("沟通",)), min(2, len(TAGS.get(category, ("沟通",)))))),
            actions=[cases.Action(text, rng.choice(DEPARTMENTS), marked + timedelta(days=rng.choice((30, 45, 60))),
                                  ACTOR) for text in rng.sample(ACTIONS, rng.randint(1, 3))])
        cases.mark_typical(ref, review, session=session, actor=ACTOR, on=marked)
        _, actions = cases.detail(ref, session=session)
        age = (today - marked).days
        for i, action_ref in enumerate(actions["ref"]):
            # older cases' actions are carried to closure; newer ones part of the way
            steps = len(LIFECYCLE) if age > 45 else min(len(LIFECYCLE) - 1, (age // 10) + i)
            for k, status in enumerate(LIFECYCLE[:steps]):
                issues.transition(action_ref, status, session=session, actor=ACTOR, role="staff", version=None,
                                  on=min(today, marked + timedelta(days=3 + 5 * k)),
                                  told="已向投诉人与公司通报整改结果" if status == "feedback_given" else None,
                                  note="按计划推进")


def _unit_reports(session: Session, rng: random.Random, today: date) -> None:
    last = unit_reports.previous_month(today)
    before = unit_reports.previous_month(date.fromisoformat(f"{last}-01"))
    names = list(session.scalars(select(Company.name).order_by(Company.id)))
    due = unit_reports.due_on(before, session=session)
    start_of_last = date.fromisoformat(f"{last}-01")
    for i, name in enumerate(names):  # the month before last: everyone in, one late, one returned
        day = due + timedelta(days=1) if i == 3 else start_of_last + timedelta(days=rng.randint(4, 24))
        at = datetime.combine(min(day, today), time(10, rng.randint(0, 59)))
        unit_reports.submit(name, before, analysis=f"{before}{name}投诉量与上月持平，维修类占比最高，主要集中在老旧项目。",
                            actions="维修类投诉专项督办；重点项目每周回访。", session=session, actor=ACTOR, now=at)
        if i == 1:
            unit_reports.return_report(name, before, comment="请补充重复投诉的原因分析与整改时限。", session=session,
                                       actor="admin", now=at + timedelta(days=2))
    this_month = date(today.year, today.month, 1)
    for i, name in enumerate(names[: len(names) // 2]):  # last month: half submitted so far
        day = this_month + timedelta(days=rng.randint(0, max(0, min(today.day, 27) - 1)))
        unit_reports.submit(name, last, analysis=f"{last}{name}投诉分析：响应及时率提升，交付类投诉上升。",
                            actions="交付前联合验收；交付类投诉周报。", session=session, actor=ACTOR,
                            now=datetime.combine(day, time(9 + i % 8, 0)))
