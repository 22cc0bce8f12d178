"""Companies and projects: found by normalised name, created once on the fly by imports and forms."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib import scope
from lib.models import Company, Project
from lib.vocab import normalise_text


class ProjectResolver:
    """Caches look-ups for one import so a project is created at most once, never duplicated."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.companies = {normalise_text(c.name): c for c in session.scalars(select(Company))}
        self.projects = {(p.company_id, p.name_norm): p for p in session.scalars(select(Project))}
        self.as_written: dict[tuple[str, str, str], Project] = {}
        self.created = 0

    def company(self, name: str, city: str) -> Company:
        key = normalise_text(name)
        company = self.companies.get(key)
        if company is None:
            company = Company(name=name.strip(), city=city.strip())
            self.session.add(company)
            self.session.flush()
            self.companies[key] = company
        return company

    def project(self, company_name: str, city: str, name: str, business_line: str | None) -> Project:
        raw = (company_name, city, name)
        known = self.as_written.get(raw)  # an import names the same few projects row after row
        if known is not None:
            return known
        self.as_written[raw] = project = self._project(company_name, city, name, business_line)
        return project

    def _project(self, company_name: str, city: str, name: str, business_line: str | None) -> Project:
        company = self.company(company_name, city)
        key = (company.id, normalise_text(name))
        project = self.projects.get(key)
        if project is None:
            project = Project(company_id=company.id, name=name.strip(), name_norm=key[1], city=city.strip(),
                              business_line=business_line or "other")
            self.session.add(project)
            self.session.flush()
            self.projects[key] = project
            self.created += 1
        return project


def options(*, session: Session, reach: scope.Reach | None = None) -> dict[str, list[str]]:
    """Names for filter pickers: companies, cities and projects; for a scoped reader (SPEC §11) only
    those inside the scope, so a picker never offers (nor names) another company's values."""
    out = {
        "company": list(session.scalars(select(Company.name).order_by(Company.name))),
        "city": sorted(set(session.scalars(select(Project.city)))),
        "project": list(session.scalars(select(Project.name).order_by(Project.name))),
    }
    if reach is None or reach.is_group:
        return out
    allowed = {"company": reach.company_names, "city": reach.cities, "project": reach.project_names}
    return {kind: [n for n in dict.fromkeys(names) if n in allowed[kind]] for kind, names in out.items()}


def project_choices(*, session: Session) -> dict[int, str]:
    """Project id → "company · project" for forms, ordered by company then project."""
    rows = session.execute(select(Project.id, Company.name, Project.name).join(Company, Company.id == Project.company_id)
                           .order_by(Company.name, Project.name)).all()
    return {pid: f"{company} · {project}" for pid, company, project in rows}


def scope_choices(*, session: Session) -> dict[str, list[str]]:
    """Existing values an admin may put in a scope (SPEC §11): regions, companies, `company/project`."""
    return {
        "region": sorted(set(session.scalars(select(Company.region).where(Company.region.is_not(None))))),
        "company": list(session.scalars(select(Company.name).order_by(Company.name))),
        "project": [f"{c}/{p}" for c, p in session.execute(
            select(Company.name, Project.name).join(Project, Project.company_id == Company.id)
            .order_by(Company.name, Project.name)).all()],
    }
