"""Owner customer-quality supervisor group: supervisors, activities, issues and their update log."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lib.db import Base, utcnow


class Supervisor(Base):
    __tablename__ = "supervisor"

    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    term: Mapped[int] = mapped_column(Integer)
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(40))


class SupervisionActivity(Base):
    __tablename__ = "supervision_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_date: Mapped[date] = mapped_column(Date, index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    activity_type: Mapped[str] = mapped_column(String(30))
    participants: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class SupervisorIssue(Base):
    __tablename__ = "supervisor_issue"
    __table_args__ = (
        Index("ix_issue_raised_project", "raised_on", "project_id"),
        Index("ix_issue_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    # supervisor = raised by owner supervisors; listening = improvement item from a finding.
    source: Mapped[str] = mapped_column(String(20), default="supervisor")
    raised_on: Mapped[date] = mapped_column(Date)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_activity.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"))
    category: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    responsible_party: Mapped[str] = mapped_column(String(20))
    first_responder: Mapped[str | None] = mapped_column(String(64), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    resolved_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    feedback_score: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class SupervisorIssueRaiser(Base):
    __tablename__ = "supervisor_issue_raiser"

    issue_id: Mapped[int] = mapped_column(ForeignKey("supervisor_issue.id"), primary_key=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("supervisor.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class SupervisorIssueUpdate(Base):
    __tablename__ = "supervisor_issue_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("supervisor_issue.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    told_supervisor: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[str | None] = mapped_column(Text)
