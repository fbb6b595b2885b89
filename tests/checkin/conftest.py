"""Check-in fixtures (defined in tests/checkin_support.py so the browser test can use them too)."""
from checkin_support import attendee_badge, venue  # noqa: F401
