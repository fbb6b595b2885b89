"""The call of a matchmaking meeting on /live: only its two people, only while it is accepted and
around its time, signalling only between them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rooms.support import call, drain, received
from sqlalchemy import select

from conference.accounts.models import User
from conference.calls.models import CallMember
from conference.extensions import db
from conference.matchmaking import meetings
from conference.matchmaking.models import Meeting
from conference.programme.models import Event, ProgrammeSession

OFFER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


def joined_meeting(live_client, user, meeting_id: int, *, video: bool = False):
    client = live_client(user)
    ack = call(client, "call:join", {"meeting_id": meeting_id, "video": video})
    assert ack["ok"], ack
    return client, ack["call"]


def rows(app) -> list[tuple[int | None, int | None, int]]:
    with app.app_context():
        return [
            (m.session_id, m.meeting_id, m.user_id)
            for m in db.session.scalars(select(CallMember).order_by(CallMember.id))
        ]


def test_the_two_people_of_a_meeting_join_its_call(app, live_client, mtg):
    asker, asker_call = joined_meeting(live_client, mtg.asker, mtg.now, video=True)
    assert asker_call["meeting_id"] == mtg.now and asker_call["mode"] == "mesh"
    assert asker_call["members"] == [asker_call["me"]] and asker_call["me"]["may_publish_video"] is True
    assert asker_call["me"]["audio"] is False and asker_call["locked"] is False
    host, host_call = joined_meeting(live_client, mtg.host, mtg.now)
    assert [m["name"] for m in host_call["members"]] == ["Ari Asker", "Hana Host"]
    assert received(asker, "call:member-joined") == [{"meeting_id": mtg.now, "member": host_call["me"]}]
    again = call(host, "call:join", {"meeting_id": mtg.now})
    assert again["ok"] and again["call"]["me"]["id"] == host_call["me"]["id"]
    assert rows(app) == [(None, mtg.now, mtg.asker.id), (None, mtg.now, mtg.host.id)]


@pytest.mark.parametrize(
    ("who", "which", "code"),
    [
        ("stranger", "now", "not_a_party"),  # registered, not in the meeting
        ("guest", "now", "not_a_party"),  # a party of another meeting
        ("stranger", "pending", "meeting_not_accepted"),  # their own meeting, not accepted yet
        ("asker", "later", "meeting_call_closed"),  # in three hours
    ],
)
def test_others_and_other_times_are_refused(app, live_client, mtg, who, which, code):
    ack = call(live_client(getattr(mtg, who)), "call:join", {"meeting_id": getattr(mtg, which)})
    assert ack["ok"] is False and ack["error"]["code"] == code
    assert rows(app) == []


def test_a_closed_call_says_when_it_opens(live_client, mtg):
    ack = call(live_client(mtg.asker), "call:join", {"meeting_id": mtg.later})
    opens = datetime.fromisoformat(ack["error"]["details"]["opens_at"].replace("Z", "+00:00"))
    assert timedelta(hours=2, minutes=40) < opens - datetime.now(UTC) < timedelta(hours=3)


def test_a_meeting_that_does_not_exist_is_not_found(live_client, mtg):
    ack = call(live_client(mtg.asker), "call:join", {"meeting_id": 999_999})
    assert ack["error"]["code"] == "meeting_not_found"


def test_signals_reach_only_the_other_party(app, live_client, mtg):
    asker, asker_call = joined_meeting(live_client, mtg.asker, mtg.now)
    host, host_call = joined_meeting(live_client, mtg.host, mtg.now)
    guest, guest_call = joined_meeting(live_client, mtg.guest, mtg.other)
    drain(asker, host, guest)
    offer = {"meeting_id": mtg.now, "to": host_call["me"]["id"], "kind": "offer", "sdp": OFFER}
    assert call(asker, "call:signal", offer) == {"ok": True}
    assert received(host, "call:signal") == [
        {"meeting_id": mtg.now, "from": asker_call["me"]["id"], "kind": "offer", "sdp": OFFER}
    ]
    assert received(guest) == []
    # someone in another meeting's call can neither reach them nor be reached
    forged = {"meeting_id": mtg.other, "to": host_call["me"]["id"], "kind": "offer", "sdp": OFFER}
    assert call(guest, "call:signal", forged)["error"]["code"] == "member_not_found"
    posing = {"meeting_id": mtg.now, "to": host_call["me"]["id"], "kind": "offer", "sdp": OFFER}
    assert call(guest, "call:signal", posing)["error"]["code"] == "not_in_call"
    to_guest = {"meeting_id": mtg.now, "to": guest_call["me"]["id"], "kind": "offer", "sdp": OFFER}
    assert call(asker, "call:signal", to_guest)["error"]["code"] == "member_not_found"
    # the same member ids named as a live room's call are no way in either
    as_room = {"session_id": 1, "to": host_call["me"]["id"], "kind": "offer", "sdp": OFFER}
    assert call(asker, "call:signal", as_room)["error"]["code"] == "not_in_call"
    assert (
        received(host, "call:signal") == [] and received(guest) == [] and received(asker, "call:signal") == []
    )


def test_media_and_leaving_reach_the_other_party(app, live_client, mtg):
    asker, asker_call = joined_meeting(live_client, mtg.asker, mtg.now)
    host, _host_call = joined_meeting(live_client, mtg.host, mtg.now)
    guest, _ = joined_meeting(live_client, mtg.guest, mtg.other)
    drain(asker, host, guest)
    ack = call(asker, "call:media", {"meeting_id": mtg.now, "audio": True, "video": True, "screen": False})
    assert ack["ok"] and ack["member"]["audio"] and ack["member"]["may_publish_video"]
    assert received(host, "call:member-updated") == [{"meeting_id": mtg.now, "member": ack["member"]}]
    assert call(asker, "call:hand", {"meeting_id": mtg.now, "raised": True})["member"]["hand_raised_at"]
    assert call(asker, "call:leave", {"meeting_id": mtg.now}) == {"ok": True, "left": True}
    assert received(host, "call:member-left")[-1] == {
        "meeting_id": mtg.now,
        "member_id": asker_call["me"]["id"],
        "reason": "left",
    }
    assert received(guest) == []
    assert [user_id for _s, _m, user_id in rows(app)] == [mtg.host.id, mtg.guest.id]
    host.disconnect(namespace="/live")
    assert [user_id for _s, _m, user_id in rows(app)] == [mtg.guest.id]


def test_a_second_tab_replaces_the_first(app, live_client, mtg):
    first, first_call = joined_meeting(live_client, mtg.asker, mtg.now)
    host, _ = joined_meeting(live_client, mtg.host, mtg.now)
    drain(first, host)
    _second, second_call = joined_meeting(live_client, mtg.asker, mtg.now)
    assert second_call["me"]["id"] != first_call["me"]["id"]
    assert [m["name"] for m in second_call["members"]] == ["Hana Host", "Ari Asker"]
    assert received(first, "call:ended") == [{"meeting_id": mtg.now, "reason": "joined_elsewhere"}]
    left = received(host, "call:member-left")
    assert left == [{"meeting_id": mtg.now, "member_id": first_call["me"]["id"], "reason": "replaced"}]
    assert sorted(user_id for _s, _m, user_id in rows(app)) == sorted([mtg.asker.id, mtg.host.id])
    stale = {"meeting_id": mtg.now, "to": 1, "kind": "offer", "sdp": OFFER}
    assert call(first, "call:signal", stale)["error"]["code"] == "not_in_call"


def test_a_cancelled_meeting_relays_nothing_more(app, live_client, mtg):
    asker, _ = joined_meeting(live_client, mtg.asker, mtg.now)
    host, host_call = joined_meeting(live_client, mtg.host, mtg.now)
    with app.app_context():
        meeting = db.session.get_one(Meeting, mtg.now)
        meetings.cancel(db.session, meeting, db.session.get_one(User, mtg.host.id))
    drain(host)
    offer = {"meeting_id": mtg.now, "to": host_call["me"]["id"], "kind": "offer", "sdp": OFFER}
    assert call(asker, "call:signal", offer)["error"]["code"] == "meeting_not_accepted"
    assert received(host, "call:signal") == []
    assert call(live_client(mtg.asker), "call:join", {"meeting_id": mtg.now})["error"]["code"] == (
        "meeting_not_accepted"
    )


@pytest.mark.parametrize(
    "payload",
    [
        {},  # no call named
        {"session_id": 1, "meeting_id": 1},  # two calls named
        {"meeting_id": "1"},
        {"meeting_id": -3},
        {"meeting_id": 1, "extra": True},
        {"meeting_id": 2**63},
    ],
)
def test_bad_join_payloads_are_refused(app, live_client, mtg, payload):
    ack = call(live_client(mtg.asker), "call:join", payload)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload"
    assert rows(app) == []


def test_oversized_signals_and_moderation_of_a_meeting_are_refused(live_client, mtg):
    asker, _ = joined_meeting(live_client, mtg.asker, mtg.now)
    _host, host_call = joined_meeting(live_client, mtg.host, mtg.now)
    huge = {"meeting_id": mtg.now, "to": host_call["me"]["id"], "kind": "offer", "sdp": "x" * 64_001}
    assert call(asker, "call:signal", huge)["error"]["code"] == "invalid_payload"
    mute = {"meeting_id": mtg.now, "action": "mute", "member_id": host_call["me"]["id"]}
    assert call(asker, "call:moderate", mute)["error"]["code"] == "invalid_payload"


def test_signals_to_a_meeting_are_rate_limited(app, live_client, mtg):
    app.config.update(CALLS_SIGNAL_BURST=3, CALLS_SIGNAL_PER_S=0.001)
    asker, _ = joined_meeting(live_client, mtg.asker, mtg.now)
    _host, host_call = joined_meeting(live_client, mtg.host, mtg.now)
    offer = {"meeting_id": mtg.now, "to": host_call["me"]["id"], "kind": "offer", "sdp": OFFER}
    codes = [call(asker, "call:signal", offer).get("error", {}).get("code") for _ in range(5)]
    assert codes == [None, None, None, "rate_limited", "rate_limited"]


def test_the_call_page_is_for_the_two_people_only(logged_in_client, mtg):
    path = f"/events/meeting-calls/meetings/{mtg.now}/call"
    page = logged_in_client(mtg.asker).get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-meeting-id="{mtg.now}"' in html and "Call with Hana Host" in html
    assert "js/calls-meeting.js" in html and 'data-call="open-check"' in html
    assert logged_in_client(mtg.guest).get(path).status_code == 404  # a party of another meeting
    assert logged_in_client(mtg.stranger).get(path).status_code == 404


def test_the_meetings_list_leads_to_the_calls_of_accepted_meetings(logged_in_client, mtg):
    html = logged_in_client(mtg.host).get("/events/meeting-calls/meetings").get_data(as_text=True)
    assert f"/events/meeting-calls/meetings/{mtg.now}/call" in html
    assert f"/events/meeting-calls/meetings/{mtg.later}/call" in html
    assert f"/events/meeting-calls/meetings/{mtg.pending}/call" not in html  # not accepted


def test_joining_a_room_call_ends_the_meeting_call_of_that_socket(app, live_client, mtg):
    with app.app_context():
        workshop = db.session.scalars(
            select(ProgrammeSession)
            .join(Event, Event.id == ProgrammeSession.event_id)
            .where(Event.slug == "meeting-calls", ProgrammeSession.kind == "workshop")
        ).one()
        workshop.interactive = True
        workshop_id = workshop.id
        db.session.commit()
    asker, asker_call = joined_meeting(live_client, mtg.asker, mtg.now)
    host, _ = joined_meeting(live_client, mtg.host, mtg.now)
    drain(asker, host)
    assert call(asker, "join", {"session_id": workshop_id})["ok"]
    assert call(asker, "call:join", {"session_id": workshop_id})["ok"]
    assert received(host, "call:member-left") == [
        {"meeting_id": mtg.now, "member_id": asker_call["me"]["id"], "reason": "left"}
    ]
    assert set(rows(app)) == {(None, mtg.now, mtg.host.id), (workshop_id, None, mtg.asker.id)}
