"""Bookkeeping of the analytic mirror (lib.analytics): which rows of the large fact tables changed.

Database triggers (migration 0004) append one row to ``analytics_change`` for every insert, update
or delete of a complaint or survey answer, in the writer's own transaction, whatever wrote it (a
page, an import, the CLI, a restore). Neither table is part of a backup: a restored database is a
new database with its own token and its own mirror.
"""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lib.db import Base

NOT_BACKED_UP = {"backup": False}


class AnalyticsChange(Base):
    __tablename__ = "analytics_change"
    __table_args__ = ({"sqlite_autoincrement": True, "info": NOT_BACKED_UP},)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int] = mapped_column(Integer)


class AnalyticsState(Base):
    """One row: a random token naming this database, so a mirror is never used for another one."""
    __tablename__ = "analytics_state"
    __table_args__ = ({"info": NOT_BACKED_UP},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
