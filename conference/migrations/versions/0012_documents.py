"""documents: files attached to an event or one of its sessions

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 09:00:00

"""

import sqlalchemy as sa
from alembic import op

import conference.db_types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=80), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("visibility IN ('public', 'participants')", name=op.f("ck_documents_visibility")),
        sa.CheckConstraint("size >= 0", name=op.f("ck_documents_size_positive")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_documents_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_documents_session_id_programme_sessions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_documents_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_documents_storage_key")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_session_id"), ["session_id"], unique=False)


def downgrade():
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_session_id"))
        batch_op.drop_index(batch_op.f("ix_documents_event_id"))
    op.drop_table("documents")
