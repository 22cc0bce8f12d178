"""Organisation: local companies and their projects (楼盘/小区)."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lib.db import Base


class Company(Base):
    __tablename__ = "company"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str] = mapped_column(String(50), index=True)


class Project(Base):
    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("company_id", "name_norm", name="uq_project_company_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # Normalised name (NFKC, no spaces, case-folded): imports match on it so a project is never
    # created twice for "XX花园" and " XX 花园 ".
    name_norm: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(50), index=True)
    business_line: Mapped[str] = mapped_column(String(30), index=True)
