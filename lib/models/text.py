"""The term store of SPEC §15: each record's words and phrases, written when the record is written."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from lib.db import Base


class TextTerm(Base):
    """One (record, term) pair; `n` 1 a word, 2 an adjacent pair of words, 0 the record itself (term "")
    so that a filter's record count (of records with a description) is a count of n=0 rows. What the topic filters need (date, project,
    category, channel, business line) is copied from the record, so counting never joins the record
    tables; a record is re-indexed whenever one of those or its description changes. Two indexes only:
    a third on (term, kind, on_date) doubled the cost of an import's term rows, and the date-led one
    covers the by-term reads (trend, drill-down) as a range scan. It holds every filter column after the
    term, so that a company, project, category or channel filter is answered from the index too
    (migration 0014: one company's 12 months at 5M complaints 24 s → 0.9 s)."""
    __tablename__ = "text_term"
    __table_args__ = (
        Index("ix_text_term_record", "kind", "record_id"),
        Index("ix_text_term_filters", "kind", "n", "on_date", "term", "project_id", "category", "channel",
              "business_line"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "complaint" | "supervisor_issue"
    record_id: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(SmallInteger)
    term: Mapped[str] = mapped_column(String(40))
    on_date: Mapped[date] = mapped_column(Date)
    project_id: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(30))
    channel: Mapped[str | None] = mapped_column(String(20))
    business_line: Mapped[str | None] = mapped_column(String(30))
