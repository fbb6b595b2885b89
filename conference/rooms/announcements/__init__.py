"""Announcements: a short message from the people who run an event to every live room of it at once."""
