"""calls: a call is keyed by a live room or by a matchmaking meeting (its two people, peer to peer)

Revision ID: 0023_meeting_calls
Revises: 0022_interpretation_channels
Create Date: 2026-11-29 15:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0023_meeting_calls"
down_revision = "0022_interpretation_channels"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("call_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_id", sa.Integer(), nullable=True))
        batch_op.alter_column("session_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_call_members_meeting_id_mm_meetings"),
            "mm_meetings",
            ["meeting_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_call_members_meeting_id_video_slot"), ["meeting_id", "video_slot"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_call_members_meeting_id_user_id"), ["meeting_id", "user_id"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_call_members_one_call"), "(session_id IS NULL) <> (meeting_id IS NULL)"
        )


def downgrade():
    # Meeting calls are live state (sockets): they end with the downgrade.
    op.execute("DELETE FROM call_members WHERE meeting_id IS NOT NULL")
    with op.batch_alter_table("call_members", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_call_members_one_call"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_call_members_meeting_id_user_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_call_members_meeting_id_video_slot"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_call_members_meeting_id_mm_meetings"), type_="foreignkey")
        batch_op.alter_column("session_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("meeting_id")
