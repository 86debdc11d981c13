"""Links between cases of different regions (区域联动, D3 §3.2): each case's links to cases of
other regions, read by both cases' pages (the linked case's by ``linked_case_id``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_links",
        sa.Column("case_id", sa.String(length=110), nullable=False),
        sa.Column("linked_case_id", sa.String(length=110), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("linked_region", sa.String(length=40), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("linked_at", UTCDateTime(), nullable=False),
        sa.Column("linked_by_agency", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "linked_case_id"),
    )
    with op.batch_alter_table("case_links", schema=None) as batch_op:
        batch_op.create_index("ix_case_links_linked", ["linked_case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_links", schema=None) as batch_op:
        batch_op.drop_index("ix_case_links_linked")

    op.drop_table("case_links")
