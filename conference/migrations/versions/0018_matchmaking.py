"""matchmaking: practices, expressions of interest (one per country and practice), their follow-up
notes, matchmaking sessions, meeting opt-ins, meetings and the slots that keep them from overlapping

Revision ID: 0018_matchmaking
Revises: 0017_board_feedback
Create Date: 2026-11-29 11:15:11.327590

"""

import sqlalchemy as sa
from alembic import op

import conference.db_types

revision = "0018_matchmaking"
down_revision = "0017_board_feedback"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mm_meeting_opt_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_mm_meeting_opt_ins_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mm_meeting_opt_ins_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mm_meeting_opt_ins")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_mm_meeting_opt_ins_event_id_user_id")),
    )
    with op.batch_alter_table("mm_meeting_opt_ins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mm_meeting_opt_ins_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mm_meeting_opt_ins_user_id"), ["user_id"], unique=False)

    op.create_table(
        "mm_practices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('published', 'hidden')", name=op.f("ck_mm_practices_status")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_mm_practices_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_mm_practices_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_mm_practices_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_mm_practices_session_id_programme_sessions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name=op.f("fk_mm_practices_track_id_tracks"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mm_practices")),
    )
    with op.batch_alter_table("mm_practices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mm_practices_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mm_practices_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mm_practices_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mm_practices_track_id"), ["track_id"], unique=False)

    op.create_table(
        "mm_sessions",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_mm_sessions_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_mm_sessions_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_mm_sessions")),
    )
    with op.batch_alter_table("mm_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mm_sessions_event_id"), ["event_id"], unique=False)

    op.create_table(
        "mm_interests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_changed_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.Column("created_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('proposed', 'contacted', 'in_progress', 'done', 'dropped')",
            name=op.f("ck_mm_interests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_mm_interests_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["mm_practices.id"],
            name=op.f("fk_mm_interests_practice_id_mm_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mm_interests")),
        sa.UniqueConstraint("practice_id", "country", name=op.f("uq_mm_interests_practice_id_country")),
    )
    with op.batch_alter_table("mm_interests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mm_interests_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mm_interests_practice_id"), ["practice_id"], unique=False)

    op.create_table(
        "mm_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("awaiting_id", sa.Integer(), nullable=True),
        sa.Column("practice_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("mode IN ('in_person', 'online')", name=op.f("ck_mm_meetings_mode")),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'cancelled')", name=op.f("ck_mm_meetings_status")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_mm_meetings_times_ordered")),
        sa.CheckConstraint("requester_id <> recipient_id", name=op.f("ck_mm_meetings_two_people")),
        sa.ForeignKeyConstraint(
            ["awaiting_id"], ["users.id"], name=op.f("fk_mm_meetings_awaiting_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_mm_meetings_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["mm_practices.id"],
            name=op.f("fk_mm_meetings_practice_id_mm_practices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["users.id"], name=op.f("fk_mm_meetings_recipient_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name=op.f("fk_mm_meetings_requester_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mm_meetings")),
    )
    with op.batch_alter_table("mm_meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mm_meetings_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mm_meetings_recipient_id"), ["recipient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mm_meetings_requester_id"), ["requester_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mm_meetings_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "mm_follow_up_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interest_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("created_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_mm_follow_up_notes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["interest_id"],
            ["mm_interests.id"],
            name=op.f("fk_mm_follow_up_notes_interest_id_mm_interests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mm_follow_up_notes")),
    )
    with op.batch_alter_table("mm_follow_up_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mm_follow_up_notes_interest_id"), ["interest_id"], unique=False)

    op.create_table(
        "mm_interest_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interest_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("wants", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interest_id"],
            ["mm_interests.id"],
            name=op.f("fk_mm_interest_members_interest_id_mm_interests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mm_interest_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mm_interest_members")),
        sa.UniqueConstraint(
            "interest_id", "user_id", name=op.f("uq_mm_interest_members_interest_id_user_id")
        ),
    )
    with op.batch_alter_table("mm_interest_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mm_interest_members_interest_id"), ["interest_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mm_interest_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "mm_meeting_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["mm_meetings.id"],
            name=op.f("fk_mm_meeting_slots_meeting_id_mm_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mm_meeting_slots_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mm_meeting_slots")),
        sa.UniqueConstraint("user_id", "starts_at", name=op.f("uq_mm_meeting_slots_user_id_starts_at")),
    )
    with op.batch_alter_table("mm_meeting_slots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mm_meeting_slots_meeting_id"), ["meeting_id"], unique=False)


def downgrade():
    with op.batch_alter_table("mm_meeting_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mm_meeting_slots_meeting_id"))

    op.drop_table("mm_meeting_slots")
    with op.batch_alter_table("mm_interest_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mm_interest_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_mm_interest_members_interest_id"))

    op.drop_table("mm_interest_members")
    with op.batch_alter_table("mm_follow_up_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mm_follow_up_notes_interest_id"))

    op.drop_table("mm_follow_up_notes")
    with op.batch_alter_table("mm_meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mm_meetings_starts_at"))
        batch_op.drop_index(batch_op.f("ix_mm_meetings_requester_id"))
        batch_op.drop_index(batch_op.f("ix_mm_meetings_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_mm_meetings_event_id"))

    op.drop_table("mm_meetings")
    with op.batch_alter_table("mm_interests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mm_interests_practice_id"))
        batch_op.drop_index(batch_op.f("ix_mm_interests_event_id"))

    op.drop_table("mm_interests")
    with op.batch_alter_table("mm_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mm_sessions_event_id"))

    op.drop_table("mm_sessions")
    with op.batch_alter_table("mm_practices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mm_practices_track_id"))
        batch_op.drop_index(batch_op.f("ix_mm_practices_session_id"))
        batch_op.drop_index(batch_op.f("ix_mm_practices_owner_id"))
        batch_op.drop_index(batch_op.f("ix_mm_practices_event_id"))

    op.drop_table("mm_practices")
    with op.batch_alter_table("mm_meeting_opt_ins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mm_meeting_opt_ins_user_id"))
        batch_op.drop_index(batch_op.f("ix_mm_meeting_opt_ins_event_id"))

    op.drop_table("mm_meeting_opt_ins")
