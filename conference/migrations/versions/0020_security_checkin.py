"""security and check-in: a door list may keep admitting after its session ends (off by default);
live-room presence rows name the server process holding the socket (its INSTANCE_ID)

Revision ID: 0020_security_checkin
Revises: 0019_security_auth
Create Date: 2026-11-29 11:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020_security_checkin"
down_revision = "0019_security_auth"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("checkin_lists", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("admits_after_end", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("room_presence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("instance_id", sa.String(length=120), nullable=False, server_default="")
        )
        batch_op.create_index(batch_op.f("ix_room_presence_instance_id"), ["instance_id"], unique=False)


def downgrade():
    with op.batch_alter_table("room_presence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_presence_instance_id"))
        batch_op.drop_column("instance_id")
    with op.batch_alter_table("checkin_lists", schema=None) as batch_op:
        batch_op.drop_column("admits_after_end")
