"""Grants are per event: a moderator, staff member or organiser of event B has no say in event A,
and the global roles of old became grants on upgrade."""

from __future__ import annotations

import sqlite3

import pytest
from rooms.support import LIVE, call
from sqlalchemy import select

from conference import create_app
from conference.accounts.models import User
from conference.errors import Forbidden, ServiceError
from conference.extensions import db as _db
from conference.grants import checks
from conference.grants.models import EventGrant
from conference.grants.services import grant, grants_of, revoke
from conference.programme.models import ProgrammeSession


@pytest.fixture()
def two_events(app, make_event, make_user, make_registration):
    """Events A and B; each grant below is held at B only; Pat is registered for A."""
    a, b = make_event("event-a"), make_event("event-b")
    people = {role: make_user(name=f"{role.title()} of B") for role in ("organiser", "moderator", "staff")}
    pat = make_user(name="Pat Participant")
    make_registration(pat, a, "online")
    with app.app_context():
        event_b = _db.session.merge(b)
        for role, user in people.items():
            grant(_db.session, event_b, _db.session.merge(user), role)
        plenary_a = _db.session.scalars(
            select(ProgrammeSession.id).where(
                ProgrammeSession.event_id == a.id, ProgrammeSession.kind == "plenary"
            )
        ).one()
    return a, b, people, pat, plenary_a


def test_each_check_answers_for_its_own_event_only(db, two_events, make_user):
    a, b, people, _pat, plenary_a = two_events
    session_a = db.get(ProgrammeSession, plenary_a)
    session_b = db.scalars(select(ProgrammeSession).where(ProgrammeSession.event_id == b.id)).first()
    organiser, moderator, staff = (db.merge(people[r]) for r in ("organiser", "moderator", "staff"))
    assert checks.can_manage(db, organiser, b) and not checks.can_manage(db, organiser, a)
    assert checks.can_moderate(db, moderator, session_b) and not checks.can_moderate(db, moderator, session_a)
    assert checks.can_moderate(db, organiser, session_b) and not checks.can_moderate(db, staff, session_b)
    assert checks.can_scan(db, staff, b) and not checks.can_scan(db, staff, a)
    assert not checks.can_scan(db, moderator, b)
    for user in (organiser, moderator, staff):
        assert checks.can_see_people(db, user, b) and not checks.can_see_people(db, user, a)
    admin = db.merge(make_user("admin"))
    assert (
        checks.can_manage(db, admin, a)
        and checks.can_moderate(db, admin, session_a)
        and checks.can_scan(db, admin, a)
    )
    with pytest.raises(Forbidden) as caught:
        checks.ensure_can_manage(db, organiser, a)
    assert caught.value.code == "forbidden"


def test_a_session_moderator_runs_that_session_and_its_breakouts_only(db, make_event, make_user):
    event = db.merge(make_event())
    plenary, _thematic, workshop = sorted(event.sessions, key=lambda s: s.starts_at)
    room = ProgrammeSession(
        event_id=event.id,
        parent_id=workshop.id,
        title="Arabic room",
        kind="breakout",
        starts_at=workshop.starts_at,
        ends_at=workshop.ends_at,
    )
    db.add(room)
    db.commit()
    chair = db.merge(make_user())
    grant(db, event, chair, "moderator", session=workshop)
    assert checks.can_moderate(db, chair, workshop) and checks.can_moderate(db, chair, room)
    assert not checks.can_moderate(db, chair, plenary) and not checks.can_moderate_event(db, chair, event)
    assert checks.can_see_people(db, chair, event)


def test_grants_are_idempotent_and_validated(db, make_event, make_user):
    event, other = db.merge(make_event()), db.merge(make_event())
    person = db.merge(make_user())
    first = grant(db, event, person, "moderator")
    assert grant(db, event, person, "moderator").id == first.id
    with pytest.raises(ServiceError) as bad_role:
        grant(db, event, person, "overlord")
    assert bad_role.value.code == "invalid_role"
    with pytest.raises(ServiceError) as staff_session:
        grant(db, event, person, "staff", session=event.sessions[0])
    assert staff_session.value.code == "invalid_role"
    with pytest.raises(ServiceError) as elsewhere:
        grant(db, event, person, "moderator", session=other.sessions[0])
    assert elsewhere.value.code == "session_not_in_event"
    assert [g.role for g in grants_of(db, event)] == ["moderator"]
    revoke(db, event, first.id)
    assert grants_of(db, event) == [] and not checks.can_see_people(db, person, event)


def test_the_database_keeps_one_grant_per_person_role_and_scope(db, make_event, make_user):
    event = db.merge(make_event())
    person = db.merge(make_user())
    db.add_all(
        [
            EventGrant(event_id=event.id, user_id=person.id, role="staff"),
            EventGrant(event_id=event.id, user_id=person.id, role="staff"),
        ]
    )
    with pytest.raises(Exception) as caught:
        db.commit()
    assert "UNIQUE" in str(caught.value).upper()


def test_people_of_event_b_are_refused_in_event_a_pages_and_api(
    app, two_events, logged_in_client, make_token
):
    a, b, people, _pat, plenary_a = two_events
    for role, user in people.items():
        browser = logged_in_client(user)
        for url in (
            f"/events/{a.slug}/participants",
            f"/manage/events/{a.slug}/participants",
            f"/events/{a.slug}/attendance",
            f"/events/{a.slug}/attendance/participants.csv",
            f"/manage/events/{a.slug}",
            f"/events/{a.slug}/sessions/{plenary_a}/moderate",
            f"/events/{a.slug}/checkin",
            f"/events/{a.slug}/badges",
        ):
            assert browser.get(url).status_code == 403, (role, url)
        assert browser.get(f"/events/{b.slug}/participants").status_code == 301, role
        assert browser.get(f"/manage/events/{b.slug}/participants").status_code == 200, role
        assert browser.get(f"/manage/events/{b.slug}").status_code == 200, role
        token = {"Authorization": f"Bearer {make_token(user)}"}
        api = app.test_client()
        refused = api.get(f"/api/v1/events/{a.slug}/attendance", headers=token)
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
        assert api.get(f"/api/v1/events/{b.slug}/attendance", headers=token).status_code == 200
        stats = api.get(f"/api/v1/checkin/events/{a.slug}/stats", headers=token)
        assert stats.status_code == 403
    staff_b = {"Authorization": f"Bearer {make_token(people['staff'])}"}
    assert app.test_client().get(f"/api/v1/checkin/events/{b.slug}/stats", headers=staff_b).status_code == 200


def test_a_moderator_of_b_gets_forbidden_acks_in_a_and_a_changes_nothing(app, two_events, live_client):
    a, _b, people, pat, plenary_a = two_events
    participant = live_client(pat)
    assert call(participant, "join", {"session_id": plenary_a})["ok"]
    asked = call(participant, "question:ask", {"session_id": plenary_a, "text": "Who moderates here?"})
    assert asked["ok"], asked
    question_id = asked["question"]["id"]
    participant.get_received(LIVE)
    moderator = live_client(people["moderator"])
    joined = call(moderator, "join", {"session_id": plenary_a})
    assert joined["ok"] is False and joined["error"]["code"] == "not_registered"
    for event, payload in (
        ("question:moderate", {"question_id": question_id, "action": "approve"}),
        ("room:settings", {"session_id": plenary_a, "moderated": False}),
        (
            "poll:create",
            {"session_id": plenary_a, "title": "Hijack?", "kind": "multiple", "options": ["y", "n"]},
        ),
        ("room:who", {"session_id": plenary_a}),
        ("attendance:subscribe", {"event_slug": a.slug}),
        ("checkin:watch", {"event_id": a.id}),
    ):
        ack = call(moderator, event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (event, ack)
    assert participant.get_received(LIVE) == []
    with app.app_context():
        from conference.rooms.models import Question

        assert _db.session.get(Question, question_id).status == "pending"


def test_organisers_and_moderators_of_an_event_enter_its_rooms_without_registering(
    two_events, live_client, app, make_user
):
    _a, b, people, _pat, _plenary_a = two_events
    with app.app_context():
        session_b = _db.session.scalars(
            select(ProgrammeSession.id).where(
                ProgrammeSession.event_id == b.id, ProgrammeSession.kind == "plenary"
            )
        ).one()
    for role in ("organiser", "moderator", "staff"):
        ack = call(live_client(people[role]), "join", {"session_id": session_b})
        assert ack["ok"], (role, ack)
        assert ack["state"]["is_moderator"] is (role != "staff")


def _sqlite_at(path, revision: str):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        from flask_migrate import upgrade

        from conference.app import MIGRATIONS_DIR

        upgrade(directory=str(MIGRATIONS_DIR), revision=revision)
    return app


def test_upgrading_turns_global_roles_into_grants(tmp_path):
    """A database from before grants: its moderators moderate every event, its staff scan where assigned."""
    path = tmp_path / "old.db"
    _sqlite_at(path, "0005")
    raw = sqlite3.connect(path)
    raw.executescript("""
        INSERT INTO events (id, slug, title, venue, city, timezone, starts_at, ends_at, description)
        VALUES (1, 'one', 'One', '', '', 'UTC', '2030-01-01 00:00:00', '2030-01-02 00:00:00', ''),
               (2, 'two', 'Two', '', '', 'UTC', '2030-02-01 00:00:00', '2030-02-02 00:00:00', '');
        INSERT INTO users (id, email, name, organisation, role, session_version, created_at) VALUES
          (1, 'admin@x.org', 'Admin', '', 'admin', 1, '2030-01-01 00:00:00'),
          (2, 'mod@x.org', 'Mod', '', 'moderator', 1, '2030-01-01 00:00:00'),
          (3, 'staff@x.org', 'Staff', '', 'staff', 1, '2030-01-01 00:00:00'),
          (4, 'someone@x.org', 'Someone', '', 'attendee', 1, '2030-01-01 00:00:00');
        INSERT INTO event_staff (event_id, user_id, created_at) VALUES (2, 3, '2030-01-01 00:00:00');
        INSERT INTO programme_sessions (id, event_id, title, description, kind, starts_at, ends_at, room, language)
        VALUES (1, 1, 'Opening', '', 'plenary', '2030-01-01 01:00:00', '2030-01-01 02:00:00', '', 'en');
        INSERT INTO registrations (user_id, event_id, mode, status, created_at)
        VALUES (4, 1, 'online', 'confirmed', '2030-01-01 00:00:00');
    """)
    raw.commit()
    raw.close()
    app = _sqlite_at(path, "head")
    with app.app_context():
        rows = _db.session.execute(
            select(EventGrant.user_id, EventGrant.event_id, EventGrant.role).order_by(
                EventGrant.user_id, EventGrant.event_id
            )
        ).all()
        assert [tuple(r) for r in rows] == [(2, 1, "moderator"), (2, 2, "moderator"), (3, 2, "staff")]
        roles = dict(_db.session.execute(select(User.email, User.role)).all())
        assert roles == {
            "admin@x.org": "admin",
            "mod@x.org": "attendee",
            "staff@x.org": "attendee",
            "someone@x.org": "attendee",
        }
        # Rebuilding `events` and `users` (SQLite batch mode) must not cascade into what refers to them.
        from conference.registrations.models import Registration

        assert [s.title for s in _db.session.scalars(select(ProgrammeSession))] == ["Opening"]
        [registration] = _db.session.scalars(select(Registration)).all()
        assert registration.status == "confirmed" and registration.answers == {}
        _db.session.remove()
        _db.engine.dispose()
