"""Poll events on `/live`. Thin: validate, call the service, acknowledge, broadcast.

Client → server: poll:create, poll:update, poll:delete, poll:open, poll:close (moderators), poll:vote.
Server → clients: poll:opened, poll:results, poll:closed (to the room), poll:saved and poll:deleted
(moderators; poll:deleted goes to the room when participants could see the poll).
See docs/protocol.md ("Polls on /live").
"""
from __future__ import annotations

from ...errors import ServiceError
from ...extensions import db, socketio
from ...hooks import add_join_state
from ...realtime import LIVE, live_event, ok
from ..access import moderators_room, room_name
from . import broadcast, services
from .schemas import PollCreate, PollRef, PollUpdate, PollVote


@socketio.on("poll:create", namespace=LIVE)
@live_event(PollCreate)
def create_poll(user, payload: PollCreate):
    poll = services.create_poll(db.session, user, payload.session_id, payload.spec())
    return _saved(poll)


@socketio.on("poll:update", namespace=LIVE)
@live_event(PollUpdate)
def update_poll(user, payload: PollUpdate):
    poll = services.update_poll(db.session, user, payload.poll_id, payload.spec())
    return _saved(poll)


def _saved(poll) -> dict:
    body = services.poll_dict(poll)
    socketio.emit("poll:saved", {"poll": body}, to=moderators_room(poll.session_id), namespace=LIVE)
    return ok(poll=body)


@socketio.on("poll:delete", namespace=LIVE)
@live_event(PollRef)
def delete_poll(user, payload: PollRef):
    poll = services.get_poll(db.session, payload.poll_id)
    was_visible = services.may_see_poll_as_participant(poll)
    poll = services.delete_poll(db.session, user, payload.poll_id)
    room = room_name(poll.session_id) if was_visible else moderators_room(poll.session_id)
    socketio.emit("poll:deleted", {"poll_id": poll.id}, to=room, namespace=LIVE)
    return ok(poll_id=poll.id)


@socketio.on("poll:open", namespace=LIVE)
@live_event(PollRef)
def open_poll(user, payload: PollRef):
    poll = services.open_poll(db.session, user, payload.poll_id)
    broadcast.announce_opened(poll)
    return ok(poll=services.poll_dict(poll))


@socketio.on("poll:close", namespace=LIVE)
@live_event(PollRef)
def close_poll(user, payload: PollRef):
    poll = services.close_poll(db.session, user, payload.poll_id)
    broadcast.announce_closed(poll)
    return ok(poll=services.poll_dict(poll), results=services.tally(db.session, poll))


@socketio.on("poll:vote", namespace=LIVE)
@live_event(PollVote)
def vote(user, payload: PollVote):
    try:
        receipt = services.cast_vote(db.session, user, payload.poll_id, payload.vote())
    except ServiceError as exc:
        if exc.code == "poll_closed":
            # Perhaps its time ran out while no timer was running here: close it for everyone.
            db.session.rollback()
            broadcast.close_due_and_announce()
        raise
    broadcast.broadcaster().mark_dirty(payload.poll_id)
    return ok(ballot=services.ballot_dict(receipt.ballot), changed=receipt.changed, version=receipt.version)


@add_join_state
def polls_join_state(db_session, user, session) -> dict:
    """Open polls (and closed ones whose results are public), your ballot, the results you may see."""
    broadcast.resume_timers()
    broadcast.close_due_and_announce(session.id)
    return services.polls_state(db_session, user, session)
