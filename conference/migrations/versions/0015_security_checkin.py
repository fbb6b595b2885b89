"""security and check-in: a door list may keep admitting after its session ends (off by default)

Revision ID: 0015_security_checkin
Revises: 0014
Create Date: 2026-11-29 11:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_security_checkin"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("checkin_lists", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("admits_after_end", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("checkin_lists", schema=None) as batch_op:
        batch_op.drop_column("admits_after_end")
