"""QR badges and check-in at the venue: lists, scans, exits, undo, offline sync and live numbers."""
