"""calls: who is in which room's call, with what switched on; sessions can be interactive

Revision ID: 0015_calls
Revises: 0014
Create Date: 2026-11-29 11:40:00

"""

import sqlalchemy as sa
from alembic import op

from conference.db_types import UTCDateTime

revision = "0015_calls"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("programme_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("interactive", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "call_rooms",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("janus_room", sa.BigInteger(), nullable=True),
        sa.Column("janus_secret", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_call_rooms_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_call_rooms")),
        sa.UniqueConstraint("janus_room", name=op.f("uq_call_rooms_janus_room")),
    )
    op.create_table(
        "call_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("audio", sa.Boolean(), nullable=False),
        sa.Column("video", sa.Boolean(), nullable=False),
        sa.Column("screen", sa.Boolean(), nullable=False),
        sa.Column("video_slot", sa.Integer(), nullable=True),
        sa.Column("hand_raised_at", UTCDateTime(), nullable=True),
        sa.Column("janus_token", sa.String(length=64), nullable=True),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_call_members_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_call_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_members")),
        sa.UniqueConstraint("sid", name=op.f("uq_call_members_sid")),
        sa.UniqueConstraint("session_id", "video_slot", name=op.f("uq_call_members_session_id_video_slot")),
    )
    with op.batch_alter_table("call_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_members_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_members_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("call_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_call_members_session_id"))
    op.drop_table("call_members")
    op.drop_table("call_rooms")
    with op.batch_alter_table("programme_sessions", schema=None) as batch_op:
        batch_op.drop_column("interactive")
