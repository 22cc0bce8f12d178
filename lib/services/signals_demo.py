"""Demo records of the risk signals (issue #26): a group complaint, a repeat household, an exposure text."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.models import Project
from lib.services import complaints
from lib.services.phone_hash import rehash

GROUP_TEXTS = ("楼上卫生间渗水，天花板发霉", "外墙渗水，雨后客厅墙面起皮", "阳台渗水，地板泡坏", "窗边渗水，墙纸脱落",
               "地下车库顶板渗水滴到车上", "主卧墙角渗水，已多次报修")


def seed_demo(*, session: Session, rng: random.Random, today: date) -> None:
    """The core demo's complaints were written in bulk: their phone hashes first, then the signals'
    own complaints through the complaint service (with their history and audit rows)."""
    rehash(session=session, only_missing=True)
    projects = session.scalars(select(Project).order_by(Project.id)).all()
    if len(projects) < 3:
        return
    group_project, home_project, loud_project = rng.sample(list(projects[:12]), 3)
    start = datetime.combine(today - timedelta(days=4), time(9, 0))
    for i, text in enumerate(GROUP_TEXTS):  # six within 50 hours: one group complaint (≥ 5 within 72 h)
        _log(session, group_project, start + timedelta(hours=10 * i), "housing_quality", text,
             f"1390000{1000 + i}")
    for days_ago in (70, 30, 2):  # the same household three times within 90 days
        _log(session, home_project, datetime.combine(today - timedelta(days=days_ago), time(10, 30)),
             "property_service", "楼下商铺油烟直排，影响生活", "13900008888")
    _log(session, loud_project, datetime.combine(today - timedelta(days=1), time(15, 0)), "delivery",
         "交房延期三个月无人解释，业主群准备联系媒体曝光，并请律师起诉开发商", "13900007777")


def _log(session: Session, project: Project, at: datetime, category: str, text: str, phone: str) -> None:
    complaints.create(complaints.NewComplaint(
        received_at=at, channel="hotline", project_id=project.id, category=category, responsible=True,
        severity="important", description=text, complainant_name="业主", complainant_phone=phone),
        session=session, actor="demo")
