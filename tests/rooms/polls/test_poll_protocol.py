"""The poll events on /live with several clients: who receives what, and what the database holds."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from rooms.support import LIVE, call
from sqlalchemy import func, select, update

from conference.db_types import utcnow
from conference.extensions import db
from conference.rooms.polls.models import Poll, PollBallot

RESULT_KEYS = {"counts", "words", "texts", "mean"}


class Inbox:
    """Everything a client received, kept across reads, with a way to wait for a broadcast that a
    background task sends (the coalesced tallies, the timer's close)."""

    def __init__(self, client):
        self.client = client
        self.events: list[tuple[str, dict]] = []

    def pull(self) -> list[tuple[str, dict]]:
        for e in self.client.get_received(LIVE):
            self.events.append((e["name"], e["args"][0] if e["args"] else None))
        return self.events

    def clear(self) -> None:
        self.pull()
        self.events.clear()

    def poll_events(self) -> list[tuple[str, dict]]:
        """The poll broadcasts only (presence and the rest are another feature's business)."""
        return [(event, body) for event, body in self.pull() if event.startswith("poll:")]

    def named(self, name: str) -> list[dict]:
        return [body for event, body in self.pull() if event == name]

    def wait_for(self, name: str, predicate=lambda body: True, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for body in self.named(name):
                if predicate(body):
                    return body
            time.sleep(0.02)
        raise AssertionError(f"no {name} matching the condition arrived; got {[e for e, _ in self.events]}")


def holds_results(value) -> bool:
    """Does this payload carry any tally, however deeply nested?"""
    if isinstance(value, dict):
        if RESULT_KEYS & {k for k, v in value.items() if v is not None}:
            return True
        return any(holds_results(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_results(v) for v in value)
    return False


@pytest.fixture()
def room(cast, joined):
    """The moderator and two participants in the plenary's live room."""

    class Room:
        mod = Inbox(joined(cast.moderator, cast.plenary))
        alice = Inbox(joined(cast.alice, cast.plenary))
        bob = Inbox(joined(cast.bob, cast.plenary))
        session_id = cast.plenary

    for inbox in (Room.mod, Room.alice, Room.bob):
        inbox.client.get_received(LIVE)  # the others' arrivals
    return Room


def launch(room, kind="single", **fields) -> dict:
    options = {"single": ["Yes", "No"], "multiple": ["Health", "Climate", "Trade"]}.get(kind, [])
    payload = {
        "session_id": room.session_id,
        "title": "Your view?",
        "kind": kind,
        "options": options,
        **fields,
    }
    created = call(room.mod.client, "poll:create", payload)
    assert created["ok"], created
    opened = call(room.mod.client, "poll:open", {"poll_id": created["poll"]["id"]})
    assert opened["ok"], opened
    return opened["poll"]


def ballots(app, poll_id) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(PollBallot).where(PollBallot.poll_id == poll_id)
        )


def test_one_votes_and_everyone_in_the_room_sees_the_tally(room):
    poll = launch(room)
    yes, no = (o["id"] for o in poll["options"])
    for inbox in (room.alice, room.bob):
        assert inbox.wait_for("poll:opened")["poll"]["title"] == "Your view?"
    ack = call(room.alice.client, "poll:vote", {"poll_id": poll["id"], "choices": [yes]})
    assert ack["ok"] and ack["ballot"]["choices"] == [yes] and ack["changed"] is False
    for inbox in (room.mod, room.alice, room.bob):
        tally = inbox.wait_for("poll:results", lambda body: body["total"] == 1)
        assert tally == {
            "poll_id": poll["id"],
            "kind": "single",
            "total": 1,
            "version": 1,
            "counts": {str(yes): 1, str(no): 0},
        }


def test_the_poll_being_created_is_seen_by_moderators_only_until_it_opens(room):
    created = call(
        room.mod.client,
        "poll:create",
        {"session_id": room.session_id, "title": "Draft?", "kind": "rating", "scale": 10},
    )
    assert created["ok"] and created["poll"]["status"] == "draft" and created["poll"]["scale"] == 10
    assert room.mod.named("poll:saved")[-1]["poll"]["id"] == created["poll"]["id"]
    assert room.alice.poll_events() == [] and room.bob.poll_events() == []


@pytest.mark.parametrize("visibility", ["after_close", "hidden"])
def test_results_that_are_not_public_never_reach_a_participant_before_close(app, room, visibility):
    poll = launch(room, "multiple", results=visibility, max_choices=2)
    health, climate, trade = (o["id"] for o in poll["options"])
    assert call(room.alice.client, "poll:vote", {"poll_id": poll["id"], "choices": [health, climate]})["ok"]
    assert call(room.bob.client, "poll:vote", {"poll_id": poll["id"], "choices": [climate]})["ok"]
    moderator_view = room.mod.wait_for("poll:results", lambda body: body["total"] == 2)
    assert moderator_view["counts"] == {str(health): 1, str(climate): 2, str(trade): 0}
    # A participant joining now gets the poll, their ballot, and no results.
    again = call(room.alice.client, "join", {"session_id": room.session_id})
    [state_poll] = again["state"]["polls"]
    assert state_poll["tally"] is None and state_poll["my_ballot"]["choices"] == [health, climate]
    for inbox in (room.alice, room.bob):
        assert inbox.named("poll:results") == []
        assert not any(holds_results(body) for _event, body in inbox.pull())

    closed = call(room.mod.client, "poll:close", {"poll_id": poll["id"]})
    assert closed["ok"] and closed["results"]["total"] == 2
    final_for_bob = room.bob.wait_for("poll:closed")
    final_for_mod = [body for body in room.mod.named("poll:closed") if body["results"]][-1]
    assert final_for_mod["results"]["counts"] == {str(health): 1, str(climate): 2, str(trade): 0}
    if visibility == "after_close":
        assert final_for_bob["results"]["counts"] == final_for_mod["results"]["counts"]
    else:
        assert final_for_bob["results"] is None
        assert not any(holds_results(body) for _event, body in room.bob.pull())
        state = call(room.bob.client, "join", {"session_id": room.session_id})["state"]
        assert state["polls"] == []


def test_a_participants_moderator_events_are_refused_and_nothing_is_broadcast(app, room):
    draft = call(
        room.mod.client,
        "poll:create",
        {"session_id": room.session_id, "title": "Q", "kind": "single", "options": ["A", "B"]},
    )["poll"]
    room.mod.clear()
    for event, payload in [
        ("poll:create", {"session_id": room.session_id, "title": "Mine", "kind": "word_cloud"}),
        ("poll:update", {"poll_id": draft["id"], "title": "Hijack", "kind": "open_text"}),
        ("poll:open", {"poll_id": draft["id"]}),
        ("poll:close", {"poll_id": draft["id"]}),
        ("poll:delete", {"poll_id": draft["id"]}),
    ]:
        ack = call(room.alice.client, event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (event, ack)
    with app.app_context():
        polls = db.session.scalars(select(Poll)).all()
        assert [(p.title, p.status) for p in polls] == [("Q", "draft")]
    for inbox in (room.mod, room.alice, room.bob):
        assert inbox.poll_events() == []


def test_voting_twice_leaves_one_ballot_unless_changes_are_allowed(app, room):
    poll = launch(room)
    yes, no = (o["id"] for o in poll["options"])
    assert call(room.alice.client, "poll:vote", {"poll_id": poll["id"], "choices": [yes]})["ok"]
    second = call(room.alice.client, "poll:vote", {"poll_id": poll["id"], "choices": [no]})
    assert second["ok"] is False and second["error"]["code"] == "already_voted"
    assert ballots(app, poll["id"]) == 1

    changeable = launch(room, allow_change=True)
    yes, no = (o["id"] for o in changeable["options"])
    assert call(room.bob.client, "poll:vote", {"poll_id": changeable["id"], "choices": [yes]})["ok"]
    changed = call(room.bob.client, "poll:vote", {"poll_id": changeable["id"], "choices": [no]})
    assert changed["ok"] and changed["changed"] is True
    tally = room.alice.wait_for(
        "poll:results", lambda b: b["poll_id"] == changeable["id"] and b["version"] == 2
    )
    assert tally["counts"] == {str(yes): 0, str(no): 1} and tally["total"] == 1
    assert ballots(app, changeable["id"]) == 1


def test_a_vote_on_a_closed_poll_is_refused_and_the_closing_tally_is_exact(app, room, cast, joined):
    poll = launch(room, "rating")
    voters = [room.alice, room.bob, room.mod]
    for n, inbox in enumerate(voters, start=1):
        assert call(inbox.client, "poll:vote", {"poll_id": poll["id"], "rating": n})["ok"]
    assert call(room.mod.client, "poll:close", {"poll_id": poll["id"]})["ok"]
    refused = call(room.alice.client, "poll:vote", {"poll_id": poll["id"], "rating": 5})
    assert refused["ok"] is False and refused["error"]["code"] == "poll_closed"
    final = room.bob.wait_for("poll:closed")["results"]
    assert final["total"] == 3 and final["counts"] == {"1": 1, "2": 1, "3": 1, "4": 0, "5": 0}
    assert final["mean"] == 2.0
    assert ballots(app, poll["id"]) == 3
    # Nothing older than the final result follows it.
    time.sleep(0.6)
    events = [name for name, _ in room.bob.pull()]
    assert "poll:results" not in events[events.index("poll:closed") :]


def test_a_burst_of_votes_gives_fewer_updates_each_with_full_counts(
    app, cast, room, make_user, make_registration, joined
):
    poll = launch(room, "word_cloud")
    voters = []
    for i in range(12):
        user = make_user(name=f"Voter {i}")
        make_registration(user, cast.event)
        voters.append(joined(user, room.session_id))
    for i, client in enumerate(voters):
        assert call(client, "poll:vote", {"poll_id": poll["id"], "words": ["trust", f"word{i % 3}"]})["ok"]
    last = room.bob.wait_for("poll:results", lambda body: body["total"] == 12)
    assert last["words"] == {"trust": 12, "word0": 4, "word1": 4, "word2": 4}
    updates = room.bob.named("poll:results")
    assert len(updates) < 12
    assert all(sum(u["words"].values()) == 2 * u["total"] for u in updates)


def test_a_timed_poll_closes_itself_and_everyone_is_told(app, room):
    poll = launch(room, duration_s=1)
    assert 0 < poll["remaining_s"] <= 1 and poll["closes_at"]
    assert room.alice.wait_for("poll:opened")["poll"]["remaining_s"] <= 1
    call(room.bob.client, "poll:vote", {"poll_id": poll["id"], "choices": [poll["options"][0]["id"]]})
    closed = room.alice.wait_for("poll:closed", timeout=10)
    assert closed["poll"]["status"] == "closed" and closed["results"]["total"] == 1
    with app.app_context():
        assert db.session.get(Poll, poll["id"]).status == "closed"


def test_a_poll_whose_deadline_passed_unnoticed_is_closed_on_the_next_join(app, room, cast, joined):
    poll = launch(room, duration_s=600)
    with app.app_context():  # as if the process that timed it had died
        db.session.execute(
            update(Poll).where(Poll.id == poll["id"]).values(closes_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    state = call(room.alice.client, "join", {"session_id": room.session_id})["state"]
    assert [p["status"] for p in state["polls"]] == ["closed"]
    assert room.bob.wait_for("poll:closed")["poll_id"] == poll["id"]


def test_a_vote_after_an_unnoticed_deadline_is_refused_and_closes_the_poll(app, room):
    poll = launch(room, duration_s=600)
    with app.app_context():
        db.session.execute(
            update(Poll).where(Poll.id == poll["id"]).values(closes_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    ack = call(room.alice.client, "poll:vote", {"poll_id": poll["id"], "choices": [poll["options"][0]["id"]]})
    assert ack["error"]["code"] == "poll_closed"
    assert room.bob.wait_for("poll:closed")["poll_id"] == poll["id"]
    assert ballots(app, poll["id"]) == 0


def test_join_state_has_open_polls_with_my_ballot_and_public_results(room):
    poll = launch(room, "open_text")
    assert call(room.alice.client, "poll:vote", {"poll_id": poll["id"], "text": "<b>More data</b>"})["ok"]
    state = call(room.alice.client, "join", {"session_id": room.session_id})["state"]
    [entry] = state["polls"]
    assert entry["id"] == poll["id"] and entry["status"] == "open"
    assert entry["my_ballot"]["text"] == "<b>More data</b>"
    assert entry["tally"]["texts"] == ["<b>More data</b>"] and entry["tally"]["total"] == 1
    assert (
        call(room.bob.client, "join", {"session_id": room.session_id})["state"]["polls"][0]["my_ballot"]
        is None
    )


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"poll_id": "1", "choices": [1]}, "invalid_payload"),
        ({"poll_id": 1, "choices": ["1"]}, "invalid_payload"),
        ({"poll_id": 1, "rating": "5"}, "invalid_payload"),
        ({"poll_id": 1, "rating": True}, "invalid_payload"),
        ({"poll_id": 1, "choices": [1], "admin": True}, "invalid_payload"),
        ({"poll_id": 9999, "choices": [1]}, "poll_not_found"),
    ],
)
def test_malformed_votes_get_an_error_ack(app, room, payload, code):
    ack = call(room.alice.client, "poll:vote", payload)
    assert ack["ok"] is False and ack["error"]["code"] == code
    assert room.bob.poll_events() == []


def test_bad_ballots_over_the_socket_change_nothing(app, room):
    rating = launch(room, "rating")
    words = launch(room, "word_cloud")
    single = launch(room)
    other = launch(room)
    cases = [
        ({"poll_id": rating["id"], "rating": 6}, "rating_out_of_range"),
        ({"poll_id": words["id"], "words": ["x" * 41]}, "word_too_long"),
        ({"poll_id": single["id"], "choices": [other["options"][0]["id"]]}, "unknown_option"),
    ]
    for payload, code in cases:
        ack = call(room.alice.client, "poll:vote", payload)
        assert ack["ok"] is False and ack["error"]["code"] == code, ack
    for poll in (rating, words, single):
        assert ballots(app, poll["id"]) == 0


def test_an_unregistered_user_cannot_vote(app, room, cast, live_client):
    poll = launch(room)
    outsider = live_client(cast.outsider)
    ack = call(outsider, "poll:vote", {"poll_id": poll["id"], "choices": [poll["options"][0]["id"]]})
    assert ack["error"]["code"] == "not_registered"
    assert ballots(app, poll["id"]) == 0


def test_deleting_a_visible_closed_poll_tells_the_room(app, room):
    poll = launch(room)
    call(room.mod.client, "poll:close", {"poll_id": poll["id"]})
    assert call(room.mod.client, "poll:delete", {"poll_id": poll["id"]}) == {
        "ok": True,
        "poll_id": poll["id"],
    }
    assert room.alice.wait_for("poll:deleted")["poll_id"] == poll["id"]
    with app.app_context():
        assert db.session.get(Poll, poll["id"]) is None


# ------------------------------------------------------------------ CSV over HTTP


def test_csv_export_for_moderators_only(app, room, cast, logged_in_client):
    poll = launch(room)
    call(room.alice.client, "poll:vote", {"poll_id": poll["id"], "choices": [poll["options"][1]["id"]]})
    url = f"/events/{cast.event.slug}/sessions/{room.session_id}/polls/{poll['id']}.csv"
    response = logged_in_client(cast.moderator).get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset once (issue #16)
    assert response.get_data(as_text=True).splitlines()[1:] == [
        f"{poll['id']},Your view?,single,open,Yes,0,1",
        f"{poll['id']},Your view?,single,open,No,1,1",
    ]
    assert logged_in_client(cast.alice).get(url, headers={"Accept": "application/json"}).status_code == 403
    wrong = f"/events/{cast.event.slug}/sessions/{cast.thematic}/polls/{poll['id']}.csv"
    assert (
        logged_in_client(cast.moderator).get(wrong, headers={"Accept": "application/json"}).status_code == 404
    )
    assert app.test_client().get(url, headers={"Accept": "application/json"}).status_code == 401
