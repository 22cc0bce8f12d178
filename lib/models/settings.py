"""Admin settings (SLA targets, vocab lists, due-day defaults) and KPI targets."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lib.db import Base, utcnow


class Setting(Base):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))


class KpiTarget(Base):
    __tablename__ = "kpi_target"
    __table_args__ = (
        UniqueConstraint("kpi", "business_line", "company_id", name="uq_kpi_target_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area: Mapped[str] = mapped_column(String(20))
    kpi: Mapped[str] = mapped_column(String(60))
    business_line: Mapped[str | None] = mapped_column(String(30))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    target: Mapped[float] = mapped_column(Float)
    amber: Mapped[float | None] = mapped_column(Float)
    # "higher" when bigger is better (rates, scores), "lower" for backlog-type KPIs.
    direction: Mapped[str] = mapped_column(String(10), default="higher")


class SavedView(Base):
    """An Explore view saved by one user under a name (visible to that user only)."""
    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("username", "name", name="uq_saved_view_user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(80))
    spec: Mapped[str] = mapped_column(Text)  # JSON: dataset, measure, group-bys, chart, filter
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
