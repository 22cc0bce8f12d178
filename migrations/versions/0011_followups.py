"""Dissatisfied-respondent follow-up (SPEC §14): survey_response.contact_phone / vendor_case_id and followup_task

Revision ID: 0011
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy of the table): SQLite would drop the analytics triggers of 0004
    # with a table it rebuilds.
    op.add_column("survey_response", sa.Column("contact_phone", sa.String(40), nullable=True))
    op.add_column("survey_response", sa.Column("vendor_case_id", sa.String(64), nullable=True))
    op.create_table(
        "followup_task",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("response_id", sa.Integer(), sa.ForeignKey(
            "survey_response.id", name="fk_followup_task_response_id_survey_response"), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("contacted", sa.Boolean(), nullable=False),
        sa.Column("contacted_at", sa.DateTime()),
        sa.Column("cause", sa.Text()),
        sa.Column("action", sa.Text()),
        sa.Column("outcome", sa.String(20)),
        sa.Column("closed_at", sa.DateTime()),
        sa.Column("closed_by", sa.String(64)),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_followup_task"),
        sa.UniqueConstraint("response_id", name="uq_followup_task_response_id"),
    )
    op.create_index("ix_followup_task_due_open", "followup_task", ["closed_at", "due_on"])


def downgrade() -> None:
    op.drop_index("ix_followup_task_due_open", table_name="followup_task")
    op.drop_table("followup_task")
    with op.batch_alter_table("survey_response") as batch:
        batch.drop_column("vendor_case_id")
        batch.drop_column("contact_phone")
