"""Deterministic, realistic demo data for all four areas over at least two full years."""
from __future__ import annotations

import hashlib
import importlib
import json
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lib.db import reset_sequences
from lib.models import (
    Benchmark,
    Company,
    Complaint,
    ComplaintEvent,
    Employee,
    ListeningActivity,
    Project,
    SupervisionActivity,
    Supervisor,
    SupervisorIssue,
    SupervisorIssueRaiser,
    SupervisorIssueUpdate,
    SurveyResponse,
    SurveyWave,
)
from lib.services import targets
from lib.sla import due_times
from lib.vocab import LISTENING_ACTIVITY_TYPES, normalise_text

COMPANIES = [  # name, city, region
    ("深圳公司", "深圳", "华南"), ("广州公司", "广州", "华南"), ("上海公司", "上海", "华东"),
    ("杭州公司", "杭州", "华东"), ("南京公司", "南京", "华东"), ("北京公司", "北京", "华北"),
    ("天津公司", "天津", "华北"), ("成都公司", "成都", "西南"), ("重庆公司", "重庆", "西南"),
    ("武汉公司", "武汉", "华中"), ("西安公司", "西安", "西北"), ("沈阳公司", "沈阳", "东北"),
]
PROJECT_SUFFIXES = ["花园", "华府", "名邸", "公馆", "国际", "滨江", "广场", "中心", "雅苑", "天地"]
BUSINESS_LINE_CYCLE = ["property_management", "development", "property_management", "commercial",
                       "apartment", "development", "other"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉文斌浩宇欣怡晨辉鹏"
DEPARTMENTS = ["客户服务部", "工程管理部", "营销部", "物业服务中心", "综合管理部", "设计部", "财务部"]
COMPLAINT_TEXTS = {
    "housing_quality": ["外墙开裂", "卫生间渗水", "窗户密封不严", "地面空鼓", "墙面发霉"],
    "maintenance": ["报修后无人上门", "维修后问题复发", "电梯频繁故障", "水管爆裂维修慢"],
    "property_service": ["保洁不到位", "保安态度差", "垃圾清运不及时", "停车管理混乱"],
    "sales_contract": ["停车位纠纷", "合同条款争议", "宣传与实际不符", "退房退款慢"],
    "delivery": ["交付延期", "交付标准不符", "验房问题未整改"],
    "design_facilities": ["绿化缺失", "配套学校未落实", "车库照明不足", "儿童游乐设施缺失"],
    "decoration": ["装修噪音扰民", "装修垃圾堆放", "精装修材料与样板间不符"],
    "other": ["其他问题", "邻里纠纷协调", "快递柜不足"],
}
ISSUE_TEXTS = ["学籍问题", "交通出行不便", "园区绿化维护", "地库渗水", "门禁系统故障",
               "公共区域照明", "消防通道占用", "电梯维保记录", "食堂配套", "交付验房整改"]


@dataclass(frozen=True)
class SeedSummary:
    companies: int
    projects: int
    complaints: int
    survey_responses: int
    employees: int
    listening_activities: int
    supervisors: int
    supervision_activities: int
    supervisor_issues: int


def is_empty(*, session: Session) -> bool:
    return (session.scalar(select(func.count(Company.id))) or 0) == 0


def _weighted(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return rng.choice(["138", "139", "150", "186", "177", "199"]) + f"{rng.randrange(10**8):08d}"


def _at(day: date, rng: random.Random) -> datetime:
    # Most complaints arrive in office hours; a few at night.
    hour = rng.choices(range(24), weights=[1] * 7 + [4] * 12 + [2] * 5)[0]
    return datetime.combine(day, time(hour, rng.randrange(60)))


def _chunks(rows: list[dict], size: int = 5000):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _bulk(session: Session, model, rows: list[dict]) -> None:
    for chunk in _chunks(rows):
        session.execute(insert(model), chunk)


# Later features' demo records, added after the core data: "module:function" of a
# `fn(*, session, rng, today)` that is deterministic for its rng. One line per feature.
DEMO_EXTRAS: tuple[str, ...] = (
    "lib.services.followup_demo:seed_demo",
    "lib.services.checks:seed_demo",
    "lib.services.cases_demo:seed_demo",  # issue #25: typical cases, monthly unit reports
    "lib.services.signals_demo:seed_demo",
    "lib.text.demo:seed_demo",
)


def seed_demo(*, session: Session, complaints: int = 20_000, seed: int = 7,
              today: date | None = None, employees: int = 3_000,
              survey_per_month: int = 900) -> SeedSummary:
    """Fill an empty database; the same (seed, today) always gives the same data."""
    if not is_empty(session=session):
        raise RuntimeError("database is not empty; seed-demo only fills an empty database")
    today = today or date.today()
    rng = random.Random(seed)
    start = date(today.year - 2, 1, 1)
    projects = _seed_org(session, rng)
    n_complaints = _seed_complaints(session, rng, projects, complaints, start, today)
    n_responses = _seed_surveys(session, rng, projects, start, today, survey_per_month)
    n_emp, n_act = _seed_listening(session, rng, employees, start, today)
    n_sup, n_sa, n_iss = _seed_supervisors(session, rng, projects, start, today)
    targets.install_defaults(session=session, actor="demo")
    reset_sequences(session.connection())  # rows above were given explicit ids
    for name in DEMO_EXTRAS:  # later features' demo records, built on the rows above
        module, fn = name.split(":")
        getattr(importlib.import_module(module), fn)(session=session, rng=random.Random(seed), today=today)
    return SeedSummary(len(COMPANIES), len(projects), n_complaints, n_responses, n_emp, n_act,
                       n_sup, n_sa, n_iss)


def _seed_org(session: Session, rng: random.Random) -> list[dict]:
    projects: list[dict] = []
    k = 0
    for idx, (name, city, region) in enumerate(COMPANIES, start=1):
        session.add(Company(id=idx, name=name, city=city, region=region))
        for j in range(5 + (idx % 3 == 0)):
            k += 1
            pname = f"{city}{PROJECT_SUFFIXES[(idx + j) % len(PROJECT_SUFFIXES)]}{k:03d}"
            projects.append({"id": k, "company_id": idx, "name": pname, "name_norm": normalise_text(pname),
                             "city": city, "business_line": BUSINESS_LINE_CYCLE[k % len(BUSINESS_LINE_CYCLE)]})
    session.flush()
    _bulk(session, Project, projects)
    return projects


CHANNEL_W = {"hotline": 35, "wechat": 18, "mini_program": 15, "email": 5, "letter": 2, "visit": 10,
             "web_form": 7, "forum": 5, "other": 3}
CATEGORY_W = {"housing_quality": 20, "maintenance": 22, "property_service": 20, "sales_contract": 8,
              "delivery": 8, "design_facilities": 9, "decoration": 7, "other": 6}
SEVERITY_W = {"ordinary": 70, "important": 22, "urgent": 8}


def _seed_complaints(session, rng, projects, n, start, today) -> int:
    span = (today - start).days + 1
    now = datetime.combine(today, time(9, 0))
    rows, events = [], []
    for i in range(1, n + 1):
        # Volume grows a little over time: sample days with a gentle upward tilt.
        day = start + timedelta(days=min(span - 1, int(span * rng.random() ** 0.9)))
        received = _at(day, rng)
        project = rng.choice(projects)
        responsible = rng.random() < 0.75
        severity = _weighted(rng, SEVERITY_W) if responsible else None
        channel = _weighted(rng, CHANNEL_W)
        category = _weighted(rng, CATEGORY_W)
        due = due_times(received, channel, severity, responsible)
        age_days = (now - received).total_seconds() / 86400
        pm = project["business_line"] == "property_management"
        first_delay = rng.expovariate(1 / (0.8 if severity == "urgent" else 7))
        first_response = received + timedelta(hours=first_delay)
        if first_response > now:
            first_response = None
        mean_res = {"urgent": 14, "important": 50, None: 90, "ordinary": 90}[severity]
        resolved_at = received + timedelta(hours=rng.expovariate(1 / mean_res) + 1)
        unresolved_p = 0.01 if pm else 0.03
        status = "in_progress"
        if resolved_at > now or rng.random() < unresolved_p:
            resolved_at = None
            status = "received" if first_response is None else "in_progress"
        elif rng.random() < 0.012:
            status, resolved_at = "void", None
        else:
            status = "resolved"
        followup_at = followup_score = closed_at = None
        year_shift = (received.year - start.year) * 0.04
        if status == "resolved":
            followup_at = resolved_at + timedelta(hours=rng.uniform(12, 72))
            if followup_at < now and rng.random() < 0.93:
                status = "verified"
                followup_score = rng.choices([1, 2, 3, 4, 5], weights=[3, 5, 12, 35 - 10 * year_shift,
                                                                      45 + 10 * year_shift + 10 * year_shift])[0]
                closed_at = followup_at + timedelta(hours=rng.uniform(24, 96))
                if closed_at < now and age_days > 10:
                    status = "closed"
                else:
                    closed_at = None
            else:
                followup_at = None
        if first_response is not None and resolved_at is not None and first_response > resolved_at:
            first_response = resolved_at
        reopen = 1 if status not in ("void", "received") and rng.random() < 0.03 else 0
        escalation = rng.choices([0, 1, 2], weights=[88, 10, 2])[0]
        rows.append({
            "id": i, "ref": f"TS{received.year}{i:07d}", "received_at": received, "channel": channel,
            "project_id": project["id"], "business_line": project["business_line"],
            "category": category, "severity": severity, "responsible": responsible, "status": status,
            "description": rng.choice(COMPLAINT_TEXTS[category]), "complainant_name": _name(rng),
            "complainant_phone": _phone(rng), "first_response_at": first_response,
            "resolved_at": resolved_at, "followup_at": followup_at, "followup_score": followup_score,
            "closed_at": closed_at, "escalation_level": escalation, "reopen_count": reopen,
            "root_cause": "施工工艺问题" if category == "housing_quality" and resolved_at else None,
            "corrective_action": "加强交付前查验" if category == "housing_quality" and resolved_at else None,
            "assignee": "staff", "void_reason": "重复投诉" if status == "void" else None,
            "first_response_due_at": due.first_response_due_at, "resolution_due_at": due.resolution_due_at,
            "version": 1, "created_at": received, "updated_at": received,
        })
        events.append({"complaint_id": i, "at": received, "actor": "demo", "action": "create",
                       "changes": json.dumps({"status": [None, "received"]}), "note": None})
        if status != "received":
            events.append({"complaint_id": i, "at": resolved_at or first_response or received,
                           "actor": "demo", "action": "status",
                           "changes": json.dumps({"status": ["received", status]}), "note": None})
    _bulk(session, Complaint, rows)
    _bulk(session, ComplaintEvent, events)
    return len(rows)


def _score_on_scale(latent: float, scale: int) -> int:
    """latent in [0,1] → an answer on the scale's own points."""
    latent = min(max(latent, 0.0), 1.0)
    if scale == 5:
        return 1 + round(latent * 4)
    if scale == 10:
        return 1 + round(latent * 9)
    return round(latent * 10)


def _seed_surveys(session, rng, projects, start, today, per_month) -> int:
    touchpoints = ["signing_1m", "signing_6m", "delivery_1m", "delivery_6m", "delivery_2y",
                   "delivery_2y_plus", "commercial"]
    tp_base = {"signing_1m": 0.83, "signing_6m": 0.8, "delivery_1m": 0.74, "delivery_6m": 0.76,
               "delivery_2y": 0.78, "delivery_2y_plus": 0.79, "commercial": 0.81}
    vendors = [("零点调查", "phone", 5), ("赛惟咨询", "online", 11), ("新生代市场", "face_to_face", 10)]
    rows, wave_id, seen = [], 0, set()
    month = date(start.year, start.month, 1)
    while month <= today:
        next_month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        last = min(next_month - timedelta(days=1), today)
        years_in = (month - start).days / 365
        for vendor, method, scale in vendors:
            wave_id += 1
            session.add(SurveyWave(id=wave_id, vendor=vendor, method=method, period_start=month,
                                   period_end=last, source="demo", imported_by="demo"))
            for _ in range(per_month // len(vendors)):
                tp = rng.choice(touchpoints)
                project = rng.choice(projects)
                base = tp_base[tp] + 0.012 * years_in  # a little better every year
                latent = rng.gauss(base, 0.17)
                surveyed = month + timedelta(days=rng.randrange((last - month).days + 1))
                key = hashlib.sha256(f"{rng.random()}".encode()).hexdigest()[:16]
                if (key, tp, surveyed) in seen:
                    continue
                seen.add((key, tp, surveyed))

                def dim(shift: float, blank_p: float = 0.08, latent=latent, scale=scale):
                    if rng.random() < blank_p:
                        return None
                    return _score_on_scale(latent + shift + rng.gauss(0, 0.1), scale)

                rows.append({
                    "wave_id": wave_id, "respondent_key": key, "surveyed_on": surveyed,
                    "project_id": project["id"], "touchpoint": tp, "scale": scale,
                    "overall": _score_on_scale(latent, scale), "housing_quality": dim(-0.05),
                    "maintenance": dim(-0.02), "property_service": dim(0.02),
                    "complaint_handling": dim(-0.08, 0.4),
                    "recommend": None if rng.random() < 0.1 else _score_on_scale(latent + 0.03, 11),
                })
        month = next_month
    session.flush()
    _bulk(session, SurveyResponse, rows)
    # Industry averages (行业均值) as an admin would type them from a published industry survey.
    base = {"overall": 78.0, "housing_quality": 74.0, "maintenance": 76.5, "property_service": 79.0,
            "complaint_handling": 70.0}
    session.add_all([Benchmark(year=year, dimension=dim, value=round(value + 0.6 * (year - start.year), 1))
                     for year in range(start.year, today.year + 1) for dim, value in base.items()])
    session.flush()
    return len(rows)


def _seed_listening(session, rng, n_employees, start, today) -> tuple[int, int]:
    employees, activities = [], []
    types = list(LISTENING_ACTIVITY_TYPES)
    for i in range(1, n_employees + 1):
        joined = date(2010, 1, 1) + timedelta(days=rng.randrange((today - date(2010, 1, 1)).days))
        left = None
        if rng.random() < 0.12:
            left = joined + timedelta(days=rng.randrange(60, 3000))
            if left >= today:
                left = None
        mgmt = rng.random() < 0.15
        employees.append({"id": i, "employee_no": f"E{i:06d}", "name": _name(rng),
                          "company_id": 1 + (i % len(COMPANIES)), "department": rng.choice(DEPARTMENTS),
                          "is_management": mgmt, "joined_on": joined, "left_on": left})
        for year in range(start.year, today.year + 1):
            y0, y1 = max(date(year, 1, 1), joined), min(date(year, 12, 31), left or today, today)
            if y1 < y0:
                continue
            # Participation a little higher for management, as in the seed document (53.5% vs 45%).
            if rng.random() >= (0.535 if mgmt else 0.45):
                continue
            for _ in range(rng.choices([1, 2, 3, 6], weights=[50, 25, 15, 10])[0]):
                day = y0 + timedelta(days=rng.randrange((y1 - y0).days + 1))
                finding = rng.choice(ISSUE_TEXTS) if rng.random() < 0.2 else None
                activities.append({"employee_id": i, "activity_date": day,
                                   "activity_type": rng.choice(types), "finding": finding})
    _bulk(session, Employee, employees)
    _bulk(session, ListeningActivity, activities)
    return len(employees), len(activities)


def _seed_supervisors(session, rng, projects, start, today) -> tuple[int, int, int]:
    supervisors, activities, issues, raisers, updates = [], [], [], [], []
    sid = 0
    for p in projects:
        for _ in range(rng.randint(3, 7)):
            sid += 1
            joined = start - timedelta(days=rng.randrange(0, 900))
            left = joined + timedelta(days=rng.randrange(400, 1400)) if rng.random() < 0.25 else None
            supervisors.append({"id": sid, "supervisor_no": f"S{sid:05d}", "name": _name(rng),
                                "project_id": p["id"], "term": 10 + (joined.year - 2020),
                                "joined_on": joined, "left_on": left if left and left < today else None,
                                "phone": _phone(rng)})
    span = (today - start).days
    types = {"site_inspection": 40, "meeting": 20, "delivery_inspection": 20, "community_walk": 15, "other": 5}
    for aid in range(1, 260):
        p = rng.choice(projects)
        activities.append({"id": aid, "activity_date": start + timedelta(days=rng.randrange(span)),
                           "project_id": p["id"], "activity_type": _weighted(rng, types),
                           "participants": rng.randint(5, 40), "note": None})
    for iid in range(1, 701):
        raised = start + timedelta(days=rng.randrange(span))
        sup = rng.choice(supervisors)
        due = raised + timedelta(days=15)
        age = (today - raised).days
        status = "closed"
        if age < 20:
            status = rng.choice(["open", "acknowledged", "in_progress", "resolved", "feedback_given"])
        elif rng.random() < 0.08:
            status = rng.choice(["in_progress", "resolved", "feedback_given", "acknowledged"])
        resolved = None
        if status in ("resolved", "feedback_given", "closed"):
            resolved = min(raised + timedelta(days=rng.randint(2, 25)), today)
        closed = resolved + timedelta(days=rng.randint(1, 5)) if status == "closed" else None
        if closed and closed > today:
            closed = today
        score = rng.choices([2, 3, 4, 5], weights=[5, 15, 40, 40])[0] if status in ("feedback_given", "closed") else None
        issues.append({"id": iid, "ref": f"JD{raised.year}{iid:05d}", "source": "supervisor",
                       "raised_on": raised, "activity_id": None, "project_id": sup["project_id"],
                       "category": _weighted(rng, CATEGORY_W), "description": rng.choice(ISSUE_TEXTS),
                       "responsible_party": rng.choices(["property", "development", "third_party"], weights=[50, 35, 15])[0],
                       "first_responder": "staff", "due_on": due, "status": status,
                       "resolved_on": resolved, "closed_on": closed, "feedback_score": score,
                       "version": 1, "created_at": datetime.combine(raised, time(10)),
                       "updated_at": datetime.combine(raised, time(10))})
        raisers.append({"issue_id": iid, "supervisor_id": sup["id"], "position": 0})
        updates.append({"issue_id": iid, "at": datetime.combine(raised, time(10)), "actor": "demo",
                        "action": "create", "note": "监督员反馈", "told_supervisor": None,
                        "changes": json.dumps({"status": [None, status]})})
    _bulk(session, Supervisor, supervisors)
    _bulk(session, SupervisionActivity, activities)
    _bulk(session, SupervisorIssue, issues)
    _bulk(session, SupervisorIssueRaiser, raisers)
    _bulk(session, SupervisorIssueUpdate, updates)
    return len(supervisors), len(activities), len(issues)
