"""saved_view: Explore views saved per user

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_view",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("username", "name", name="uq_saved_view_user_name"),
    )
    op.create_index("ix_saved_view_username", "saved_view", ["username"])


def downgrade() -> None:
    op.drop_index("ix_saved_view_username", table_name="saved_view")
    op.drop_table("saved_view")
