"""HQ call-back checks (SPEC §14): the drawn sample and the check results

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_sample",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("complaint_id", sa.Integer(),
                  sa.ForeignKey("complaint.id", name="fk_check_sample_complaint_id_complaint"), nullable=False),
        sa.Column("company_id", sa.Integer(),
                  sa.ForeignKey("company.id", name="fk_check_sample_company_id_company"), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=False),
        sa.Column("drawn_on", sa.Date(), nullable=False),
        sa.Column("seed", sa.String(200), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("drawn_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("complaint_id", "resolved_at", name="uq_check_sample_resolution"),
    )
    op.create_index("ix_check_sample_company_period", "check_sample", ["company_id", "period_start", "period_end"])
    op.create_index("ix_check_sample_resolved", "check_sample", ["resolved_at"])
    op.create_table(
        "check_result",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sample_id", sa.Integer(),
                  sa.ForeignKey("check_sample.id", name="fk_check_result_sample_id_check_sample"), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("resolution_confirmed", sa.Boolean()),
        sa.Column("satisfaction", sa.Integer()),
        sa.Column("first_response_in_time", sa.Boolean(), nullable=False),
        sa.Column("root_cause_recorded", sa.Boolean(), nullable=False),
        sa.Column("corrective_action_recorded", sa.Boolean(), nullable=False),
        sa.Column("followup_done", sa.Boolean(), nullable=False),
        sa.Column("finding", sa.Text()),
        sa.Column("checker", sa.String(64), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("sample_id", name="uq_check_result_sample_id"),
    )


def downgrade() -> None:
    op.drop_table("check_result")
    op.drop_table("check_sample")
