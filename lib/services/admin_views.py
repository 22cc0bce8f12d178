"""Read models for the admin page: users and audit log as display-ready tables."""
from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from lib.services import audit, users


def users_table(*, session: Session) -> pd.DataFrame:
    return users.list_users(session=session)


def audit_table(*, session: Session, actor: str | None, action: str | None,
                start: date | None, end: date | None) -> pd.DataFrame:
    return audit.search(session=session, actor=actor or None, action=action or None, start=start, end=end)
