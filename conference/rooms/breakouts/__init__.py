"""Breakout rounds: a main session splits into child sessions (kind "breakout") and comes back."""
