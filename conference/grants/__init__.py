"""Per-event grants and the permission checks every feature asks (`checks`)."""
