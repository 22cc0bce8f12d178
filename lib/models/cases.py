"""HQ supervision (SPEC §14): typical-case reviews (典型案例复盘) and monthly unit reports (月度投诉分析上报)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lib.db import Base, utcnow


class TypicalCase(Base):
    """A complaint marked typical, with its review. Its preventive actions are supervisor_issue rows of
    source 'typical_case' (the improvement-item tracker), linked through typical_case_action."""
    __tablename__ = "typical_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), unique=True)
    marked_on: Mapped[date] = mapped_column(Date, index=True)
    marked_by: Mapped[str] = mapped_column(String(64))
    what_happened: Mapped[str] = mapped_column(Text)
    root_cause: Mapped[str] = mapped_column(Text)
    lessons: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class TypicalCaseTag(Base):
    __tablename__ = "typical_case_tag"

    case_id: Mapped[int] = mapped_column(ForeignKey("typical_case.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class TypicalCaseAction(Base):
    """A preventive action: the tracked issue, and the department that owns the work."""
    __tablename__ = "typical_case_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("typical_case.id"), index=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("supervisor_issue.id"), unique=True)
    owner_department: Mapped[str] = mapped_column(String(100))


class UnitReport(Base):
    """One company's complaint analysis of one month; the figures are snapshotted at (re)submission."""
    __tablename__ = "unit_report"
    __table_args__ = (UniqueConstraint("company_id", "month", name="uq_unit_report_company_month"),
                      Index("ix_unit_report_month", "month"))

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, the month reported on
    status: Mapped[str] = mapped_column(String(12))  # submitted | returned
    figures: Mapped[str] = mapped_column(Text)  # JSON: the complaint KPIs of the company and month
    analysis: Mapped[str] = mapped_column(Text)
    actions: Mapped[str] = mapped_column(Text)
    first_submitted_at: Mapped[datetime] = mapped_column(DateTime)  # business time; decides "late"
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    submitted_by: Mapped[str] = mapped_column(String(64))
    resubmissions: Mapped[int] = mapped_column(Integer, default=0)
    returned_at: Mapped[datetime | None] = mapped_column(DateTime)
    returned_by: Mapped[str | None] = mapped_column(String(64))
    return_comment: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}
