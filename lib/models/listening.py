""""Six Ones" listening campaign: employee roster and listening activities."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lib.db import Base


class Employee(Base):
    __tablename__ = "employee"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    department: Mapped[str] = mapped_column(String(100))
    is_management: Mapped[bool] = mapped_column(Boolean)
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class ListeningActivity(Base):
    __tablename__ = "listening_activity"
    __table_args__ = (Index("ix_listening_date_employee", "activity_date", "employee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    activity_date: Mapped[date] = mapped_column(Date)
    activity_type: Mapped[str] = mapped_column(String(40))
    finding: Mapped[str | None] = mapped_column(Text)
    # A finding raised as an improvement item is tracked as a supervisor_issue (source=listening).
    issue_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("supervisor_issue.id"))
