"""Issue #28: the admin's SLA settings, with the ordinary and the non-responsible resolution days set
apart (5 and 9), reach complaints logged after the change and those recomputed by it, on both databases.

Hand-worked on March 2025 (no statutory holiday; Sat 8 / Sun 9 off), received Mon 3 Mar 09:00:
5 working days → 15 h Mon 3 + Tue 4 – Fri 7 (96 h) = 111 h, 9 h of Mon 10 → Mon 10 Mar 09:00;
9 working days → 111 h + Mon 10 – Thu 13 (96 h) = 207 h, 9 h of Fri 14 → Fri 14 Mar 09:00;
the defaults (7 days each) → 111 h + Mon 10, Tue 11 (48 h) = 159 h, 9 h of Wed 12 → Wed 12 Mar 09:00.
"""
from datetime import datetime

from sqlalchemy import select

from lib.models import Complaint
from lib.services import complaints as service
from tests import fixtures

RECEIVED = datetime(2025, 3, 3, 9)


def _new(project, responsible: bool, ref: str) -> service.NewComplaint:
    return service.NewComplaint(received_at=RECEIVED, channel="hotline", project_id=project.id,
                                category="maintenance", responsible=responsible,
                                severity="ordinary" if responsible else None, description="漏水", ref=ref)


def _due(session, ref):
    return session.scalar(select(Complaint.resolution_due_at).where(Complaint.ref == ref))


def test_ordinary_and_non_responsible_settings_apply_each_to_its_own_complaints(session):
    p1, _ = fixtures.org(session)
    service.create(_new(p1, True, "OLD-R"), session=session, actor="t")
    service.create(_new(p1, False, "OLD-N"), session=session, actor="t")
    assert (_due(session, "OLD-R"), _due(session, "OLD-N")) == (datetime(2025, 3, 12, 9), datetime(2025, 3, 12, 9))

    moved = service.change_sla({"resolution_ordinary_working_days": 5, "resolution_non_responsible_working_days": 9},
                               session=session, actor="admin")
    assert moved == 2
    assert (_due(session, "OLD-R"), _due(session, "OLD-N")) == (datetime(2025, 3, 10, 9), datetime(2025, 3, 14, 9))

    service.create(_new(p1, True, "NEW-R"), session=session, actor="t")
    service.create(_new(p1, False, "NEW-N"), session=session, actor="t")
    assert (_due(session, "NEW-R"), _due(session, "NEW-N")) == (datetime(2025, 3, 10, 9), datetime(2025, 3, 14, 9))

    # made responsible and important later: the important setting (3 days by default) takes over:
    # 15 h + Tue 4, Wed 5 (48 h) = 63 h, 9 h of Thu 6 → Thu 6 Mar 09:00
    service.update("NEW-N", {"responsible": True, "severity": "important"}, session=session, actor="t",
                   version=None)
    assert _due(session, "NEW-N") == datetime(2025, 3, 6, 9)
    service.update("NEW-N", {"responsible": False}, session=session, actor="t", version=None)
    assert _due(session, "NEW-N") == datetime(2025, 3, 14, 9)
