"""Registrations: who takes part in which event, in person or online."""
