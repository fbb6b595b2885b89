"""calls: the Janus plugin carrying a call's room (videoroom, or audiobridge for large audio-only rooms)

Revision ID: 0021_call_audiobridge
Revises: 0020_security_checkin
Create Date: 2026-11-29 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0021_call_audiobridge"
down_revision = "0020_security_checkin"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("call_rooms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("janus_plugin", sa.String(length=16), nullable=True))
    # Janus rooms opened before this revision are videorooms.
    op.execute("UPDATE call_rooms SET janus_plugin = 'videoroom' WHERE janus_room IS NOT NULL")


def downgrade():
    with op.batch_alter_table("call_rooms", schema=None) as batch_op:
        batch_op.drop_column("janus_plugin")
