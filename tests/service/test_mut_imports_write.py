"""What a complaint or survey import stores and audits (lib.imports), pinned after the mutation run
(scripts/mutate.py) found these behaviours unheld."""
import json

import pytest
from sqlalchemy import select

from lib.imports import surveys as survey_import
from lib.imports.complaints import import_complaints, status_move
from lib.imports.core import Batch
from lib.models import AuditLog, Complaint

HEADER = "ref,received_at,channel,company,city,project,severity,responsible,status\n"


def test_blank_responsibility_and_severity_default_to_a_responsible_ordinary_complaint(session):
    # SPEC §3: a complaint is responsible unless the file says otherwise; a responsible one without a
    # severity is ordinary. A row that says "no" stays non-responsible with no severity.
    data = HEADER + "M1,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,,,received\n" \
                    "M2,2025-09-30 11:00,hotline,A公司,深圳,深圳花园,,否,received\n"
    import_complaints(data.encode(), "m.csv", session=session, actor="importer")
    stored = {c.ref: (c.responsible, c.severity) for c in session.scalars(select(Complaint))}
    assert stored == {"M1": (True, "ordinary"), "M2": (False, None)}


def test_an_import_is_audited_with_its_file_and_counts(session):
    data = HEADER + "M1,2025-09-30 10:00,hotline,A公司,深圳,深圳花园,ordinary,yes,received\n"
    import_complaints(data.encode(), "m.csv", session=session, actor="importer")
    rows = session.scalars(select(AuditLog).where(AuditLog.action == "import")).all()
    assert [(r.actor, r.entity) for r in rows] == [("importer", "complaint")]
    detail = json.loads(rows[0].detail)
    assert (detail["file"], detail["rows"], detail["inserted"], detail["updated"]) == ("m.csv", 1, 1, 0)


@pytest.mark.parametrize("current, target, move", [
    ("resolved", "in_progress", "reopen"), ("verified", "in_progress", "reopen"),
    ("closed", "in_progress", None), ("void", "in_progress", None), ("received", "in_progress", "forward"),
    ("received", "resolved", "forward"), ("closed", "closed", "same"), ("closed", "void", None)])
def test_status_moves_an_import_may_make(current, target, move):
    # SPEC §3: only resolved and verified reopen; closed and void are final
    assert status_move(current, target) == move


def test_scores_on_each_scales_own_range():
    # 0 is a valid answer on the 0–10 scale (11) only; 10 on scales 10 and 11; 5 on scale 5
    batch = Batch([2, 3, 4, 5, 6], {"scale": [11, 10, 5, 11, 5], "overall": [0, 0, 5, 10, 6],
                                    **{name: [None] * 5 for name in survey_import.SCORES[1:]}})
    errors = survey_import.check(batch)
    assert [(e.row, e.column, e.reason_en) for e in errors] == [
        (3, "overall", "outside the 1–10 range of scale 10"), (6, "overall", "outside the 1–5 range of scale 5")]
