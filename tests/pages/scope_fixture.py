"""A small hand-built group for the scope matrix (SPEC §11): four companies in three regions, each with
its own distinctive marker strings (names, projects, refs, complainants, supervisors, employees,
texts) and figures (complaint counts, activity participants), so that anything of one company
reaching a user scoped to another is found by a plain substring scan.

    region 华南片区: 甲辰公司 (甲城: 甲辰花园, 甲辰雅苑) · 乙巳公司 (乙城: 乙巳华府)
    region 华东片区: 丙午公司 (丙城: 丙午名邸, 丙午公馆)
    region 华北片区: 丁未公司 (丁城: 丁未广场)
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from lib import scope
from lib.db import local_now
from lib.models import (
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
from lib.privacy import mask_name, mask_phone
from lib.services import targets, users
from lib.sla import due_times

# The data lie between 1 January and yesterday: inside the period every page opens on (year to date).
LATEST = local_now().date() - timedelta(days=1)
START = date(LATEST.year, 1, 1)
YEAR = LATEST.year
# The monthly report is asked for a month with records in it (every seventh day has some).
REPORT_MONTH = f"{max(START, LATEST - timedelta(days=20)):%Y-%m}"

# company, city, region, code (digit used in refs and phones), projects: (name, complaints, participants)
COMPANIES = (
    ("甲辰公司", "甲城", "华南片区", 1, (("甲辰花园", 17, 4711), ("甲辰雅苑", 6, 4722))),
    ("乙巳公司", "乙城", "华南片区", 2, (("乙巳华府", 31, 5811),)),
    ("丙午公司", "丙城", "华东片区", 3, (("丙午名邸", 37, 6911), ("丙午公馆", 11, 6922))),
    ("丁未公司", "丁城", "华北片区", 4, (("丁未广场", 59, 7911),)),
)
# Surnames unique per company (the masked form 甲** keeps the first character).
SURNAME = {1: "甲", 2: "乙", 3: "丙", 4: "丁"}
EMPLOYEES = 3  # per company
SURVEYS = {1: 12, 2: 14, 3: 16, 4: 18}  # responses per project, for each company's projects
PASSWORD = "scope-pass-1"

# username -> (role, scope entries); "_en" twins store English as their language.
USERS = {
    "grp_staff": ("staff", ["group"]),
    "reg_exec": ("executive", ["region:华南片区"]),
    "co_staff": ("staff", ["company:丙午公司"]),
    "co_exec": ("executive", ["company:丙午公司"]),
    "prj_staff": ("staff", ["project:甲辰公司/甲辰花园"]),
}
SCOPED = ("reg_exec", "co_staff", "co_exec", "prj_staff")


@dataclass
class Marker:
    text: str
    company: str
    project: str | None  # None: belongs to the company as a whole
    kind: str  # org (names a filter may show), project (a project's records), whole (the company's employees)
    number: bool = False  # a figure: found only as a whole number (4711 or 4,711), not inside another


@dataclass
class Fixture:
    url: str
    markers: list[Marker] = field(default_factory=list)
    complaint_refs: dict[str, list[str]] = field(default_factory=dict)  # project -> refs
    issue_refs: dict[str, list[str]] = field(default_factory=dict)  # project -> refs
    complaints: dict[str, int] = field(default_factory=dict)  # project -> complaints this year

    def project_company(self) -> dict[str, str]:
        return {p[0]: c[0] for c in COMPANIES for p in c[4]}

    def visible(self, username: str) -> tuple[set[str], set[str]]:
        """(projects, whole companies) the user's scope covers, computed by hand from USERS."""
        entries = USERS[username.removesuffix("_en")][1]
        if entries == ["group"]:
            return {p[0] for c in COMPANIES for p in c[4]}, {c[0] for c in COMPANIES}
        whole, projects = set(), set()
        for entry in entries:
            kind, _, name = entry.partition(":")
            for cname, _city, region, _code, plist in COMPANIES:
                if (kind == "region" and region == name) or (kind == "company" and cname == name):
                    whole.add(cname)
                    projects |= {p[0] for p in plist}
            if kind == "project":
                projects.add(name.split("/", 1)[1])
        return projects, whole

    def split(self, username: str) -> tuple[list[Marker], list[Marker]]:
        """(markers the user must never see, markers the user may see)."""
        projects, whole = self.visible(username)
        companies_reached = {self.project_company()[p] for p in projects} | whole
        regions_reached = {c[2] for c in COMPANIES if c[0] in companies_reached}
        allowed, forbidden = [], []
        for m in self.markers:
            if m.kind == "org":
                ok = m.company in companies_reached if m.project is None else m.project in projects
            elif m.kind == "region":
                ok = m.text in regions_reached
            elif m.kind == "whole":
                ok = m.company in whole
            else:
                ok = m.project in projects
            (allowed if ok else forbidden).append(m)
        return forbidden, allowed

    def complaint_count(self, username: str) -> int:
        projects, _ = self.visible(username)
        return sum(self.complaints[p] for p in projects)

    def first_ref(self, username: str) -> str:
        projects, _ = self.visible(username)
        return sorted(r for p in projects for r in self.complaint_refs[p])[0]

    def outside_ref(self, username: str) -> str:
        projects, _ = self.visible(username)
        return sorted(r for p, refs in self.complaint_refs.items() if p not in projects for r in refs)[0]

    def first_issue(self, username: str) -> str:
        projects, _ = self.visible(username)
        return sorted(r for p in projects for r in self.issue_refs[p])[0]

    def outside_issue(self, username: str) -> str:
        projects, _ = self.visible(username)
        return sorted(r for p, refs in self.issue_refs.items() if p not in projects for r in refs)[0]


def _day(k: int) -> date:
    """Spread back from yesterday over the year so far (k = 0: yesterday, in the report's month)."""
    return LATEST - timedelta(days=(k * 7) % ((LATEST - START).days + 1))


def build(session: Session, url: str) -> Fixture:
    fx = Fixture(url)
    add = fx.markers.append
    for cname, city, region, code, plist in COMPANIES:
        company = Company(name=cname, city=city, region=region)
        session.add(company)
        session.flush()
        add(Marker(cname, cname, None, "org"))
        add(Marker(city, cname, None, "org"))
        add(Marker(region, cname, None, "region"))
        for j, (pname, n_complaints, participants) in enumerate(plist, start=1):
            project = Project(company_id=company.id, name=pname, name_norm=pname, city=city,
                              business_line="property_management" if j == 1 else "development")
            session.add(project)
            session.flush()
            add(Marker(pname, cname, pname, "org"))
            pcode = f"{code}{j}"
            _complaints(session, fx, project, pname, code, j, n_complaints)
            _supervision(session, fx, project, pname, code, j, participants)
            _surveys(session, project, pcode, SURVEYS[code])
        _listening(session, fx, company, cname, code)
    targets.install_defaults(session=session, actor="fixture")
    for username, (role, entries) in USERS.items():
        for suffix, language in (("", "zh"), ("_en", "en")):
            users.add_user(session=session, username=username + suffix, role=role, name=f"{username}{suffix}",
                           password=PASSWORD, language=language, scope=scope.parse(entries))
    session.flush()
    return fx


def _complaints(session, fx: Fixture, project: Project, pname: str, code: int, j: int, n: int) -> None:
    add = fx.markers.append
    refs = []
    name = f"{SURNAME[code]}{'春夏秋冬'[j - 1]}荣"  # e.g. 甲春荣
    phone = f"1370000{code}{j}0{j}"  # 11 digits, unique per project
    description = f"{pname}外墙渗水描述"
    for marker in (name, phone, mask_phone(phone), description):
        add(Marker(marker, project_company(code), pname, "project"))
    # masked names keep only the surname, which every project of the company shares
    add(Marker(mask_name(name), project_company(code), None, "org"))
    for k in range(n):
        received = datetime.combine(_day(k + 3 * code + j), time(9 + k % 8, 15))
        ref = f"TS{received:%Y%m%d}{code}{j}{k:02d}"
        refs.append(ref)
        add(Marker(ref, project_company(code), pname, "project"))
        responsible = k % 4 != 3
        severity = ("ordinary", "important", "urgent")[k % 3] if responsible else None
        due = due_times(received, "hotline", severity, responsible)
        status = ("received", "in_progress", "resolved", "closed")[k % 4]
        resolved = received + timedelta(hours=30) if status in ("resolved", "closed") else None
        complaint = Complaint(
            ref=ref, received_at=received, channel="hotline", project_id=project.id,
            business_line=project.business_line, category=("maintenance", "housing_quality")[k % 2],
            severity=severity, responsible=responsible, status=status, description=description,
            complainant_name=name, complainant_phone=phone,
            first_response_at=received + timedelta(hours=2) if status != "received" else None,
            resolved_at=resolved, closed_at=resolved + timedelta(days=2) if status == "closed" else None,
            followup_at=resolved + timedelta(days=1) if status == "closed" else None,
            followup_score=4 if status == "closed" else None, escalation_level=1 if k % 5 == 0 else 0,
            reopen_count=0, root_cause=f"{pname}原因分析" if resolved else None,
            corrective_action=f"{pname}纠正措施" if resolved else None, assignee="grp_staff",
            first_response_due_at=due.first_response_due_at, resolution_due_at=due.resolution_due_at,
            version=1, created_at=received, updated_at=received)
        session.add(complaint)
        session.flush()
        session.add(ComplaintEvent(complaint_id=complaint.id, at=received, actor="fixture", action="create",
                                   changes=json.dumps({"status": [None, "received"]}), note=f"{pname}受理备注"))
    add(Marker(f"{pname}原因分析", project_company(code), pname, "project"))
    fx.complaint_refs[pname] = refs
    fx.complaints[pname] = n


def project_company(code: int) -> str:
    return next(c[0] for c in COMPANIES if c[3] == code)


def _supervision(session, fx: Fixture, project: Project, pname: str, code: int, j: int, participants: int) -> None:
    add = fx.markers.append
    cname = project_company(code)
    sups = []
    for s in range(2):
        name = f"{SURNAME[code]}{'东西'[s]}{'甲乙丙'[j]}督"  # e.g. 甲东乙督
        phone = f"1390000{code}{j}{s}7"  # the masked form keeps the last four: company, project, seat
        sup = Supervisor(supervisor_no=f"SV{code}{j}{s}", name=name, project_id=project.id, term=12,
                         joined_on=date(YEAR - 1, 3, 1), phone=phone)
        session.add(sup)
        sups.append(sup)
        for marker in (name, phone, mask_phone(phone)):
            add(Marker(marker, cname, pname, "project"))
        add(Marker(mask_name(name), cname, None, "org"))
    session.flush()
    activity = SupervisionActivity(activity_date=_day(code * 3 + j), project_id=project.id,
                                   activity_type="site_inspection", participants=participants,
                                   note=f"{pname}巡检备注")
    session.add(activity)
    add(Marker(f"{pname}巡检备注", cname, pname, "project"))
    add(Marker(str(participants), cname, pname, "project", number=True))
    refs = []
    for i in range(2):
        raised = _day(code * 5 + j + i * 9)
        ref = f"JD{YEAR}{code}{j}{i:03d}"
        description = f"{pname}监督问题{'一二'[i]}"
        issue = SupervisorIssue(
            ref=ref, source="supervisor", raised_on=raised, project_id=project.id, category="maintenance",
            description=description, responsible_party="property",
            first_responder="co_staff" if code == 3 else "grp_staff", due_on=raised + timedelta(days=15),
            status=("open", "closed")[i], resolved_on=raised + timedelta(days=5) if i else None,
            closed_on=raised + timedelta(days=6) if i else None, feedback_score=5 if i else None, version=1,
            created_at=datetime.combine(raised, time(10)), updated_at=datetime.combine(raised, time(10)))
        session.add(issue)
        session.flush()
        session.add(SupervisorIssueRaiser(issue_id=issue.id, supervisor_id=sups[i].id, position=0))
        session.add(SupervisorIssueUpdate(issue_id=issue.id, at=datetime.combine(raised, time(10)), actor="fixture",
                                          action="create", note=f"{pname}问题记录",
                                          changes=json.dumps({"status": [None, issue.status]})))
        refs.append(ref)
        add(Marker(ref, cname, pname, "project"))
        add(Marker(description, cname, pname, "project"))
    fx.issue_refs[pname] = refs


def _surveys(session, project: Project, pcode: str, n: int) -> None:
    wave = SurveyWave(vendor="调查公司", method="phone", period_start=START, period_end=LATEST,
                      source="fixture", imported_by="fixture")
    session.add(wave)
    session.flush()
    for k in range(n):
        key = hashlib.sha256(f"{pcode}-{k}".encode()).hexdigest()[:16]
        session.add(SurveyResponse(wave_id=wave.id, respondent_key=key, surveyed_on=_day(k + int(pcode) - 11),
                                   project_id=project.id, touchpoint=("delivery_1m", "delivery_2y")[k % 2], scale=5,
                                   overall=3 + k % 3, housing_quality=4, maintenance=3 + k % 2, property_service=4,
                                   complaint_handling=None if k % 3 else 3, recommend=7 + k % 4))


def _listening(session, fx: Fixture, company: Company, cname: str, code: int) -> None:
    add = fx.markers.append
    department = f"{cname[:2]}客服部"
    add(Marker(department, cname, None, "whole"))
    for e in range(EMPLOYEES):
        name = f"{SURNAME[code]}{'金木水'[e]}员"  # e.g. 甲金员
        employee = Employee(employee_no=f"EM{code}{e:02d}", name=name, company_id=company.id, department=department,
                            is_management=e == 0, joined_on=date(2020, 1, 1))
        session.add(employee)
        session.flush()
        add(Marker(name, cname, None, "whole"))
        add(Marker(f"EM{code}{e:02d}", cname, None, "whole"))
        for a in range(e + 1):
            finding = f"{cname[:2]}员工发现{'一二三'[e]}" if a == 0 else None
            session.add(ListeningActivity(employee_id=employee.id, activity_date=_day(code + e * 11 + a * 5),
                                          activity_type=("visit_customer", "answer_hotline")[a % 2], finding=finding))
            if finding:
                add(Marker(finding, cname, None, "whole"))
