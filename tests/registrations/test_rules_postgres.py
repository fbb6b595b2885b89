"""The waiting list under real concurrency on PostgreSQL (schema built by the migrations, 0011 included).

On PostgreSQL two inserts do not wait for each other, so without the event's places lock every
thread would count the others' rows as absent and take the last place. Skips without a server,
except when CI is set.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from concurrency_support import run_together
from pg_support import postgres_app
from sqlalchemy import select

from conference.accounts.models import User
from conference.accounts.services import create_user
from conference.errors import ServiceError
from conference.extensions import db
from conference.programme.models import Event
from conference.registrations import services
from conference.registrations.imports import apply_import
from conference.registrations.models import Registration, RegistrationField

THREADS = 10


@pytest.fixture()
def pg_app():
    with postgres_app("registrations") as app:
        yield app


def make_event(app, **settings) -> int:
    with app.app_context():
        start = datetime(2030, 5, 6, tzinfo=UTC)
        event = Event(
            slug="pg",
            title="PG",
            timezone="Asia/Seoul",
            starts_at=start,
            ends_at=start + timedelta(days=1),
            **settings,
        )
        db.session.add(event)
        db.session.commit()
        return event.id


def make_users(app, n: int) -> list[int]:
    with app.app_context():
        return [create_user(db.session, email=f"p{i}@example.org", name=f"P {i}").id for i in range(n)]


def statuses(app, event_id: int) -> list[str]:
    with app.app_context():
        return sorted(
            db.session.scalars(select(Registration.status).where(Registration.event_id == event_id))
        )


def test_many_people_for_the_last_place_at_once_get_one_place(pg_app):
    event_id = make_event(pg_app, in_person_capacity=1)
    users = make_users(pg_app, THREADS)

    def attempt(n):
        registration = services.register(
            db.session, db.session.get(User, users[n]), db.session.get(Event, event_id), "in_person"
        )
        if registration.status != "confirmed":
            raise ServiceError(registration.status)

    assert run_together(pg_app, attempt, THREADS) == ["ok"] + ["waitlisted"] * (THREADS - 1)
    assert statuses(pg_app, event_id) == ["confirmed"] + ["waitlisted"] * (THREADS - 1)


def test_online_places_are_never_oversold(pg_app):
    event_id = make_event(pg_app, online_capacity=3)
    users = make_users(pg_app, THREADS)
    outcomes = run_together(
        pg_app,
        lambda n: services.register(
            db.session, db.session.get(User, users[n]), db.session.get(Event, event_id), "online"
        ),
        THREADS,
    )
    assert outcomes == ["ok"] * 3 + ["online_full"] * (THREADS - 3)
    assert statuses(pg_app, event_id) == ["confirmed"] * 3


def test_cancellations_at_once_promote_each_waiting_person_once(pg_app):
    event_id = make_event(pg_app, in_person_capacity=4)
    users = make_users(pg_app, 8)
    with pg_app.app_context():
        for user_id in users:
            services.register(
                db.session, db.session.get(User, user_id), db.session.get(Event, event_id), "in_person"
            )

    def cancel(n):
        services.cancel_registration(db.session, services.find_registration(db.session, users[n], event_id))

    assert run_together(pg_app, cancel, 4) == ["ok"] * 4
    assert statuses(pg_app, event_id) == ["cancelled"] * 4 + ["confirmed"] * 4


def test_the_csv_import_with_answers_on_postgres(pg_app):
    event_id = make_event(pg_app, in_person_capacity=1)
    with pg_app.app_context():
        db.session.add(
            RegistrationField(
                event_id=event_id,
                key="gender",
                label="Gender",
                kind="choice",
                choices=["Woman", "Man"],
                position=0,
            )
        )
        db.session.commit()
        result = apply_import(
            db.session,
            db.session.get(Event, event_id),
            "email,name,organisation,country,mode,gender\n"
            "a@example.org,A,Org,KR,in_person,woman\nb@example.org,B,Org,KR,in_person,Man\n",
        )
        assert (result.registrations_created, result.waitlisted) == (2, 1)
        answers = dict(db.session.execute(select(User.email, Registration.answers).join(User)).all())
        assert answers == {"a@example.org": {"gender": "Woman"}, "b@example.org": {"gender": "Man"}}
    assert statuses(pg_app, event_id) == ["confirmed", "waitlisted"]
