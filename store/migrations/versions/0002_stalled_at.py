"""Each case says when it stalls (``cases.stalled.stalled_at``), by its own copy of its mechanism;
the overview reads one range of ``ix_cases_stalled`` instead of one per shipped mechanism.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Cases written before it get ``updated_at`` plus the span their mechanism shipped with on this day
(15 days, a supervision value; 3 minutes on demo-fast); each case's next write puts its own.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

QUIET = "stalled_at IS NOT NULL AND workflow_status IS NULL"
WAS_QUIET = "closed_at IS NULL AND next_deadline IS NULL AND workflow_status IS NULL"
SHIPPED = {
    "env-police": timedelta(days=15),
    "o310": timedelta(days=15),
    "national-2017": timedelta(days=15),
    "township-county": timedelta(days=15),
    "urban-police": timedelta(days=15),
    "animal-health-police": timedelta(days=15),
    "demo-fast": timedelta(minutes=3),
}
cases = sa.table(
    "cases",
    sa.column("case_id", sa.String()),
    sa.column("mechanism", sa.String()),
    sa.column("updated_at", UTCDateTime()),
    sa.column("stalled_at", UTCDateTime()),
    sa.column("closed_at", UTCDateTime()),
    sa.column("next_deadline", UTCDateTime()),
)


def upgrade() -> None:
    # Plain ALTERs (SQLite has both): a batch would copy the table, and lose its search triggers.
    op.add_column("cases", sa.Column("stalled_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_index("ix_cases_quiet", table_name="cases")
    op.create_index(
        "ix_cases_stalled",
        "cases",
        ["region", "stalled_at", "case_id"],
        sqlite_where=sa.text(QUIET),
        postgresql_where=sa.text(QUIET),
    )
    fill_stalled_at(op.get_bind())


def fill_stalled_at(bind: sa.Connection) -> None:
    """Also run by ``store.legacy`` for a read model made before migrations."""
    quiet = bind.execute(
        sa.select(cases.c.case_id, cases.c.mechanism, cases.c.updated_at).where(
            cases.c.closed_at.is_(None),
            cases.c.next_deadline.is_(None),
            cases.c.mechanism.in_(SHIPPED),
        )
    ).all()
    if quiet:
        bind.execute(
            cases.update()
            .where(cases.c.case_id == sa.bindparam("id"))
            .values(stalled_at=sa.bindparam("at", type_=UTCDateTime())),
            [{"id": c, "at": at + SHIPPED[m]} for c, m, at in quiet],
        )


def downgrade() -> None:
    op.drop_index("ix_cases_stalled", table_name="cases")
    op.create_index(
        "ix_cases_quiet",
        "cases",
        ["region", "mechanism", "updated_at", "case_id"],
        sqlite_where=sa.text(WAS_QUIET),
        postgresql_where=sa.text(WAS_QUIET),
    )
    op.drop_column("cases", "stalled_at")
