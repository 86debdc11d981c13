"""The read model as it stood when migrations began: every table and index, and text search.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Written out, not derived from the models: a migration is the schema of its day, and the models move
on. A read model made before migrations (``store.db.create_tables`` of earlier versions) is brought
to this revision by ``store.legacy`` and stamped, not created again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.textsearch import install_text_search

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency_figures",
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("decided", sa.Integer(), nullable=False),
        sa.Column("filed", sa.Integer(), nullable=False),
        sa.Column("fed_back", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("region", "agency"),
    )
    op.create_table(
        "archived_cases",
        sa.Column("case_id", sa.String(length=110), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "case_agencies",
        sa.Column("case_id", sa.String(length=110), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "agency"),
    )
    op.create_index("ix_case_agencies_agency", "case_agencies", ["agency"], unique=False)
    op.create_table(
        "case_figures",
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("decided", sa.Integer(), nullable=False),
        sa.Column("filed", sa.Integer(), nullable=False),
        sa.Column("fed_back", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=110), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("accept_hours", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("case_id", "agency"),
    )
    op.create_index(
        "ix_case_figures_accept", "case_figures", ["region", "agency", "accept_hours"], unique=False
    )
    op.create_index("ix_case_figures_agency", "case_figures", ["agency"], unique=False)
    op.create_table(
        "case_views",
        sa.Column("case_id", sa.String(length=110), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("profile_key", sa.String(length=32), nullable=False),
        sa.Column("calendar_key", sa.String(length=32), nullable=False),
        sa.Column("registry_key", sa.String(length=32), nullable=False),
        sa.Column("calls_in_flight", sa.Integer(), nullable=False),
        sa.Column("answering_calls", sa.Integer(), nullable=False),
        sa.Column("wake", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(length=110), nullable=False),
        sa.Column("intake_ref", sa.String(length=64), nullable=False),
        sa.Column("mechanism", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "discovery",
                "evidence",
                "referral_approval",
                "referral_sending",
                "acceptance",
                "filing_decision",
                "not_filed",
                "reconsideration",
                "supervision",
                "detention_review",
                "handover",
                "investigation",
                "prosecution",
                "trial",
                "admin_penalty",
                "archiving",
                "archived",
                name="stage",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("discovering_agency", sa.String(length=40), nullable=False),
        sa.Column("owner_agency", sa.String(length=40), nullable=False),
        sa.Column("move_agency", sa.String(length=40), nullable=True),
        sa.Column(
            "move_role",
            sa.Enum(
                "intake",
                "officer",
                "approver",
                "coordinator",
                "leader",
                "procurator",
                name="role",
                native_enum=False,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("police_agency", sa.String(length=40), nullable=True),
        sa.Column(
            "classification",
            sa.Enum(
                "administrative",
                "public_security",
                "crime",
                name="classification",
                native_enum=False,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column(
            "suggested",
            sa.Enum(
                "administrative",
                "public_security",
                "crime",
                name="classification",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("key_case", sa.Boolean(), nullable=False),
        sa.Column("supervised", sa.Boolean(), nullable=False),
        sa.Column("next_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_error", sa.String(length=2000), nullable=True),
        sa.Column("referred", sa.Boolean(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("intake", sa.JSON(), nullable=True),
        sa.Column("workflow_status", sa.String(length=20), nullable=True),
        sa.Column("workflow_ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_cases_deadline", "cases", ["next_deadline"], unique=False)
    op.create_index(
        "ix_cases_ended",
        "cases",
        ["workflow_status"],
        unique=False,
        sqlite_where=sa.text("workflow_status IS NOT NULL"),
        postgresql_where=sa.text("workflow_status IS NOT NULL"),
    )
    op.create_index("ix_cases_intake_ref", "cases", ["intake_ref"], unique=False)
    op.create_index(
        "ix_cases_move", "cases", ["move_agency", "move_role", "next_deadline"], unique=False
    )
    op.create_index(
        "ix_cases_not_referred",
        "cases",
        ["region", "updated_at", "case_id"],
        unique=False,
        sqlite_where=sa.text(
            "referred = false AND stage IN ('admin_penalty', 'archiving', 'archived') AND suggested IN ('crime', 'public_security')"
        ),
        postgresql_where=sa.text(
            "referred = false AND stage IN ('admin_penalty', 'archiving', 'archived') AND suggested IN ('crime', 'public_security')"
        ),
    )
    op.create_index("ix_cases_opened", "cases", ["opened_at", "case_id"], unique=False)
    op.create_index("ix_cases_owner", "cases", ["owner_agency"], unique=False)
    op.create_index("ix_cases_police", "cases", ["police_agency"], unique=False)
    op.create_index(
        "ix_cases_quiet",
        "cases",
        ["region", "mechanism", "updated_at", "case_id"],
        unique=False,
        sqlite_where=sa.text(
            "closed_at IS NULL AND next_deadline IS NULL AND workflow_status IS NULL"
        ),
        postgresql_where=sa.text(
            "closed_at IS NULL AND next_deadline IS NULL AND workflow_status IS NULL"
        ),
    )
    op.create_index("ix_cases_region_deadline", "cases", ["region", "next_deadline"], unique=False)
    op.create_index(
        "ix_cases_region_escalated",
        "cases",
        ["region", "opened_at", "case_id"],
        unique=False,
        sqlite_where=sa.text("escalation_level > 0"),
        postgresql_where=sa.text("escalation_level > 0"),
    )
    op.create_index(
        "ix_cases_region_key", "cases", ["region", "key_case", "opened_at", "case_id"], unique=False
    )
    op.create_index(
        "ix_cases_region_opened", "cases", ["region", "opened_at", "case_id"], unique=False
    )
    op.create_index(
        "ix_cases_region_stage", "cases", ["region", "stage", "opened_at", "case_id"], unique=False
    )
    op.create_index("ix_cases_stage", "cases", ["stage"], unique=False)
    op.create_table(
        "clocks",
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("title_zh", sa.String(length=60), nullable=False),
        sa.Column("title_en", sa.String(length=120), nullable=False),
        sa.Column(
            "owner_party",
            sa.Enum(
                "referring",
                "receiving",
                "procuratorate",
                "monitoring",
                "appraisal",
                "transfer_target",
                "county_government",
                "consulted",
                "superior",
                "joint_office",
                "leadership_group",
                name="party",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("owner_agency", sa.String(length=40), nullable=False),
        sa.Column(
            "owner_role",
            sa.Enum(
                "intake",
                "officer",
                "approver",
                "coordinator",
                "leader",
                "procurator",
                name="role",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column(
            "unit",
            sa.Enum(
                "days",
                "working_days",
                "hours",
                "minutes",
                "seconds",
                name="unit",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("statutory", sa.Boolean(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_to", sa.JSON(), nullable=False),
        sa.Column("acknowledged", sa.JSON(), nullable=True),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=60), nullable=True),
        sa.Column("case_id", sa.String(length=110), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "ordinal"),
    )
    op.create_index(
        "ix_clocks_escalated_closed",
        "clocks",
        ["closed_at"],
        unique=False,
        sqlite_where=sa.text("escalation_level > 0 AND closed_at IS NOT NULL"),
        postgresql_where=sa.text("escalation_level > 0 AND closed_at IS NOT NULL"),
    )
    op.create_index(
        "ix_clocks_open_all",
        "clocks",
        ["due_at", "case_id", "ordinal", "paused_at", "escalation_level", "owner_agency", "region"],
        unique=False,
        sqlite_where=sa.text("closed_at IS NULL"),
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_index(
        "ix_clocks_open_region",
        "clocks",
        ["region", "due_at", "case_id", "ordinal", "paused_at", "escalation_level", "owner_agency"],
        unique=False,
        sqlite_where=sa.text("closed_at IS NULL"),
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_table(
        "clues",
        sa.Column("clue_id", sa.String(length=80), nullable=False),
        sa.Column("case_id", sa.String(length=110), nullable=False),
        sa.Column("sender_agency", sa.String(length=40), nullable=False),
        sa.Column("sender_principal", sa.Integer(), nullable=False),
        sa.Column("sender_role", sa.String(length=20), nullable=False),
        sa.Column("sender_person", sa.String(length=200), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("conduct", sa.JSON(), nullable=False),
        sa.Column("account", sa.String(length=5000), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("clue_id"),
    )
    op.create_index("ix_clues_case", "clues", ["case_id"], unique=False)
    op.create_index("ix_clues_recipient", "clues", ["recipient"], unique=False)
    op.create_index("ix_clues_sender", "clues", ["sender_principal"], unique=False)
    op.create_table(
        "evidence",
        sa.Column("case_id", sa.String(length=110), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("reference", sa.String(length=2000), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("recorded_by_agency", sa.String(length=40), nullable=False),
        sa.Column("recorded_by_role", sa.String(length=20), nullable=False),
        sa.Column("recorded_by_person", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("corrects", sa.Integer(), nullable=True),
        sa.Column("withdrawn", sa.Boolean(), nullable=True),
        sa.Column("reasons", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("case_id", "seq"),
    )
    op.create_table(
        "principals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_principals_agency", "principals", ["agency"], unique=False)
    op.create_index("ix_principals_key_prefix", "principals", ["key_prefix"], unique=True)
    op.create_table(
        "stored_files",
        sa.Column("case_id", sa.String(length=110), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("principal_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "sha256"),
    )
    op.create_index("ix_stored_files_principal", "stored_files", ["principal_id"], unique=False)
    op.create_table(
        "timeline",
        sa.Column("case_id", sa.String(length=110), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("actor_agency", sa.String(length=40), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=True),
        sa.Column("actor_person", sa.String(length=200), nullable=True),
        sa.Column("stage_from", sa.String(length=40), nullable=False),
        sa.Column("stage_to", sa.String(length=40), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "seq"),
    )
    install_text_search(op.get_bind(), fresh=True)


def downgrade() -> None:
    raise NotImplementedError("the first revision is not undone: drop the database instead")
