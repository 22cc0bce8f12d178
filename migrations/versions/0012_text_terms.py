"""Text signals (SPEC §15): the term store, one row per record and word/phrase

Revision ID: 0012
Revises: 0008

Existing complaints and supervisor issues are indexed here, in the upgrade's transaction, with the shipped
word lists (`python -m lib.cli text reindex` rebuilds the store later, e.g. after the admin's lists change).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "text_term",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.SmallInteger(), nullable=False),
        sa.Column("term", sa.String(40), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("project_id", sa.Integer()),
        sa.Column("category", sa.String(30)),
        sa.Column("channel", sa.String(20)),
        sa.Column("business_line", sa.String(30)),
    )
    op.create_index("ix_text_term_record", "text_term", ["kind", "record_id"])
    op.create_index("ix_text_term_kind_n_date", "text_term", ["kind", "n", "on_date", "term"])
    _backfill()


def _backfill() -> None:
    from sqlalchemy.orm import Session

    from lib.text import index

    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM complaint LIMIT 1")).first() is None and bind.execute(
            sa.text("SELECT 1 FROM supervisor_issue LIMIT 1")).first() is None:
        return  # a fresh install: nothing to index, and jieba is not even loaded
    session = Session(bind=bind)
    index.reindex(session=session, missing_only=True)
    session.flush()


def downgrade() -> None:
    op.drop_table("text_term")
