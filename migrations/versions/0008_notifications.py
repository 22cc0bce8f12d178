"""Notifications (SPEC §12): app_user.email, the outbox, subscriptions, webhooks and evaluation marks

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("record_key", sa.String(120), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("lang", sa.String(5), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(300)),
        sa.Column("payload", sa.Text()),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(120)),
        sa.Column("claimed_at", sa.DateTime()),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("last_error", sa.Text()),
        sa.Column("digest_id", sa.Integer()),
        sa.Column("read_at", sa.DateTime()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("event", "record_key", "recipient", "channel", name="uq_notify_outbox_key"),
    )
    op.create_index("ix_notify_outbox_status_next", "notify_outbox", ["status", "next_attempt_at"])
    op.create_index("ix_notify_outbox_recipient_channel", "notify_outbox", ["recipient", "channel", "status"])
    op.create_table(
        "notify_subscription",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("username", "event", "channel", name="uq_notify_subscription_key"),
    )
    op.create_index("ix_notify_subscription_username", "notify_subscription", ["username"])
    op.create_table(
        "notify_webhook",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("company_id", sa.Integer(), sa.ForeignKey("company.id", name="fk_notify_webhook_company_id_company")),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(200)),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("kind", "company_id", name="uq_notify_webhook_kind_company"),
    )
    op.create_table(
        "notify_mark",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("notify_mark", "notify_webhook", "notify_subscription", "notify_outbox"):
        op.drop_table(table)
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("email")
