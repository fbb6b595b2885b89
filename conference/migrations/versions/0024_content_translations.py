"""organisers' content in several languages: a `translations` JSON column ({field: {language: text}})
on events, programme sessions, polls, poll options and matchmaking practices

Revision ID: 0024_content_translations
Revises: 0023_meeting_calls
Create Date: 2026-11-29 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0024_content_translations"
down_revision = "0023_meeting_calls"
branch_labels = None
depends_on = None

TABLES = ("events", "programme_sessions", "polls", "poll_options", "mm_practices")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default="{}"))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("translations")
