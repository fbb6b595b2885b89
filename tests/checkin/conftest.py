"""Check-in fixtures (defined in tests/checkin_support.py so the browser test can use them too)."""

from cast_support import cast  # noqa: F401 - the permission-table people (doors tests)
from checkin_support import attendee_badge, venue  # noqa: F401
