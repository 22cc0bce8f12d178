"""Organisation scope (数据范围, SPEC §11): the part of the group a user may read and write.

A scope is `group` (everything) or a set of regions, companies and projects; a region covers its
companies, a company its projects. It is stored on the user as text (`group`, or entries such as
`company:深圳公司`, one per line) and resolved, per read, to the ids of the projects and companies it
covers, which the KPI modules, the analytic mirror and every list apply in SQL (`KpiFilter.scope_*`).

Employees (the "Six Ones" listening) belong to a company, not to a project: a company's listening is
in scope when the scope covers the whole company (its region or the company itself). A user scoped
to single projects sees no listening figures.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lib.errors import DomainError
from lib.models import Company, Project

KINDS = ("region", "company", "project")
GROUP = "group"


class OutOfScope(DomainError):
    """A filter, link, saved view, record or import row outside the user's scope."""


@dataclass(frozen=True)
class Scope:
    regions: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    # (company, project): project names are unique only within their company.
    projects: tuple[tuple[str, str], ...] = ()

    @property
    def is_group(self) -> bool:
        return not (self.regions or self.companies or self.projects)

    def entries(self) -> list[str]:
        return ([f"region:{r}" for r in self.regions] + [f"company:{c}" for c in self.companies]
                + [f"project:{c}/{p}" for c, p in self.projects])

    def as_text(self) -> str:
        return GROUP if self.is_group else "\n".join(self.entries())


GROUP_SCOPE = Scope()


def parse(entries: list[str] | tuple[str, ...] | str | None) -> Scope:
    """`group`, or entries `region:NAME`, `company:NAME`, `project:COMPANY/PROJECT` (a list, or text one per
    line). Names are kept as written; whether they exist is checked by `validate`."""
    if entries is None:
        return GROUP_SCOPE
    if isinstance(entries, str):
        entries = entries.splitlines()
    items = [e.strip() for e in entries if e and e.strip()]
    if not items or items == [GROUP]:
        return GROUP_SCOPE
    regions, companies, projects = [], [], []
    for item in items:
        kind, sep, name = item.partition(":")
        kind, name = kind.strip().lower(), name.strip()
        if item == GROUP or not sep or kind not in KINDS or not name:
            raise DomainError("err_scope_entry", entry=item)
        if kind == "region":
            regions.append(name)
        elif kind == "company":
            companies.append(name)
        else:
            company, slash, project = name.partition("/")
            if not slash or not company.strip() or not project.strip():
                raise DomainError("err_scope_entry", entry=item)
            projects.append((company.strip(), project.strip()))
    return Scope(tuple(dict.fromkeys(regions)), tuple(dict.fromkeys(companies)), tuple(dict.fromkeys(projects)))


def validate(scope: Scope, *, session: Session) -> None:
    """Every region, company and project the scope names exists."""
    regions = set(session.scalars(select(Company.region).where(Company.region.is_not(None))))
    companies = set(session.scalars(select(Company.name)))
    projects = set(session.execute(select(Company.name, Project.name)
                                   .join(Project, Project.company_id == Company.id)).all())
    for r in scope.regions:
        if r not in regions:
            raise DomainError("err_scope_unknown", entry=f"region:{r}")
    for c in scope.companies:
        if c not in companies:
            raise DomainError("err_scope_unknown", entry=f"company:{c}")
    for c, p in scope.projects:
        if (c, p) not in projects:
            raise DomainError("err_scope_unknown", entry=f"project:{c}/{p}")


@dataclass(frozen=True)
class Reach:
    """What a scope covers in one database: project ids, ids of whole companies, and the names a
    filter may name. `projects is None`: the whole group."""
    projects: frozenset[int] | None
    companies: frozenset[int] | None
    company_names: frozenset[str] = frozenset()
    project_names: frozenset[str] = frozenset()
    cities: frozenset[str] = frozenset()

    @property
    def is_group(self) -> bool:
        return self.projects is None


def reach(scope: Scope, *, session: Session) -> Reach:
    if scope.is_group:
        return Reach(None, None)
    rows = session.execute(select(Project.id, Project.name, Project.city, Company.id, Company.name, Company.region)
                           .join(Company, Company.id == Project.company_id)).all()
    whole = {cid for _, _, _, cid, cname, region in rows
             if cname in scope.companies or (region is not None and region in scope.regions)}
    # A company with no project yet is still whole: its listening belongs to it.
    whole |= set(session.scalars(select(Company.id).where(
        or_(Company.name.in_(scope.companies), Company.region.in_(scope.regions)))))
    pairs = set(scope.projects)
    mine = [r for r in rows if r[3] in whole or (r[4], r[1]) in pairs]
    company_names = {r[4] for r in mine} | set(session.scalars(select(Company.name).where(Company.id.in_(whole))))
    return Reach(frozenset(r[0] for r in mine), frozenset(whole), frozenset(company_names),
                 frozenset(r[1] for r in mine), frozenset(r[2] for r in mine))


def apply(flt, scope: Scope, *, session: Session):
    """`flt` (a KpiFilter) limited to the scope. A company, city or project it names outside the scope
    is refused (OutOfScope), never silently dropped."""
    if scope.is_group:
        return flt
    r = reach(scope, session=session)
    check_names(r, companies=flt.companies, cities=flt.cities, projects=flt.projects)
    return limited(flt, r)


def limited(flt, r: Reach | None):
    """`flt` carrying the reach's ids (no name check); the group's reach, or None, leaves it as it is."""
    if r is None or r.is_group:
        return flt
    return replace(flt, scope_projects=tuple(sorted(r.projects)), scope_companies=tuple(sorted(r.companies or ())))


def check_names(r: Reach, *, companies=(), cities=(), projects=()) -> None:
    if r.is_group:
        return
    for kind, names, allowed in (("company", companies, r.company_names), ("city", cities, r.cities),
                                 ("project", projects, r.project_names)):
        outside = [n for n in names if n not in allowed]
        if outside:
            raise OutOfScope("err_out_of_scope", kind=kind, name=", ".join(outside))


def require_project(r: Reach, project_id: int | None) -> None:
    """A write to `project_id` is allowed for this reach."""
    if r.is_group or project_id is None:
        return
    if project_id not in r.projects:
        raise OutOfScope("err_write_out_of_scope")


def where_project(flt, column) -> list:
    """The scope as a condition on a project-id column (empty for the group)."""
    ids = getattr(flt, "scope_projects", None)
    return [] if ids is None else [column.in_(ids)]


def where_names(flt, *, business_line=None) -> list:
    """The filter's company, city and project names as conditions on the joined Company and Project, and
    its business lines on the `business_line` column when one is given: the organisation filter every
    area applies (the scope is applied apart, `where_project`)."""
    where = []
    if flt.companies:
        where.append(Company.name.in_(flt.companies))
    if flt.cities:
        where.append(Project.city.in_(flt.cities))
    if flt.projects:
        where.append(Project.name.in_(flt.projects))
    if business_line is not None and flt.business_lines:
        where.append(business_line.in_(flt.business_lines))
    return where


def where_company(flt, column) -> list:
    """The scope as a condition on a company-id column, for records of whole companies (employees)."""
    ids = getattr(flt, "scope_companies", None)
    return [] if ids is None else [column.in_(ids)]
