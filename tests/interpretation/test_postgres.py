"""The channel rules on PostgreSQL, schema built by the migrations: one channel per language even when
two organisers add it at once, one floor, and a deleted session takes its channels along."""

from __future__ import annotations

import threading

import pytest
from manage_support import event_payload, session_payload
from pg_support import postgres_app
from sqlalchemy import func, select

from conference.errors import ServiceError
from conference.extensions import db
from conference.interpretation import services
from conference.interpretation.models import InterpretationChannel
from conference.interpretation.schemas import ChannelIn
from conference.programme import editing
from conference.programme.models import ProgrammeSession
from conference.programme.schemas import EventCreateIn, SessionIn

ARABIC = "https://www.youtube.com/watch?v=arabic12345"


@pytest.fixture()
def pg_app():
    with postgres_app("interpretation") as app:
        yield app


def channels(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(InterpretationChannel))


def test_channel_rules_hold_on_postgres(pg_app):
    with pg_app.app_context():
        event = editing.create_event(db.session, EventCreateIn(**event_payload()))
        session = editing.save_session(
            db.session,
            event,
            SessionIn(**session_payload(starts_at="2031-03-10T10:00", ends_at="2031-03-10T11:00")),
        )
        session_id = session.id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def add_arabic() -> None:
        with pg_app.app_context():
            target = db.session.get(ProgrammeSession, session_id)
            barrier.wait()
            try:
                services.create_channel(db.session, target, ChannelIn(language="ar", stream_url=ARABIC))
                outcomes.append("ok")
            except ServiceError as exc:
                outcomes.append(exc.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=add_arabic) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["channel_exists", "ok"]
    assert channels(pg_app) == 1

    with pg_app.app_context():
        target = db.session.get(ProgrammeSession, session_id)
        services.create_channel(db.session, target, ChannelIn(language="fr", stream_url=ARABIC, floor=True))
        with pytest.raises(ServiceError) as second_floor:
            services.create_channel(
                db.session, target, ChannelIn(language="es", stream_url=ARABIC, floor=True)
            )
        assert second_floor.value.code == "floor_exists"
        editing.delete_session(db.session, target)
    assert channels(pg_app) == 0
