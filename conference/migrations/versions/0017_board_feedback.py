"""board, feedback, certificates: questions moved to the discussion board, replies, votes and its open
period; session feedback (one answer per person and session); certificates of attendance

Revision ID: 0017_board_feedback
Revises: 0016_i18n
Create Date: 2026-11-29 11:19:01.199524

"""

import sqlalchemy as sa
from alembic import op

import conference.db_types

# revision identifiers, used by Alembic.
revision = "0017_board_feedback"
down_revision = "0016_i18n"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "board_settings",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("closes_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_board_settings_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_board_settings")),
    )
    op.create_table(
        "certificate_rules",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("min_percent", sa.Integer(), nullable=True),
        sa.Column("session_ids", sa.JSON(), nullable=False),
        sa.Column("updated_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('percent', 'sessions')", name=op.f("ck_certificate_rules_kind")),
        sa.CheckConstraint(
            "min_percent IS NULL OR (min_percent BETWEEN 1 AND 100)",
            name=op.f("ck_certificate_rules_min_percent_range"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_certificate_rules_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_certificate_rules")),
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("issued_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", conference.db_types.UTCDateTime(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_certificates_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["users.id"],
            name=op.f("fk_certificates_revoked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_certificates_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_certificates_event_id_user_id")),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificates_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificates_user_id"), ["user_id"], unique=False)

    op.create_table(
        "feedback_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "length(label) BETWEEN 1 AND 200", name=op.f("ck_feedback_questions_label_length")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_feedback_questions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_questions")),
        sa.UniqueConstraint("event_id", "label", name=op.f("uq_feedback_questions_event_id_label")),
    )
    with op.batch_alter_table("feedback_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_questions_event_id"), ["event_id"], unique=False)

    op.create_table(
        "feedback_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ratings", sa.JSON(), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=False),
        sa.Column("created_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_feedback_responses_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_feedback_responses_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_feedback_responses_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_responses")),
        sa.UniqueConstraint("session_id", "user_id", name=op.f("uq_feedback_responses_session_id_user_id")),
    )
    with op.batch_alter_table("feedback_responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_responses_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_responses_user_id"), ["user_id"], unique=False)

    op.create_table(
        "board_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("origin_question_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("asked_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.Column("created_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("length(text) BETWEEN 1 AND 500", name=op.f("ck_board_questions_text_length")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_board_questions_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["origin_question_id"],
            ["questions.id"],
            name=op.f("fk_board_questions_origin_question_id_questions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_board_questions_session_id_programme_sessions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_board_questions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_questions")),
        sa.UniqueConstraint("origin_question_id", name=op.f("uq_board_questions_origin_question_id")),
    )
    with op.batch_alter_table("board_questions", schema=None) as batch_op:
        batch_op.create_index("ix_board_questions_event_id_id", ["event_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_board_questions_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_board_questions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "board_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("is_answer", sa.Boolean(), nullable=False),
        sa.Column("created_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("length(text) BETWEEN 1 AND 2000", name=op.f("ck_board_replies_text_length")),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["board_questions.id"],
            name=op.f("fk_board_replies_question_id_board_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_board_replies_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_replies")),
    )
    with op.batch_alter_table("board_replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_replies_question_id"), ["question_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_board_replies_user_id"), ["user_id"], unique=False)

    op.create_table(
        "board_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["board_questions.id"],
            name=op.f("fk_board_votes_question_id_board_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_board_votes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_votes")),
        sa.UniqueConstraint("question_id", "user_id", name=op.f("uq_board_votes_question_id_user_id")),
    )
    with op.batch_alter_table("board_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_votes_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("board_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_votes_user_id"))

    op.drop_table("board_votes")
    with op.batch_alter_table("board_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_replies_user_id"))
        batch_op.drop_index(batch_op.f("ix_board_replies_question_id"))

    op.drop_table("board_replies")
    with op.batch_alter_table("board_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_questions_user_id"))
        batch_op.drop_index(batch_op.f("ix_board_questions_session_id"))
        batch_op.drop_index("ix_board_questions_event_id_id")

    op.drop_table("board_questions")
    with op.batch_alter_table("feedback_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_responses_user_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_responses_event_id"))

    op.drop_table("feedback_responses")
    with op.batch_alter_table("feedback_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_questions_event_id"))

    op.drop_table("feedback_questions")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificates_user_id"))
        batch_op.drop_index(batch_op.f("ix_certificates_event_id"))

    op.drop_table("certificates")
    op.drop_table("certificate_rules")
    op.drop_table("board_settings")
