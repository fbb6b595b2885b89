"""The dashboard's socket protocol: who may subscribe, and fresh figures after joins, leaves and scans."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conference import hooks
from conference.checkin.models import CheckinList, CheckinMovement
from conference.db_types import utcnow
from conference.extensions import db as _db
from conference.extensions import socketio
from conference.programme.models import ProgrammeSession
from conference.rooms.models import RoomVisit

LIVE = "/live"


def call(client, event, payload):
    return client.emit(event, payload, namespace=LIVE, callback=True)


def updates(client) -> list[dict]:
    return [m["args"][0] for m in client.get_received(LIVE) if m["name"] == "attendance:update"]


def session_of(report: dict, session_id: int) -> dict:
    return next(s for s in report["sessions"] if s["id"] == session_id)


@pytest.fixture()
def setting(app, make_event, make_user, make_registration):
    assert app.config["ATTENDANCE_BROADCAST_SECONDS"] == 0  # testing: refresh at once, after each change
    event = make_event("symposium")
    with app.app_context():
        plenary = _db.session.query(ProgrammeSession).filter_by(event_id=event.id, kind="plenary").one().id
    online = make_user(name="Olga Online", country="MN")
    in_person = make_user(name="Pita Present", country="TO")
    make_registration(online, event, "online")
    registration = make_registration(in_person, event, "in_person")
    return event, plenary, online, in_person, registration


def test_organisers_subscribe_and_get_the_report(setting, make_user, live_client):
    _event, plenary, *_ = setting
    for role in ("staff", "moderator", "admin"):
        ack = call(live_client(make_user(role)), "attendance:subscribe", {"event_slug": "symposium"})
        assert ack["ok"] is True, ack
        assert ack["report"]["totals"]["participants"] == 0
        assert next(s["id"] for s in ack["report"]["sessions"]) == plenary


def test_bad_subscriptions_get_error_acks(setting, make_user, live_client):
    staff = live_client(make_user("staff"))
    assert call(staff, "attendance:subscribe", {"event_slug": "nope"})["error"]["code"] == "event_not_found"
    assert call(staff, "attendance:subscribe", {"slug": "symposium"})["error"]["code"] == "invalid_payload"
    assert call(staff, "attendance:subscribe", "symposium")["error"]["code"] == "invalid_payload"


def test_an_attendee_cannot_subscribe_and_hears_nothing(setting, make_user, live_client):
    _event, plenary, online, *_ = setting
    attendee_socket = live_client(online, token=True)
    ack = call(attendee_socket, "attendance:subscribe", {"event_slug": "symposium"})
    assert ack == {
        "ok": False,
        "error": {"code": "forbidden", "message": "attendance figures are for the people who run this event"},
    }
    staff = live_client(make_user("staff"))
    assert call(staff, "attendance:subscribe", {"event_slug": "symposium"})["ok"]
    assert call(attendee_socket, "join", {"session_id": plenary})["ok"]
    assert len(updates(staff)) == 1
    assert updates(attendee_socket) == []


def test_joins_and_leaves_refresh_the_dashboard(app, setting, make_user, live_client):
    _event, plenary, online, *_ = setting
    staff = live_client(make_user("staff"))
    assert call(staff, "attendance:subscribe", {"event_slug": "symposium"})["ok"]
    participant = live_client(online)

    assert call(participant, "join", {"session_id": plenary})["ok"]
    [after_join] = updates(staff)
    assert session_of(after_join, plenary)["now"] == {"online": 1, "on_site": 0, "combined": 1}
    assert after_join["totals"]["participants"] == 1 and after_join["countries"] == [
        {"code": "MN", "name": "Mongolia", "count": 1, "online": 1, "on_site": 0}
    ]

    assert call(participant, "leave", {"session_id": plenary})["ok"]
    [after_leave] = updates(staff)
    assert session_of(after_leave, plenary)["now"]["online"] == 0
    assert session_of(after_leave, plenary)["online"] == 1  # attended, even though gone now

    again = live_client(online)
    assert call(again, "join", {"session_id": plenary})["ok"]
    assert session_of(updates(staff)[-1], plenary)["now"]["online"] == 1
    again.disconnect(namespace=LIVE)
    final = updates(staff)[-1]
    assert session_of(final, plenary)["now"]["online"] == 0
    # Two visits, a few milliseconds apart: one stay within the grace period.
    assert session_of(final, plenary)["online"] == 1
    with app.app_context():
        visits = _db.session.query(RoomVisit).filter_by(user_id=online.id).all()
        assert len(visits) == 2 and all(v.left_at is not None for v in visits)


def test_unsubscribed_sockets_hear_nothing_more(setting, make_user, live_client):
    _event, plenary, online, *_ = setting
    staff = live_client(make_user("staff"))
    assert call(staff, "attendance:subscribe", {"event_slug": "symposium"})["ok"]
    assert call(staff, "attendance:unsubscribe", {"event_slug": "symposium"})["ok"]
    assert call(live_client(online), "join", {"session_id": plenary})["ok"]
    assert updates(staff) == []


def _enter(app, event, registration_id, direction="in"):
    with app.app_context():
        entrance = _db.session.query(CheckinList).filter_by(event_id=event.id, name="Entrance").one_or_none()
        if entrance is None:
            entrance = CheckinList(event_id=event.id, name="Entrance", scope="event")
            _db.session.add(entrance)
            _db.session.flush()
        moment = utcnow() - timedelta(seconds=1)
        _db.session.add(
            CheckinMovement(
                list_id=entrance.id,
                registration_id=registration_id,
                direction=direction,
                scanned_at=moment,
                uploaded_at=moment,
            )
        )
        _db.session.commit()
        # What check-in sends after every accepted entry or exit.
        hooks.checkin_changed.send(event.id, session_ids=[])


def test_check_ins_refresh_the_dashboard(app, setting, make_user, live_client):
    event, _plenary, _online, _in_person, registration = setting
    staff = live_client(make_user("moderator"))
    assert call(staff, "attendance:subscribe", {"event_slug": "symposium"})["ok"]
    _enter(app, event, registration.id)
    [update] = updates(staff)
    assert update["totals"]["now"] == {"online": 0, "on_site": 1, "combined": 1}
    assert update["totals"]["on_site"] == 1 and update["countries"][0]["code"] == "TO"
    _enter(app, event, registration.id, "out")
    assert updates(staff)[-1]["totals"]["now"]["on_site"] == 0


def test_bursts_of_changes_are_sent_once_refreshed(app, setting, make_user, live_client):
    """With a refresh interval, many changes lead to a later broadcast that shows all of them."""
    event, plenary, online, _in_person, registration = setting
    app.config["ATTENDANCE_BROADCAST_SECONDS"] = 0.2
    staff = live_client(make_user("staff"))
    assert call(staff, "attendance:subscribe", {"event_slug": "symposium"})["ok"]
    _enter(app, event, registration.id)
    assert call(live_client(online), "join", {"session_id": plenary})["ok"]
    both = {"online": 1, "on_site": 1, "combined": 2}
    received = []
    # Wait for the background refresh (at most ~10 s), not a timing assertion. On a busy machine the
    # check-in's own refresh may leave before the join is counted: wait for the one that shows both.
    for _ in range(100):
        received += updates(staff)
        if received and received[-1]["totals"]["now"] == both:
            break
        socketio.sleep(0.1)
    assert received, "no attendance:update arrived"
    assert received[-1]["totals"]["now"] == both
