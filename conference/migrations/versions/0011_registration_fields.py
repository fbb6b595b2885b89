"""registration form fields: the questions each event asks on its register page

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "registration_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("help_text", sa.Text(), server_default="", nullable=False),
        sa.Column("notice", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(
            "kind IN ('text', 'textarea', 'choice', 'multi', 'checkbox', 'consent')",
            name=op.f("ck_registration_fields_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_registration_fields_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_fields")),
        sa.UniqueConstraint("event_id", "key", name=op.f("uq_registration_fields_event_id_key")),
    )
    with op.batch_alter_table("registration_fields", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registration_fields_event_id"), ["event_id"], unique=False)


def downgrade():
    with op.batch_alter_table("registration_fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_fields_event_id"))
    op.drop_table("registration_fields")
