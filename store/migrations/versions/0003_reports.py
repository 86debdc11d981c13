"""Public reports before they become cases (``cases.reports``): the reports, the agencies that held
each, their events, and the audit trail of every look at a reporter's identity.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_agencies",
        sa.Column("report_id", sa.String(length=110), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("report_id", "agency"),
    )
    with op.batch_alter_table("report_agencies", schema=None) as batch_op:
        batch_op.create_index("ix_report_agencies_agency", ["agency"], unique=False)

    op.create_table(
        "report_events",
        sa.Column("report_id", sa.String(length=110), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("text", sa.String(length=6000), nullable=False),
        sa.Column("text_en", sa.String(length=6000), nullable=False),
        sa.PrimaryKeyConstraint("report_id", "seq"),
    )
    op.create_table(
        "reporter_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.String(length=110), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("principal", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reporter_views", schema=None) as batch_op:
        batch_op.create_index("ix_reporter_views_report", ["report_id", "at"], unique=False)

    op.create_table(
        "reports",
        sa.Column("report_id", sa.String(length=110), nullable=False),
        sa.Column("intake_ref", sa.String(length=64), nullable=False),
        sa.Column("mechanism", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("received_by", sa.String(length=40), nullable=False),
        sa.Column("owner_agency", sa.String(length=40), nullable=False),
        sa.Column("about_agency", sa.String(length=40), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("ongoing", sa.Boolean(), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("seen", sa.String(length=5000), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("can_reply", sa.Boolean(), nullable=False),
        sa.Column("reporter_sealed", sa.String(length=4000), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("case_id", sa.String(length=110), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("stopped_at", UTCDateTime(), nullable=True),
        sa.Column("breached_at", UTCDateTime(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("reward", sa.String(length=20), nullable=False),
        sa.Column("reward_yuan", sa.Integer(), nullable=False),
        sa.Column("replies_sent", sa.Integer(), nullable=False),
        sa.Column("identity_roles", sa.JSON(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("report_id"),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index("ix_reports_owner", ["owner_agency"], unique=False)
        batch_op.create_index("ix_reports_region_received", ["region", "received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_region_received")
        batch_op.drop_index("ix_reports_owner")

    op.drop_table("reports")
    with op.batch_alter_table("reporter_views", schema=None) as batch_op:
        batch_op.drop_index("ix_reporter_views_report")

    op.drop_table("reporter_views")
    op.drop_table("report_events")
    with op.batch_alter_table("report_agencies", schema=None) as batch_op:
        batch_op.drop_index("ix_report_agencies_agency")

    op.drop_table("report_agencies")
