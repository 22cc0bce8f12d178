"""Who hears of an event: ownership first, then organisation scope (SPEC §11, §12).

- A complaint's assignee and a supervisor issue's first responder, for their own records.
- Staff scoped to part of the group, for records of projects in their scope (the company's queue).
- HQ staff (group scope) for complaints escalated to HQ (level ≥ 1) and new urgent ones.
- Executives for KPI events and the monthly report of their scope, and for escalations to leadership
  (level 2) of records in their scope.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.models import User
from lib.scope import Reach, reach
from lib.services.users import _scope_of


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    lang: str
    email: str | None
    reach: Reach

    def sees_project(self, project_id: int | None) -> bool:
        return self.reach.is_group or (project_id is not None and project_id in self.reach.projects)

    def sees_company(self, company_id: int | None) -> bool:
        """KPI events of a company (company_id None: the group's own figures, for group-scoped readers)."""
        if self.reach.is_group:
            return True
        return company_id is not None and company_id in (self.reach.companies or ())


class Directory:
    """The active users with their reach, resolved once per run (one reach per distinct scope)."""

    def __init__(self, *, session: Session) -> None:
        cache: dict[str, Reach] = {}
        self.people: dict[str, Person] = {}
        for user in session.scalars(select(User).where(User.active.is_(True))):
            scope = _scope_of(user)
            key = scope.as_text()
            if key not in cache:
                cache[key] = reach(scope, session=session)
            self.people[user.username] = Person(user.username, user.role, user.language or "zh", user.email,
                                                cache[key])

    def _role(self, *roles: str) -> list[Person]:
        return [p for p in self.people.values() if p.role in roles]

    def for_record(self, *, project_id: int | None, owner: str | None, level: int = 0,
                   urgent_new: bool = False) -> list[Person]:
        """A complaint or supervisor issue: its owner, the scoped staff of its project, HQ staff once it is
        HQ's (escalated, or a new urgent complaint), executives once it is leadership's (level 2)."""
        out: dict[str, Person] = {}
        if owner and owner in self.people:
            out[owner] = self.people[owner]
        for p in self._role("staff", "admin"):
            if p.reach.is_group:
                if (level >= 1 or urgent_new) and p.role == "staff":
                    out[p.username] = p
            elif p.sees_project(project_id):
                out[p.username] = p
        if level >= 2:
            for p in self._role("executive"):
                if p.sees_project(project_id):
                    out[p.username] = p
        return list(out.values())

    def executives_of(self, company_id: int | None) -> list[Person]:
        return [p for p in self._role("executive") if p.sees_company(company_id)]

    def owners(self) -> list[Person]:
        """Everyone who may own records (the daily digest)."""
        return self._role("staff", "admin")
