"""Poll events on `/live`. Thin: validate, call the service, acknowledge, broadcast.

Client → server: poll:create, poll:update, poll:delete, poll:open, poll:close (moderators), poll:vote.
Server → clients: poll:opened, poll:results, poll:closed (to the room), poll:saved and poll:deleted
(moderators; poll:deleted goes to the room when participants could see the poll).
See docs/protocol.md ("Polls on /live").
"""

from __future__ import annotations

from ... import group_commit, hooks
from ...db_types import utcnow
from ...errors import Conflict, NotFound, ServiceError
from ...extensions import db, socketio
from ...realtime import LIVE, LiveEvents, hot_event, live_event, ok
from .. import hot
from .. import services as room_services
from ..access import moderators_room, room_name
from . import broadcast, services
from .models import PollStatus
from .schemas import PollCreate, PollRef, PollTranslate, PollUpdate, PollVote

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


@live.on("poll:translate")
@live_event(PollTranslate)
def translate_poll(user, payload: PollTranslate):
    poll = services.translate_poll(
        db.session, user, payload.poll_id, {"title": payload.title}, payload.options
    )
    return ok(poll=broadcast.announce_translated(poll))


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
    broadcast.announce_opened(poll)  # loads its options
    hot.remember_poll(poll)
    return ok(poll=services.poll_dict(poll))


@live.on("poll:close")
@live_event(PollRef)
def close_poll(user, payload: PollRef):
    poll = services.close_poll(db.session, user, payload.poll_id)
    broadcast.announce_closed(poll)
    return ok(poll=services.poll_dict(poll), results=services.tally(db.session, poll))


@live.on("poll:vote")
@hot_event(PollVote)
def vote(sid: str, payload: PollVote):
    """The hot path: the person, the room and the poll come from conference.rooms.hot, the ballot
    is written in the next group commit (conference.group_commit), the ack leaves once committed."""
    try:
        receipt = _cast(sid, payload)
    except ServiceError as exc:
        if exc.code == "poll_closed":
            # Perhaps its time ran out while no timer was running here: close it for everyone.
            db.session.rollback()
            broadcast.close_due_and_announce()
        raise
    broadcast.tallies().touch(payload.poll_id)
    return ok(**receipt)


def _cast(sid: str, payload: PollVote) -> dict:
    poll = hot.poll_info(db.session, payload.poll_id)
    if poll is None:
        raise NotFound("poll_not_found", f"there is no poll {payload.poll_id}")
    draft = poll.status == PollStatus.DRAFT.value
    try:
        member, access = hot.access(db.session, sid, poll.session_id)
    except ServiceError:
        if draft:  # a draft is not there for those who do not run the room
            raise NotFound("poll_not_found", f"there is no poll {payload.poll_id}") from None
        raise
    if draft:
        if not access.moderator:
            raise NotFound("poll_not_found", f"there is no poll {payload.poll_id}")
        raise Conflict("poll_not_open", "this poll has not been opened yet")
    room_services.ensure_open(hot.room_info(db.session, poll.session_id))
    answers = services.answers_for(poll, payload.vote(), lambda: poll.option_ids)
    now = utcnow()
    if poll.status != PollStatus.OPEN.value or (poll.closes_at is not None and poll.closes_at <= now):
        raise Conflict("poll_closed", "this poll is closed")
    return group_commit.submit_bulk(
        services.record_votes, services.VoteRequest(member.user_id, poll, answers, now)
    )


def close_due_polls_before_join_state(_db_session, _user, session) -> None:
    """A deadline passed while no timer ran (e.g. a restart): close those polls for everyone, so the
    joining person's state shows them closed."""
    broadcast.close_due_and_announce(session.id)


def resume_poll_timers_after_join(_db_session, _user, _session) -> None:
    """A fresh process re-arms the timers of the open timed polls at its first join."""
    broadcast.resume_timers()
