"""Satisfaction surveys: waves, responses (raw scores on their own scale) and benchmarks."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lib.db import Base, utcnow


class SurveyWave(Base):
    __tablename__ = "survey_wave"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor: Mapped[str | None] = mapped_column(String(100))
    method: Mapped[str | None] = mapped_column(String(20))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    imported_by: Mapped[str | None] = mapped_column(String(64))


class SurveyResponse(Base):
    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("respondent_key", "touchpoint", "surveyed_on", name="uq_survey_natural"),
        Index("ix_survey_date_touchpoint", "surveyed_on", "touchpoint"),
        Index("ix_survey_project_date", "project_id", "surveyed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_wave.id"), index=True)
    respondent_key: Mapped[str] = mapped_column(String(128))
    surveyed_on: Mapped[date] = mapped_column(Date)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"))
    touchpoint: Mapped[str] = mapped_column(String(30))
    scale: Mapped[int] = mapped_column(Integer)
    overall: Mapped[float] = mapped_column(Float)
    housing_quality: Mapped[float | None] = mapped_column(Float)
    maintenance: Mapped[float | None] = mapped_column(Float)
    property_service: Mapped[float | None] = mapped_column(Float)
    complaint_handling: Mapped[float | None] = mapped_column(Float)
    recommend: Mapped[int | None] = mapped_column(Integer)
    # SPEC §14: given by the vendor for respondents who agreed to be called back (personal data:
    # masked for executives, lib.privacy); never copied to the analytic mirror.
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    vendor_case_id: Mapped[str | None] = mapped_column(String(64))


class Benchmark(Base):
    __tablename__ = "benchmark"
    __table_args__ = (UniqueConstraint("year", "dimension", name="uq_benchmark_year_dimension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    dimension: Mapped[str] = mapped_column(String(30))
    value: Mapped[float] = mapped_column(Float)
