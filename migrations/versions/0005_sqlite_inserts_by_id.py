"""SQLite: new complaints and survey answers are found by id, not noted one by one

Revision ID: 0005
Revises: 0004

On SQLite the per-row insert trigger cost ~20 µs a row, a fifth of a 100,000-row import. There is
one writer at a time and ids only grow past the highest, so a row inserted after a snapshot is one
whose id is above the highest the snapshot saw (lib.analytics keeps it in the snapshot's position);
updates and deletes are still noted. PostgreSQL keeps its statement-level insert triggers: its ids
are not handed out in commit order.
"""
from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TRACKED = ("complaint", "survey_response")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TRACKED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_note_insert")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TRACKED:
            op.execute(f"CREATE TRIGGER {table}_note_insert AFTER INSERT ON {table} BEGIN "
                       f"INSERT INTO analytics_change (table_name, row_id) VALUES ('{table}', NEW.id); END")
