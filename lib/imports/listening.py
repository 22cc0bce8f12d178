"""Employee roster and "Six Ones" listening activity files (SPEC §5, §9)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lib.imports.base import Importer, WriteContext, changed
from lib.imports.core import Batch, Column, RowError, each_row, not_before, parse_bool, parse_date, sized, text
from lib.models import Company, Employee, ListeningActivity
from lib.services import listening as listening_service

EMPLOYEE_COLUMNS = [
    Column("employee_no", "工号", True, text),
    Column("name", "姓名", True, text),
    Column("company", "公司", True, text),
    Column("department", "部门", True, text),
    Column("is_management", "是否管理层", True, parse_bool),
    Column("joined_on", "入职日期", True, parse_date),
    Column("left_on", "离职日期", False, parse_date),
]
EMPLOYEE_COLUMNS = sized(EMPLOYEE_COLUMNS, Employee, company=Company.name)


def check_employee(line: int, row: dict[str, Any]) -> list[RowError]:
    return not_before(line, row, "joined_on", "left_on")


def write_employees(batch: Batch, ctx: WriteContext) -> None:
    session, rows = ctx.session, batch.rows()
    existing = {e.employee_no: e for e in session.scalars(
        select(Employee).where(Employee.employee_no.in_([r["employee_no"] for _, r in rows])))}
    for _, r in rows:
        company = ctx.resolver.company(r["company"], "")
        values = {"name": r["name"], "company_id": company.id, "department": r["department"],
                  "is_management": r["is_management"], "joined_on": r["joined_on"], "left_on": r.get("left_on")}
        current = existing.get(r["employee_no"])
        if current is None:
            session.add(Employee(employee_no=r["employee_no"], **values))
            ctx.result.inserted += 1
            continue
        if "left_on" not in ctx.present:  # a column the file leaves out keeps the stored value
            del values["left_on"]
        if changed(current, values):
            for name, value in values.items():
                setattr(current, name, value)
            ctx.result.updated += 1
        else:
            ctx.result.unchanged += 1


EMPLOYEES = Importer("employees", "employee", EMPLOYEE_COLUMNS, write_employees, key=("employee_no",),
                     check=each_row(check_employee))

ACTIVITY_COLUMNS = [
    Column("employee_no", "工号", True, text),
    Column("activity_date", "活动日期", True, parse_date),
    Column("activity_type", "活动类型", True, text),  # resolved against the configured types below
    Column("finding", "问题发现", False, text),
]
ACTIVITY_COLUMNS = sized(ACTIVITY_COLUMNS, ListeningActivity, employee_no=Employee.employee_no,
                         activity_type=None)  # a label, stored as its code


def resolve_activities(session, batch: Batch) -> list[RowError]:
    """Every activity names an employee on the roster (import it first) and a known activity type
    (built-in or admin-added; written as the type's code)."""
    labels = listening_service.type_labels(session=session)
    rows = batch.rows()
    errors = [RowError(line, "activity_type", r["activity_type"], "不是已配置的活动类型", "not a configured activity type")
              for line, r in rows if listening_service.type_code(r["activity_type"], labels) is None]
    numbers = sorted({r["employee_no"] for _, r in rows})
    known = set()
    for start in range(0, len(numbers), 5000):
        known |= set(session.scalars(select(Employee.employee_no).where(
            Employee.employee_no.in_(numbers[start:start + 5000]))))
    return errors + [RowError(line, "employee_no", r["employee_no"], "工号不在员工名单中（请先导入员工名单）",
                              "employee_no is not on the roster (import the roster first)")
                     for line, r in rows if r["employee_no"] not in known]


def write_activities(batch: Batch, ctx: WriteContext) -> None:
    """The whole row is the natural key: a row already stored (or repeated in the file) is skipped."""
    session, rows = ctx.session, batch.rows()
    labels = ctx.cache.setdefault("labels", listening_service.type_labels(session=session))
    ids = dict(session.execute(select(Employee.employee_no, Employee.id).where(
        Employee.employee_no.in_({r["employee_no"] for _, r in rows}))).all())
    seen = {tuple(r) for r in session.execute(select(ListeningActivity.employee_id, ListeningActivity.activity_date,
                                      ListeningActivity.activity_type, ListeningActivity.finding)
                               .where(ListeningActivity.employee_id.in_(set(ids.values()))))}
    for _, r in rows:
        key = (ids[r["employee_no"]], r["activity_date"], listening_service.type_code(r["activity_type"], labels),
               r.get("finding"))
        if key in seen:
            ctx.result.unchanged += 1
            continue
        seen.add(key)
        session.add(ListeningActivity(employee_id=key[0], activity_date=key[1], activity_type=key[2],
                                      finding=key[3]))
        ctx.result.inserted += 1


ACTIVITIES = Importer("listening", "listening_activity", ACTIVITY_COLUMNS, write_activities,
                      resolve=resolve_activities)
