"""Hybrid attendance: who was there, online and on site, computed from room visits and check-ins."""
