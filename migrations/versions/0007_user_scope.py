"""app_user.scope: each user's organisation scope (SPEC §11), "group" for every existing user

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("scope", sa.Text(), nullable=False, server_default="group"))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("scope")
