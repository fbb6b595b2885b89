"""Live session rooms: presence, stream, chat, moderated Q&A, polls and breakouts."""
