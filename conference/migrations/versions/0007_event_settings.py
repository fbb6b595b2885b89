"""event settings: publishing, registration settings, languages; session guid and Q&A default;
speaker bio and account; registration answers, status dates, invitations and new statuses;
users' last sign-in

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 09:00:00

"""

import sqlalchemy as sa
from alembic import op

import conference.db_types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(
            sa.Column("contact_email", sa.String(length=254), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("registration_opens_at", conference.db_types.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("registration_closes_at", conference.db_types.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("modes_offered", sa.String(length=16), server_default="both", nullable=False)
        )
        batch_op.add_column(sa.Column("in_person_capacity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("online_capacity", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("requires_approval", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("languages", sa.String(length=100), server_default="en", nullable=False)
        )
        batch_op.create_check_constraint("modes_offered", "modes_offered IN ('both', 'in_person', 'online')")
        batch_op.create_check_constraint(
            "in_person_capacity_positive", "in_person_capacity IS NULL OR in_person_capacity > 0"
        )
        batch_op.create_check_constraint(
            "online_capacity_positive", "online_capacity IS NULL OR online_capacity > 0"
        )

    with op.batch_alter_table("programme_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("questions_moderated", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("guid", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_programme_sessions_guid"), ["guid"])

    with op.batch_alter_table("speakers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bio", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_speakers_user_id_users"), "users", ["user_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_changed_at", conference.db_types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("answers", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("invited_at", conference.db_types.UTCDateTime(), nullable=True))
        batch_op.drop_constraint(batch_op.f("ck_registrations_status"), type_="check")
        batch_op.create_check_constraint(
            "status", "status IN ('confirmed', 'cancelled', 'pending', 'waitlisted', 'declined')"
        )
    op.execute("UPDATE registrations SET status_changed_at = created_at, answers = '{}'")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.alter_column("answers", existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_login_at", conference.db_types.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("last_login_at")
    op.execute("UPDATE registrations SET status = 'cancelled' WHERE status NOT IN ('confirmed', 'cancelled')")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_registrations_status"), type_="check")
        batch_op.create_check_constraint("status", "status IN ('confirmed', 'cancelled')")
        batch_op.drop_column("invited_at")
        batch_op.drop_column("answers")
        batch_op.drop_column("status_changed_at")
    with op.batch_alter_table("speakers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_speakers_user_id_users"), type_="foreignkey")
        batch_op.drop_column("user_id")
        batch_op.drop_column("bio")
    with op.batch_alter_table("programme_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_programme_sessions_guid"), type_="unique")
        batch_op.drop_column("guid")
        batch_op.drop_column("questions_moderated")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_events_online_capacity_positive"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_events_in_person_capacity_positive"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_events_modes_offered"), type_="check")
        for column in (
            "languages",
            "requires_approval",
            "online_capacity",
            "in_person_capacity",
            "modes_offered",
            "registration_closes_at",
            "registration_opens_at",
            "contact_email",
            "published",
        ):
            batch_op.drop_column(column)
