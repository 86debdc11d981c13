"""A mechanism's routines (``cases.routines``): joint meetings and their decisions, bulletins and
the rendered papers of both, and the procuratorate's list of cases that should have been referred
with the daily scans that keep it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.tables import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulletins",
        sa.Column("bulletin_id", sa.String(length=160), nullable=False),
        sa.Column("mechanism", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("routine", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=2000), nullable=False),
        sa.Column("covers_from", UTCDateTime(), nullable=False),
        sa.Column("covers_to", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("formats", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("bulletin_id"),
    )
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bulletins_region_published", ["region", "published_at"], unique=False
        )

    op.create_table(
        "meeting_decisions",
        sa.Column("meeting_id", sa.String(length=160), nullable=False),
        sa.Column("decision_id", sa.String(length=10), nullable=False),
        sa.Column("mechanism", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("meeting_id", "decision_id"),
    )
    with op.batch_alter_table("meeting_decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_decisions_open", ["mechanism", "region", "done_at"], unique=False
        )

    op.create_table(
        "meetings",
        sa.Column("meeting_id", sa.String(length=160), nullable=False),
        sa.Column("mechanism", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("routine", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opens_at", UTCDateTime(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("agenda_size", sa.Integer(), nullable=False),
        sa.Column("decisions_open", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id"),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index("ix_meetings_region_opens", ["region", "opens_at"], unique=False)

    op.create_table(
        "referral_scans",
        sa.Column("scan_id", sa.String(length=160), nullable=False),
        sa.Column("mechanism", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("listed", sa.Integer(), nullable=False),
        sa.Column("named_again", sa.Integer(), nullable=False),
        sa.Column("standing", sa.Integer(), nullable=False),
        sa.Column("previous", sa.String(length=160), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("scan_id"),
    )
    with op.batch_alter_table("referral_scans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referral_scans_latest", ["mechanism", "region", "at"], unique=False
        )

    op.create_table(
        "referral_watch",
        sa.Column("case_id", sa.String(length=110), nullable=False),
        sa.Column("mechanism", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("listed_at", UTCDateTime(), nullable=False),
        sa.Column("named_at", UTCDateTime(), nullable=False),
        sa.Column("scan_id", sa.String(length=160), nullable=False),
        sa.Column("cleared_at", UTCDateTime(), nullable=True),
        sa.Column("cleared", sa.String(length=20), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("marked_by_agency", sa.String(length=40), nullable=True),
        sa.Column("marked_by_role", sa.String(length=20), nullable=True),
        sa.Column("marked_by_person", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("case_id"),
    )
    with op.batch_alter_table("referral_watch", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referral_watch_region",
            ["mechanism", "region", "cleared_at", "listed_at"],
            unique=False,
        )

    op.create_table(
        "routine_papers",
        sa.Column("paper_id", sa.String(length=160), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("paper_id", "format"),
    )


def downgrade() -> None:
    op.drop_table("routine_papers")
    with op.batch_alter_table("referral_watch", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_watch_region")

    op.drop_table("referral_watch")
    with op.batch_alter_table("referral_scans", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_scans_latest")

    op.drop_table("referral_scans")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_meetings_region_opens")

    op.drop_table("meetings")
    with op.batch_alter_table("meeting_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_decisions_open")

    op.drop_table("meeting_decisions")
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.drop_index("ix_bulletins_region_published")

    op.drop_table("bulletins")
