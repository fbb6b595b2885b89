"""Every client→server event on /live answers junk with an ack, never a server fault, for any role.

(A payload that happens to be valid, such as `{"session_id": 1, ...}` for `join`, may succeed.)

The list of events comes from the registered handlers, so a feature added later is covered too.
"""

from __future__ import annotations

import pytest

from conference.realtime import LIVE, registered_events

JUNK = [
    None,
    [],
    "text",
    7,
    {},
    {"session_id": "1"},
    {"session_id": 2**70},
    {"session_id": -1},
    {"session_id": True},
    {"poll_id": None},
    {"question_id": [1]},
    {"message_id": 2**63},
    {"round_id": 2**40, "room_id": "x"},
    {"event_slug": {"a": 1}},
    {"event_id": 1.5},
    {"session_id": 1, "text": "\x00" * 10},
    {"poll_id": 2**70},
    {"question_id": 2**70},
    {"round_id": 2**70},
    {"event_id": 2**70},
    {"poll_id": 2**70, "choices": [2**70]},
]
SERVER_FAULTS = {"internal_error", "storage_failed"}


def live_events() -> list[str]:
    return sorted(name for name in registered_events(LIVE) if name not in ("connect", "disconnect", "*"))


def test_the_live_namespace_has_the_events_of_every_feature(app):
    names = set(live_events())
    assert {
        "join",
        "question:ask",
        "poll:vote",
        "breakout:join",
        "checkin:watch",
        "attendance:subscribe",
    } <= names


@pytest.mark.parametrize("role", ["attendee", "moderator"])
def test_junk_payloads_get_an_error_ack_never_a_server_fault(app, make_user, make_event, live_client, role):
    make_event()  # session 1 exists, so a valid-looking id reaches the rules
    client = live_client(make_user(role), token=True)
    faults = []
    for event in live_events():
        for payload in JUNK:
            ack = client.emit(event, payload, namespace=LIVE, callback=True)
            if not isinstance(ack, dict) or "ok" not in ack:
                faults.append((event, payload, ack))
            elif ack["ok"] is False and ack["error"]["code"] in SERVER_FAULTS:
                faults.append((event, payload, ack["error"]))
    assert faults == []
    assert client.is_connected(LIVE)
