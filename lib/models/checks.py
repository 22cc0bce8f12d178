"""HQ call-back checks (抽查回访, SPEC §14): the drawn sample and each check's result."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lib.db import Base, utcnow


class CheckSample(Base):
    """One complaint drawn into HQ's check queue. `resolved_at` is the resolution that was drawn (a reopen
    clears the complaint's own): it dates the check in the KPIs, and a resolution is drawn at most once,
    whichever overlapping periods are drawn (a complaint resolved again after a reopen may be drawn again)."""
    __tablename__ = "check_sample"
    __table_args__ = (
        UniqueConstraint("complaint_id", "resolved_at", name="uq_check_sample_resolution"),
        Index("ix_check_sample_company_period", "company_id", "period_start", "period_end"),
        Index("ix_check_sample_resolved", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    resolved_at: Mapped[datetime] = mapped_column(DateTime)
    drawn_on: Mapped[date] = mapped_column(Date)
    seed: Mapped[str] = mapped_column(String(200))
    # pending → passed | failed | unreached (an unreached call may be recorded again once reached)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    drawn_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CheckResult(Base):
    """The call and the record review of one drawn complaint (one row per sample, updated while unreached)."""
    __tablename__ = "check_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("check_sample.id"), unique=True)
    reached: Mapped[bool] = mapped_column(Boolean)
    attempts: Mapped[int] = mapped_column(Integer)
    resolution_confirmed: Mapped[bool | None] = mapped_column(Boolean)  # None when not reached
    satisfaction: Mapped[int | None] = mapped_column(Integer)  # 1–5, None when not reached
    first_response_in_time: Mapped[bool] = mapped_column(Boolean)
    root_cause_recorded: Mapped[bool] = mapped_column(Boolean)
    corrective_action_recorded: Mapped[bool] = mapped_column(Boolean)
    followup_done: Mapped[bool] = mapped_column(Boolean)
    finding: Mapped[str | None] = mapped_column(Text)
    checker: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column(DateTime)
