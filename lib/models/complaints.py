"""Complaints (投诉) and their append-only event history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lib.db import Base, utcnow


class Complaint(Base):
    __tablename__ = "complaint"
    __table_args__ = (
        Index("ix_complaint_received_project", "received_at", "project_id"),
        Index("ix_complaint_project_received", "project_id", "received_at"),
        Index("ix_complaint_status_due", "status", "resolution_due_at"),
        Index("ix_complaint_phone_hash_received", "phone_hash", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    channel: Mapped[str] = mapped_column(String(20))
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"))
    business_line: Mapped[str] = mapped_column(String(30))
    category: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str | None] = mapped_column(String(20))
    responsible: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    complainant_name: Mapped[str | None] = mapped_column(String(100))
    complainant_phone: Mapped[str | None] = mapped_column(String(40))
    # Issue #26: keyed hash of the phone (lib.services.phone_hash), to find repeat complainants; never shown.
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    followup_at: Mapped[datetime | None] = mapped_column(DateTime)
    followup_score: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    root_cause: Mapped[str | None] = mapped_column(Text)
    corrective_action: Mapped[str | None] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(String(64))
    void_reason: Mapped[str | None] = mapped_column(Text)
    # SLA due times are stored (computed by lib.sla when the complaint is written and recomputed
    # when an admin changes the SLA settings) so that on-time KPIs stay a plain SQL comparison.
    first_response_due_at: Mapped[datetime] = mapped_column(DateTime)
    resolution_due_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class ComplaintEvent(Base):
    __tablename__ = "complaint_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    # JSON text {"field": [old, new], ...}: readable on both databases without a JSON type.
    changes: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
