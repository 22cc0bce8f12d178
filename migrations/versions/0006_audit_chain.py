"""audit_log: a keyed hash chain over every row, and PostgreSQL refuses TRUNCATE too

Revision ID: 0006
Revises: 0005

0002 refuses UPDATE and DELETE row by row; TRUNCATE fires no row trigger, so PostgreSQL emptied the
log. Rows now carry prev_hash / row_hash (lib.services.audit); the rows already there are chained in
id order here, with the installation's backup key (created if it has none), the append-only
triggers set aside for just that update, in this migration's transaction.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

AUDIT = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("at", sa.DateTime),
                 sa.column("actor", sa.String), sa.column("action", sa.String), sa.column("entity", sa.String),
                 sa.column("entity_id", sa.String), sa.column("detail", sa.Text),
                 sa.column("prev_hash", sa.String), sa.column("row_hash", sa.String))


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("row_hash", sa.String(64), nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION crhq_audit_append_only()")
    _chain_existing_rows(postgres)


def _chain_existing_rows(postgres: bool) -> None:
    conn = op.get_bind()
    if not conn.scalar(sa.select(sa.func.count()).select_from(AUDIT)):
        return
    from lib.services.audit import GENESIS, chain_key, row_hash

    key, prev = chain_key(), GENESIS
    rows = conn.execute(sa.select(AUDIT.c.id, AUDIT.c.at, AUDIT.c.actor, AUDIT.c.action, AUDIT.c.entity,
                                  AUDIT.c.entity_id, AUDIT.c.detail).order_by(AUDIT.c.id)).all()
    _append_only(postgres, on=False)
    for r in rows:
        digest = row_hash(key, prev, r.id, r.at, r.actor, r.action, r.entity, r.entity_id, r.detail)
        conn.execute(AUDIT.update().where(AUDIT.c.id == r.id).values(prev_hash=prev, row_hash=digest))
        prev = digest
    _append_only(postgres, on=True)


def _append_only(postgres: bool, *, on: bool) -> None:
    if postgres:
        op.execute(f"ALTER TABLE audit_log {'ENABLE' if on else 'DISABLE'} TRIGGER audit_log_append_only")
        return
    for verb in ("UPDATE", "DELETE"):
        if on:
            op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
        else:
            op.execute(f"DROP TRIGGER audit_log_no_{verb.lower()}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    # Plain ALTER TABLE, not a batch copy: a copied SQLite table would lose its append-only triggers.
    op.execute("ALTER TABLE audit_log DROP COLUMN row_hash")
    op.execute("ALTER TABLE audit_log DROP COLUMN prev_hash")
