"""Every import kind of SPEC §9, by the name the command line and the pages use."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from lib.imports import complaints, listening, supervisors, surveys
from lib.imports.base import Importer, run_import
from lib.imports.core import ImportResult
from lib.scope import Reach

IMPORTERS: dict[str, Importer] = {
    "complaints": complaints.IMPORTER,
    "survey": surveys.IMPORTER,
    "employees": listening.EMPLOYEES,
    "listening": listening.ACTIVITIES,
    "supervisors": supervisors.SUPERVISORS,
    "supervision_activities": supervisors.ACTIVITIES,
    "supervisor_issues": supervisors.ISSUES,
}


def import_file(kind: str, data: bytes, filename: str, *, session: Session, actor: str, dry_run: bool = False,
                progress: Callable[[float], None] | None = None, reach: Reach | None = None) -> ImportResult:
    """`reach`: the importer's scope (None: the whole group, as the command line imports)."""
    return run_import(IMPORTERS[kind], data, filename, session=session, actor=actor, dry_run=dry_run,
                      progress=progress, reach=reach)
