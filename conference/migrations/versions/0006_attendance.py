"""attendance: no tables of its own (figures are computed from room_visits and checkin_movements).

This revision only joins the heads of the branches attendance builds on (rooms 0002, checkin 0003),
so that `conference init-db` has one head. The integrator re-chains it (down_revision = the
previous revision of the final linear chain) or drops it.

Revision ID: 0006
Revises: 0002, 0003
"""

revision = "0006"
down_revision = ("0002", "0003")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
