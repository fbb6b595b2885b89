"""security: API token scopes and expiry, login throttling per account, client and device

Existing tokens keep every scope (what they could do before); new ones carry the scopes their
owner picks. `login_throttles` counts failed sign-ins for the growing delay.

Revision ID: 0019_security_auth
Revises: 0018_matchmaking
Create Date: 2026-11-29 11:30:00

"""

import sqlalchemy as sa
from alembic import op

import conference.db_types

revision = "0019_security_auth"
down_revision = "0018_matchmaking"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column(
                "scopes", sa.String(length=100), nullable=False, server_default="read checkin live manage"
            )
        )
        batch.add_column(sa.Column("expires_at", conference.db_types.UTCDateTime(), nullable=True))
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.Float(), nullable=False),
        sa.Column("locked_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade():
    op.drop_table("login_throttles")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("scopes")
