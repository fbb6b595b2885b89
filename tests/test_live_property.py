"""A property test of the /live protocol (hypothesis): random, truncated and oversized payloads sent
to every registered event as every role always get an ack (`{"ok": ...}`), never a server fault,
the socket stays connected, and an event that is refused changes nothing in the database.

Bounded: a fixed number of examples (about a minute)."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from conference.extensions import db as _db
from conference.realtime import LIVE, registered_events
from conference.registrations.models import Registration

SERVER_FAULTS = {"internal_error", "storage_failed"}
ROLES = ("attendee", "moderator", "staff", "organiser")
KEYS = [
    "session_id",
    "poll_id",
    "question_id",
    "message_id",
    "round_id",
    "room_id",
    "event_id",
    "event_slug",
    "text",
    "choices",
    "rating",
    "words",
    "title",
    "kind",
    "options",
    "anonymous",
    "moderated",
    "duration_s",
    "user_ids",
    "seconds",
    "mode",
]

ids = st.one_of(st.integers(min_value=1, max_value=6), st.integers(), st.just(2**70))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    ids,
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from(["", "\x00", "<script>", "Ünïcødé", "é" * 600]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5),
    ),
    max_leaves=12,
)
objects = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6)
truncated = objects.flatmap(
    lambda value: st.integers(min_value=0, max_value=max(0, len(json.dumps(value)) - 1)).map(
        lambda cut: json.dumps(value)[:cut]
    )
)
oversized = st.builds(
    lambda key, n: {key: "x" * n, "session_id": 1}, st.sampled_from(KEYS), st.integers(20_000, 200_000)
)
payloads = st.one_of(objects, json_values, truncated, oversized)


def _state_digest() -> str:
    """A digest of every row of every table (ordered), to tell whether anything changed (the flood
    limits' counters included: a refusal rolls its count back too)."""
    digest = hashlib.sha256()
    for table in _db.metadata.sorted_tables:
        rows = _db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digest.update(table.name.encode())
        digest.update(repr(rows).encode())
    return digest.hexdigest()


@pytest.fixture()
def clients(app, make_event, make_user, make_registration, live_client):
    event = make_event()
    people = {role: make_user(role) for role in ROLES if role != "attendee"}
    people["attendee"] = make_user()
    make_registration(people["attendee"], event, "online")
    with app.app_context():
        assert _db.session.scalar(select(Registration.id))
    return {role: live_client(user, token=True) for role, user in people.items()}


def test_every_event_acks_any_payload_from_any_role_and_a_refusal_changes_nothing(app, clients):
    events = sorted(name for name in registered_events(LIVE) if name not in ("connect", "disconnect", "*"))
    assert len(events) > 20
    faults: list = []

    @given(event=st.sampled_from(events), role=st.sampled_from(ROLES), payload=payloads)
    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(event, role, payload):
        client = clients[role]
        with app.app_context():
            before = _state_digest()
        ack = client.emit(event, payload, namespace=LIVE, callback=True)
        client.get_received(LIVE)  # broadcasts are not the point here
        assert client.is_connected(LIVE), (event, role)
        if not isinstance(ack, dict) or "ok" not in ack:
            faults.append((event, role, payload, ack))
            return
        if ack["ok"] is False:
            if ack["error"]["code"] in SERVER_FAULTS:
                faults.append((event, role, str(payload)[:200], ack["error"]))
            with app.app_context():
                _db.session.expire_all()
                after = _state_digest()
            if after != before:
                faults.append((event, role, str(payload)[:200], "a refused event changed the database"))

    check()
    assert faults == [], faults[:10]
