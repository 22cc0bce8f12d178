"""The data version (issue #27, freshness): one cheap statement whose answer changes whenever anything a
page shows may have changed, in any process (a page, `lib.cli import`, `notify run`). The page caches
(lib.ui) are keyed by it, so a write anywhere is visible at the next view instead of after the cache's TTL.

What moves it: every product write is audited (audit_log only grows: ids never come back); every
insert, update or delete of a complaint or survey answer leaves a note in analytics_change (migration
0004, triggers; its seq is never reused, even after compaction) and inserts raise the tables' highest
id (SQLite notes no inserts: migration 0005). Four index look-ups, well under a millisecond. An
unaudited SQL write to another table (by hand, past the application) is not seen until the TTL."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.models import AnalyticsChange, AuditLog, Complaint, SurveyResponse


def data_version(session: Session) -> tuple:
    stmt = select(select(func.max(AuditLog.id)).scalar_subquery(),
                  select(func.max(AnalyticsChange.seq)).scalar_subquery(),
                  select(func.max(Complaint.id)).scalar_subquery(),
                  select(func.max(SurveyResponse.id)).scalar_subquery())
    return tuple(session.execute(stmt).one())
