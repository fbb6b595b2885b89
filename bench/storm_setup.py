"""Set-up shared by the live benchmarks (poll_storm.py, live_engine.py): an event with a plenary,
N registered attendees with API tokens and a moderator, and the ballots a poll holds in the database.

No side effects on import (poll_storm.py patches eventlet first; live_engine.py does not)."""

from __future__ import annotations

import secrets
from datetime import timedelta


def seed(database_url: str, n: int) -> dict:
    """An event, a session, n registered attendees with tokens and a moderator; returns the ids."""
    from sqlalchemy import inspect

    from conference import create_app
    from conference.accounts.models import ApiToken, User
    from conference.accounts.services import _digest
    from conference.cli import upgrade_schema
    from conference.db_types import utcnow
    from conference.extensions import db
    from conference.grants.services import grant
    from conference.programme.models import Event, ProgrammeSession
    from conference.registrations.models import Registration

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench-" + "x" * 40,
            "SOCKETIO_ASYNC_MODE": "threading",
        }
    )
    with app.app_context():
        if "users" not in inspect(db.engine).get_table_names():
            upgrade_schema()
        tag = secrets.token_hex(4)
        now = utcnow()
        event = Event(
            slug=f"storm-{tag}",
            title="Poll storm",
            timezone="UTC",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=5),
        )
        db.session.add(event)
        db.session.flush()
        session = ProgrammeSession(
            event_id=event.id,
            title="Storm plenary",
            kind="plenary",
            starts_at=now,
            ends_at=now + timedelta(hours=1),
        )
        db.session.add(session)
        users = [
            User(email=f"storm{i}-{tag}@example.org", name=f"Storm {i}", role="attendee") for i in range(n)
        ]
        moderator = User(email=f"storm-mod-{tag}@example.org", name="Storm moderator", role="attendee")
        db.session.add_all([*users, moderator])
        db.session.flush()
        grant(db.session, event, moderator, "moderator", commit=False)  # roles at an event are grants
        db.session.add_all(Registration(user_id=u.id, event_id=event.id, mode="online") for u in users)
        tokens = []
        for user in [*users, moderator]:
            token = "cf_" + secrets.token_urlsafe(32)
            db.session.add(ApiToken(user_id=user.id, token_hash=_digest(token), label="poll storm"))
            tokens.append(token)
        db.session.commit()
        ids = {"session_id": session.id, "tokens": tokens[:-1], "moderator_token": tokens[-1]}
        db.session.remove()
        db.engine.dispose()
    return ids


def ballots_in_database(database_url: str, poll_id: int) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM poll_ballots WHERE poll_id = :p"), {"p": poll_id}
        ).scalar()
    engine.dispose()
    return count
