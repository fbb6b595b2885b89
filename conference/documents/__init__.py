"""Documents attached to an event or one of its sessions (aide memoire, agenda, slides...)."""
