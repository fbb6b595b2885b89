"""languages: the interface language a person chose with the header's switch; screens not counted online

Revision ID: 0016_i18n
Revises: 0015_calls
Create Date: 2026-11-29 11:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_i18n"
down_revision = "0015_calls"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    # The hall's projector follows a room without counting as a person online (issue #16).
    with op.batch_alter_table("room_presence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("screen", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("room_presence", schema=None) as batch_op:
        batch_op.drop_column("screen")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
