"""interpretation channels: one stream per language for a session (the floor and each booth),
UNIQUE(session_id, language), at most one floor per session

Revision ID: 0022_interpretation_channels
Revises: 0021_call_audiobridge (re-chained after main gained it; written on 0020_security_checkin)
Create Date: 2026-11-29 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0022_interpretation_channels"
down_revision = "0021_call_audiobridge"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "interpretation_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("label", sa.String(length=80), server_default="", nullable=False),
        sa.Column("stream_url", sa.String(length=500), nullable=False),
        sa.Column("is_floor", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("live", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_interpretation_channels_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpretation_channels")),
        sa.UniqueConstraint("session_id", "language", name="uq_interpretation_channels_session_language"),
    )
    op.create_index(
        "uq_interpretation_channels_one_floor",
        "interpretation_channels",
        ["session_id"],
        unique=True,
        sqlite_where=sa.text("is_floor"),
        postgresql_where=sa.text("is_floor"),
    )


def downgrade():
    op.drop_index("uq_interpretation_channels_one_floor", table_name="interpretation_channels")
    op.drop_table("interpretation_channels")
