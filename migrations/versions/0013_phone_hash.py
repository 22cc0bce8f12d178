"""complaint.phone_hash: keyed hash of the complainant's phone (issue #26 repeat complainants), backfilled

Revision ID: 0013
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("phone_hash", sa.String(64), nullable=True))
    op.create_index("ix_complaint_phone_hash_received", "complaint", ["phone_hash", "received_at"])
    # Existing complaints get their hash now (the key is the installation's server secret, never stored here).
    from sqlalchemy.orm import Session

    from lib.services.phone_hash import rehash
    session = Session(bind=op.get_bind())
    rehash(session=session, only_missing=True)
    session.flush()


def downgrade() -> None:
    op.drop_index("ix_complaint_phone_hash_received", table_name="complaint")
    with op.batch_alter_table("complaint") as batch:
        batch.drop_column("phone_hash")
