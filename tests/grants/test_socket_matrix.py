"""The `/live` half of the authorization matrix in docs/security.md, checked against the app.

Every event the app handles has a row (and every row an event); every role the row's level does not
admit gets a refusal ack (forbidden, not_registered, ...) and every role it admits does not get a
role refusal (it may get another answer that depends on the room's state, e.g. a closed poll).
Refused roles go first on each row, so what an admitted role changes never hides a refusal; the
rows that end things (close, delete, recall, withdraw) come last. Anonymous sockets are refused at
the door (tests/test_realtime_auth.py)."""

from __future__ import annotations

import pytest
from grants.test_authorization_matrix import ROLES, _table, admitted_by_level

from conference.realtime import registered_events

LIVE = "/live"
# Answers that say "not for you": a role refusal, or the state-bound refusals of breakout rooms.
REFUSALS = {
    "forbidden",
    "not_registered",
    "unauthenticated",
    "insufficient_scope",
    "not_in_breakout",
    "not_assigned",
    "assigned_elsewhere",
    "not_in_room",  # calls: only the people in the room, who passed its check, enter its call
    "not_in_call",
}
ROLE_REFUSALS = {"forbidden", "not_registered", "unauthenticated", "insufficient_scope"}
ENDINGS = ("poll:delete", "chat:delete", "announcement:withdraw", "breakout:recall", "room:close")

PAYLOADS = {
    "join": {"session_id": 1},
    "leave": {"session_id": 1},
    "agenda:watch": {"event_id": 1},
    "agenda:unwatch": {"event_id": 1},
    "room:who": {"session_id": 1},
    "room:settings": {"session_id": 1, "moderated": True},
    "room:close": {"session_id": 1},
    "room:reopen": {"session_id": 1},
    "question:ask": {"session_id": 1, "text": "A question from the matrix?"},
    "question:vote": {"question_id": 1},
    "question:unvote": {"question_id": 1},
    "question:moderate": {"question_id": 1, "action": "approve"},
    "chat:send": {"session_id": 1, "text": "hello from the matrix"},
    "chat:delete": {"message_id": 1},
    "poll:create": {"session_id": 1, "title": "Another?", "kind": "single", "options": ["Yes", "No"]},
    "poll:update": {"poll_id": 1, "title": "Ready?", "kind": "single", "options": ["Yes", "No"]},
    "poll:delete": {"poll_id": 1},
    "poll:open": {"poll_id": 1},
    "poll:close": {"poll_id": 1},
    "poll:vote": {"poll_id": 1, "choices": [0]},
    "breakout:create": {"session_id": 3, "rooms": [{"name": "East"}, {"name": "West"}]},
    "breakout:assign": {"round_id": 1, "auto": True},
    "breakout:start": {"round_id": 1},
    "breakout:extend": {"round_id": 1, "seconds": 60},
    "breakout:recall": {"round_id": 1},
    "breakout:join": {"round_id": 1},
    "breakout:message": {"round_id": 1, "text": "Two minutes left"},
    "breakout:call_moderator": {"session_id": 4, "message": "help"},
    "announcement:send": {"event_id": 1, "text": "Coffee is served"},
    "announcement:withdraw": {"announcement_id": 1},
    "attendance:subscribe": {"event_slug": "event-a"},
    "attendance:unsubscribe": {"event_slug": "event-a"},
    "checkin:watch": {"event_id": 1},
    "call:join": {"session_id": 1},
    "call:leave": {"session_id": 1},
    "call:signal": {"session_id": 1, "to": 1, "kind": "offer", "sdp": "v=0"},
    "call:media": {"session_id": 1, "audio": True, "video": False},
    "call:hand": {"session_id": 1, "raised": True},
    "call:moderate": {"session_id": 1, "action": "mute", "member_id": 1},
    "interpretation:live": {"session_id": 1, "language": "ar", "live": False},
}


def documented_events() -> dict[str, str]:
    return {cells[0].strip("`"): cells[1] for cells in _table("events")}


def handled_events(app) -> set[str]:
    with app.app_context():
        return {e for e in registered_events() if e not in ("connect", "disconnect", "*")}


def test_every_live_event_has_a_row_and_a_payload(app):
    documented = documented_events()
    assert set(documented) == handled_events(app)
    assert set(documented.values()) <= set(admitted_by_level())
    assert set(PAYLOADS) == set(documented)


def ack(client, event, payload) -> dict:
    return client.emit(event, payload, namespace=LIVE, callback=True)


@pytest.fixture()
def sockets(app, make_event, make_user, make_registration, live_client):
    """Event A (sessions 1 plenary with a call, 2 thematic, 3 breakout parent), one socket per
    signed-in role, and row 1 of questions, chat, polls, breakout rounds (rooms 4, 5),
    announcements and call members."""
    make_event("event-a")
    with app.app_context():
        from conference.extensions import db as _db
        from conference.programme.models import ProgrammeSession

        _db.session.get(ProgrammeSession, 1).interactive = True  # the plenary has a call
        _db.session.commit()
    participant = make_user(name="Pat Participant")
    make_registration(participant, _event(app), "online")
    users = {
        "attendee": make_user(name="Ari Attendee"),
        "participant": participant,
        "staff": make_user("staff"),
        "moderator": make_user("moderator"),
        "organiser": make_user("organiser"),
        "admin": make_user("admin"),
    }
    clients = {role: live_client(user) for role, user in users.items()}
    p, m = clients["participant"], clients["moderator"]
    assert ack(p, "join", {"session_id": 1})["ok"]
    assert ack(m, "join", {"session_id": 1})["ok"]
    assert ack(p, "call:join", {"session_id": 1})["ok"]  # call member 1
    assert ack(p, "question:ask", {"session_id": 1, "text": "First question?"})["ok"]
    assert ack(p, "chat:send", {"session_id": 1, "text": "First line"})["ok"]
    assert ack(m, "poll:create", PAYLOADS["poll:create"])["ok"]
    assert ack(m, "breakout:create", PAYLOADS["breakout:create"])["ok"]
    assert ack(clients["organiser"], "announcement:send", PAYLOADS["announcement:send"])["ok"]
    for client in clients.values():
        client.get_received(LIVE)
    return clients


def _event(app):
    from conference.extensions import db as _db
    from conference.programme.models import Event

    with app.app_context():
        event = _db.session.query(Event).filter_by(slug="event-a").one()
        _db.session.expunge(event)
        return event


def test_each_role_gets_what_its_level_admits_on_live(app, sockets):
    levels, documented = admitted_by_level(), documented_events()
    rows = sorted(
        documented.items(), key=lambda item: ENDINGS.index(item[0]) + 1 if item[0] in ENDINGS else 0
    )
    wrongly_admitted, wrongly_refused = [], []
    for event, level in rows:
        admitted = levels[level]
        signed_in = [r for r in ROLES if r != "anonymous"]
        for role in sorted(signed_in, key=lambda r: r in admitted):  # refused roles first
            answer = ack(sockets[role], event, PAYLOADS[event])
            code = None if answer.get("ok") else answer["error"]["code"]
            if role not in admitted and code not in REFUSALS:
                wrongly_admitted.append((role, event, level, code))
            if role in admitted and code in ROLE_REFUSALS:
                wrongly_refused.append((role, event, level, code))
    assert wrongly_admitted == [], "\n".join(map(str, wrongly_admitted))
    assert wrongly_refused == [], "\n".join(map(str, wrongly_refused))
