"""languages: the interface language a person chose with the header's switch

Revision ID: 0015_i18n
Revises: 0014
Create Date: 2026-11-29 11:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_i18n"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
