"""The event whose sessions are over, and its people (see after_talk_support)."""

from after_talk_support import past  # noqa: F401 - shared fixture
