"""analytics_change / analytics_state: triggers note every changed complaint and survey answer

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TRACKED = ("complaint", "survey_response")


def upgrade() -> None:
    op.create_table(
        "analytics_change",
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sqlite_autoincrement=True,  # a sequence number is never reused, even after a delete
    )
    op.create_table(
        "analytics_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token", sa.String(64), nullable=False),
    )
    op.execute(sa.text("INSERT INTO analytics_state (id, token) VALUES (1, :token)")
               .bindparams(token=uuid.uuid4().hex))
    if op.get_bind().dialect.name == "postgresql":
        # PostgreSQL commits out of seq order, so a snapshot is described by the transaction ids it
        # sees (pg_current_snapshot), and a change by the id of the transaction that made it.
        op.execute("ALTER TABLE analytics_change ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id()")
        op.execute("CREATE INDEX ix_analytics_change_xid ON analytics_change (xid)")
        # Statement-level triggers with transition tables: one INSERT … SELECT per statement, so a
        # 100,000-row import costs one extra statement, not 100,000.
        op.execute("""
            CREATE OR REPLACE FUNCTION crhq_note_change() RETURNS trigger AS $$
            BEGIN
                INSERT INTO analytics_change (table_name, row_id) SELECT TG_TABLE_NAME, id FROM changed_rows;
                RETURN NULL;
            END
            $$ LANGUAGE plpgsql""")
        for table in TRACKED:
            for verb, rows in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
                op.execute(f"CREATE TRIGGER {table}_note_{verb.lower()} AFTER {verb} ON {table} "
                           f"REFERENCING {rows} TABLE AS changed_rows "
                           "FOR EACH STATEMENT EXECUTE FUNCTION crhq_note_change()")
    else:
        for table in TRACKED:
            for verb, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
                op.execute(f"CREATE TRIGGER {table}_note_{verb.lower()} AFTER {verb} ON {table} BEGIN "
                           f"INSERT INTO analytics_change (table_name, row_id) VALUES ('{table}', {row}.id); END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TRACKED:
        for verb in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_note_{verb}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS crhq_note_change()")
    op.drop_table("analytics_state")
    op.drop_table("analytics_change")
