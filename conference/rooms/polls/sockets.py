"""Poll events on `/live`. Thin: validate, call the service, acknowledge, broadcast.

Client → server: poll:create, poll:update, poll:delete, poll:open, poll:close (moderators), poll:vote.
Server → clients: poll:opened, poll:results, poll:closed (to the room), poll:saved and poll:deleted
(moderators; poll:deleted goes to the room when participants could see the poll).
See docs/protocol.md ("Polls on /live").
"""

from __future__ import annotations

from ... import hooks
from ...errors import ServiceError
from ...extensions import db, socketio
from ...realtime import LIVE, LiveEvents, live_event, ok
from ..access import moderators_room, room_name
from . import broadcast, services
from .schemas import PollCreate, PollRef, PollUpdate, PollVote

live = LiveEvents()  # registered by init_app


def init_app(app) -> None:
    """The poll events, the tally coalescer, and the polls' part of every join."""
    live.register()
    broadcast.init_app(app)
    hooks.add_before_join_state(close_due_polls_before_join_state, app)
    hooks.add_join_state_part(services.polls_shared_state, services.polls_personal_state, app=app)
    hooks.add_after_join(resume_poll_timers_after_join, app)


@live.on("poll:create")
@live_event(PollCreate)
def create_poll(user, payload: PollCreate):
    poll = services.create_poll(db.session, user, payload.session_id, payload.spec())
    return _saved(poll)


@live.on("poll:update")
@live_event(PollUpdate)
def update_poll(user, payload: PollUpdate):
    poll = services.update_poll(db.session, user, payload.poll_id, payload.spec())
    return _saved(poll)


def _saved(poll) -> dict:
    body = services.poll_dict(poll)
    socketio.emit("poll:saved", {"poll": body}, to=moderators_room(poll.session_id), namespace=LIVE)
    return ok(poll=body)


@live.on("poll:delete")
@live_event(PollRef)
def delete_poll(user, payload: PollRef):
    poll = services.get_poll(db.session, payload.poll_id)
    was_visible = services.may_see_poll_as_participant(poll)
    poll = services.delete_poll(db.session, user, payload.poll_id)
    room = room_name(poll.session_id) if was_visible else moderators_room(poll.session_id)
    socketio.emit("poll:deleted", {"poll_id": poll.id}, to=room, namespace=LIVE)
    return ok(poll_id=poll.id)


@live.on("poll:open")
@live_event(PollRef)
def open_poll(user, payload: PollRef):
    poll = services.open_poll(db.session, user, payload.poll_id)
    broadcast.announce_opened(poll)
    return ok(poll=services.poll_dict(poll))


@live.on("poll:close")
@live_event(PollRef)
def close_poll(user, payload: PollRef):
    poll = services.close_poll(db.session, user, payload.poll_id)
    broadcast.announce_closed(poll)
    return ok(poll=services.poll_dict(poll), results=services.tally(db.session, poll))


@live.on("poll:vote")
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
    broadcast.tallies().touch(payload.poll_id)
    return ok(ballot=services.ballot_dict(receipt.ballot), changed=receipt.changed, version=receipt.version)


def close_due_polls_before_join_state(_db_session, _user, session) -> None:
    """A deadline passed while no timer ran (e.g. a restart): close those polls for everyone, so the
    joining person's state shows them closed."""
    broadcast.close_due_and_announce(session.id)


def resume_poll_timers_after_join(_db_session, _user, _session) -> None:
    """A fresh process re-arms the timers of the open timed polls at its first join."""
    broadcast.resume_timers()
