"""grants: per-event organisers, moderators and check-in staff

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 08:50:00

"""

import sqlalchemy as sa
from alembic import op

import conference.db_types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("created_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("role IN ('organiser', 'moderator', 'staff')", name=op.f("ck_event_grants_role")),
        sa.CheckConstraint(
            "session_id IS NULL OR role = 'moderator'", name=op.f("ck_event_grants_session_only_moderator")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_grants_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["users.id"],
            name=op.f("fk_event_grants_granted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_event_grants_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_event_grants_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_grants")),
    )
    with op.batch_alter_table("event_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_grants_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_grants_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_event_grants_event_wide",
            ["event_id", "user_id", "role"],
            unique=True,
            sqlite_where=sa.text("session_id IS NULL"),
            postgresql_where=sa.text("session_id IS NULL"),
        )
        batch_op.create_index(
            "uq_event_grants_session",
            ["session_id", "user_id", "role"],
            unique=True,
            sqlite_where=sa.text("session_id IS NOT NULL"),
            postgresql_where=sa.text("session_id IS NOT NULL"),
        )


def downgrade():
    with op.batch_alter_table("event_grants", schema=None) as batch_op:
        batch_op.drop_index("uq_event_grants_session")
        batch_op.drop_index("uq_event_grants_event_wide")
        batch_op.drop_index(batch_op.f("ix_event_grants_user_id"))
        batch_op.drop_index(batch_op.f("ix_event_grants_event_id"))
    op.drop_table("event_grants")
