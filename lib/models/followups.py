"""Dissatisfied-respondent follow-up (不满意样本回访, SPEC §14): one task per low survey answer."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lib.db import Base, utcnow


class FollowupTask(Base):
    """The answer it was opened for gives its project (scope), day (KPIs) and contact; `response_id`
    is unique, so an answer opens one task whatever happens to the file it came in."""
    __tablename__ = "followup_task"
    __table_args__ = (Index("ix_followup_task_due_open", "closed_at", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id"), unique=True)
    trigger: Mapped[str] = mapped_column(String(20))  # overall · recommend · both
    opened_at: Mapped[datetime] = mapped_column(DateTime)  # business time (China)
    due_on: Mapped[date] = mapped_column(Date)
    contacted: Mapped[bool] = mapped_column(Boolean, default=False)
    contacted_at: Mapped[datetime | None] = mapped_column(DateTime)
    cause: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(20))  # recovered · not_recovered
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)  # business time (China)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
