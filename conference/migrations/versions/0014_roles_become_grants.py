"""roles become grants: the global moderator and staff roles turn into per-event grants

The global `moderator` role becomes a moderator grant on every existing event (what it allowed
before), each `event_staff` row becomes a staff grant, and those accounts become plain accounts
(`attendee`): only `admin` stays a platform-wide role. `event_staff` is gone.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 09:30:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import conference.db_types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    now = datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC, like UTCDateTime
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO event_grants (event_id, user_id, role, created_at) "
            "SELECT e.id, u.id, 'moderator', :now FROM users u CROSS JOIN events e WHERE u.role = 'moderator'"
        ),
        {"now": now},
    )
    bind.execute(
        sa.text(
            "INSERT INTO event_grants (event_id, user_id, role, created_at) "
            "SELECT event_id, user_id, 'staff', created_at FROM event_staff"
        )
    )
    bind.execute(sa.text("UPDATE users SET role = 'attendee' WHERE role IN ('moderator', 'staff')"))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint("role", "role IN ('admin', 'attendee')")

    with op.batch_alter_table("event_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_staff_user_id"))
        batch_op.drop_index(batch_op.f("ix_event_staff_event_id"))
    op.drop_table("event_staff")


def downgrade():
    op.create_table(
        "event_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", conference.db_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_staff_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_event_staff_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_staff")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_event_staff_event_id_user_id")),
    )
    with op.batch_alter_table("event_staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_staff_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_staff_user_id"), ["user_id"], unique=False)
    op.execute(
        "INSERT INTO event_staff (event_id, user_id, created_at) "
        "SELECT event_id, user_id, MIN(created_at) FROM event_grants WHERE role = 'staff' "
        "GROUP BY event_id, user_id"
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint("role", "role IN ('admin', 'moderator', 'staff', 'attendee')")
    op.execute(
        "UPDATE users SET role = 'moderator' WHERE role = 'attendee' AND id IN "
        "(SELECT user_id FROM event_grants WHERE role IN ('moderator', 'organiser'))"
    )
    op.execute(
        "UPDATE users SET role = 'staff' WHERE role = 'attendee' AND id IN "
        "(SELECT user_id FROM event_grants WHERE role = 'staff')"
    )
    op.execute("DELETE FROM event_grants WHERE role IN ('moderator', 'staff')")
