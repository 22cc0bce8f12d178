"""HQ supervision (SPEC §14): typical-case reviews, their tags and preventive actions; monthly unit reports

Revision ID: 0010
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "typical_case",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaint.id"), nullable=False, unique=True),
        sa.Column("marked_on", sa.Date(), nullable=False),
        sa.Column("marked_by", sa.String(64), nullable=False),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("lessons", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_typical_case_marked_on", "typical_case", ["marked_on"])
    op.create_table(
        "typical_case_tag",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("typical_case.id"), primary_key=True),
        sa.Column("tag", sa.String(40), primary_key=True),
    )
    op.create_index("ix_typical_case_tag_tag", "typical_case_tag", ["tag"])
    op.create_table(
        "typical_case_action",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("typical_case.id"), nullable=False),
        sa.Column("issue_id", sa.Integer(), sa.ForeignKey("supervisor_issue.id"), nullable=False, unique=True),
        sa.Column("owner_department", sa.String(100), nullable=False),
    )
    op.create_index("ix_typical_case_action_case_id", "typical_case_action", ["case_id"])
    op.create_table(
        "unit_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("company_id", sa.Integer(), sa.ForeignKey("company.id"), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("analysis", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("first_submitted_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_by", sa.String(64), nullable=False),
        sa.Column("resubmissions", sa.Integer(), nullable=False),
        sa.Column("returned_at", sa.DateTime()),
        sa.Column("returned_by", sa.String(64)),
        sa.Column("return_comment", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("company_id", "month", name="uq_unit_report_company_month"),
    )
    op.create_index("ix_unit_report_month", "unit_report", ["month"])


def downgrade() -> None:
    op.drop_table("unit_report")
    op.drop_table("typical_case_action")
    op.drop_table("typical_case_tag")
    op.drop_table("typical_case")
