"""The programme: events, tracks, sessions and speakers."""
