"""schedule files: a speaker's guid from frab/pretalx schedule files, unique within the event

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("speakers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guid", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_speakers_event_id_guid"), ["event_id", "guid"])


def downgrade():
    with op.batch_alter_table("speakers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_speakers_event_id_guid"), type_="unique")
        batch_op.drop_column("guid")
