"""The /live room events: thin handlers that validate, call a service and broadcast the result.

Who hears what is decided here, once per change and per Socket.IO room (never a loop over people):
- public questions (approved/answered) go to `session:<id>` without the anonymous asker's name; the
  moderators' copy, with the name, goes to `moderators:<id>`;
- pending questions go only to `moderators:<id>` and to the asker's own `user:<id>` room.
Clients upsert questions by id and merge fields, so receiving both copies is harmless.

The room-wide Q&A traffic leaves in batches, one packet per room for many questions: the questions
that became public (asked in an open room, or approved) within ROOMS_QUESTION_FANOUT_SECONDS as one
`questions:new`, the upvote totals that changed within ROOMS_UPVOTE_COALESCE_SECONDS as one
`questions:updated` (realtime_tasks.Batcher, per process). The asker's ack leaves right after its
commit. A broadcast about a question that may wait in a batch (a moderation, a removal, a total)
sends the room's waiting `questions:new` first (`settle_questions`), so it never overtakes it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_app_context, request
from flask_socketio import leave_room as leave_socket_room
from sqlalchemy import select

from .. import group_commit, hooks, realtime_tasks
from ..errors import NotFound, ServiceError
from ..extensions import db, socketio
from ..programme.models import ProgrammeSession
from ..realtime import (
    LIVE,
    LiveEvents,
    hot_event,
    lean_event,
    live_event,
    ok,
    on_disconnect,
    still_connected,
)
from . import hot, presence, services, session_end
from .access import (
    ensure_can_moderate,
    event_room,
    get_live_session,
    moderators_room,
    room_name,
    user_room,
)
from .models import Question, RoomPresence
from .schemas import (
    AskQuestion,
    ChatRef,
    JoinRoom,
    ModerateQuestion,
    QuestionRef,
    RoomSettings,
    SendChat,
    SessionRef,
)

log = logging.getLogger(__name__)


def broadcast(event: str, payload: dict, to: str, server=None) -> None:
    """`event` to Socket.IO room `to` (through `server`, the app's own, when a background task sends it)."""
    if server is None:
        socketio.emit(event, payload, to=to, namespace=LIVE)
    else:
        server.emit(event, payload, to=to, namespace=LIVE)


def broadcast_presence(session_id: int, server=None) -> None:
    """Send the room's current numbers to everyone in it."""
    session = get_live_session(db.session, session_id)
    payload = presence.presence_of(db.session, session)
    (server or socketio.server).emit("presence", payload, to=room_name(session_id), namespace=LIVE)  # type: ignore[attr-defined]  # the stubs leave .server out


PRESENCE_COALESCER = "rooms.presence"
NEW_QUESTIONS_BATCHER = "rooms.new_questions"
UPVOTES_BATCHER = "rooms.upvotes"
live = LiveEvents()  # registered by init_app


def init_app(app) -> None:
    """The room events, presence coalescing, the disconnect clean-up and the check-in receiver."""
    live.register()
    realtime_tasks.Coalescer(
        app, PRESENCE_COALESCER, lambda: app.config["ROOMS_PRESENCE_COALESCE_SECONDS"], _flush_presence
    )
    realtime_tasks.Batcher(
        app, NEW_QUESTIONS_BATCHER, lambda: app.config["ROOMS_QUESTION_FANOUT_SECONDS"], _send_new_questions
    )
    realtime_tasks.Batcher(
        app, UPVOTES_BATCHER, lambda: app.config["ROOMS_UPVOTE_COALESCE_SECONDS"], _flush_upvotes
    )
    on_disconnect(app, _left_on_disconnect)
    hot.init_app(app)
    hooks.checkin_changed.connect(_on_checkin_changed)


def announce_presence(session_id: int) -> None:
    """Broadcast the room's presence now, or once after ROOMS_PRESENCE_COALESCE_SECONDS for all the
    changes of that interval (the numbers are read when the broadcast leaves, so they are current)."""
    realtime_tasks.coalescer(current_app, PRESENCE_COALESCER).touch(session_id)


def _flush_presence(session_id: int) -> None:
    broadcast_presence(session_id, realtime_tasks.live_server(current_app))


# --- join / leave ----------------------------------------------------------------------------


JOIN_TURNS = "rooms.join_turns"


@contextmanager
def join_turn() -> Iterator[None]:
    """At most ROOMS_JOIN_CONCURRENCY joins of this process do their database work at once; the
    others wait here, in turn, for up to ROOMS_JOIN_WAIT_SECONDS (then `server_busy`), instead of
    queueing for a pooled connection whose wait (the pool's timeout) would refuse them as
    `database_unavailable` in a join storm."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    size = int(app.config["ROOMS_JOIN_CONCURRENCY"])
    if size <= 0:
        yield
        return
    turns = app.extensions.get(JOIN_TURNS)
    if turns is None or turns[0] != size:
        turns = app.extensions[JOIN_TURNS] = (size, threading.BoundedSemaphore(size))
    semaphore = turns[1]
    if not semaphore.acquire(timeout=float(app.config["ROOMS_JOIN_WAIT_SECONDS"])):
        raise ServiceError(
            "server_busy", "too many people are joining at this moment; try again shortly", status=503
        )
    try:
        yield
    finally:
        semaphore.release()


@live.on("join")
@lean_event(JoinRoom, turn=join_turn)
def on_join(user, payload: JoinRoom, sid: str):
    """In its turn (ROOMS_JOIN_CONCURRENCY), the login checked: see `_join`. No request context
    (conference.realtime.lean_event): nothing here reads `flask.request`."""
    return _join(user, payload, sid)


def _join(user, payload: JoinRoom, sid: str) -> dict:
    """Three transactions: the checks (the login's, the person's right to the room, which the
    caller's read started) with the before-join steps; the entry, in a group-commit batch; the
    state, read after the socket entered its Socket.IO rooms."""
    session, moderator = services.admit(db.session, user, payload.session_id, screen=payload.screen)
    user_id, session_id, screen = user.id, session.id, payload.screen
    for step in hooks.of().before_join_state_steps:  # e.g. close the polls whose deadline passed meanwhile
        step(db.session, user, session)
    if not still_connected(sid):  # gone while it waited for its turn: nothing to write
        raise ServiceError("disconnected", "the connection closed during the join")
    # The presence and visit rows (and the join's rate-limit count) are written with the other
    # joins of the moment in one transaction; the ack leaves after that commit. (Waiting for it
    # ends this session's transaction: its pooled connection goes back first.)
    entered = group_commit.submit_bulk(
        services.store_entries, services.Entry(user_id, session_id, sid, screen)
    )
    previous = entered.previous
    if not still_connected(sid):
        # Gone while the batch committed: its disconnect clean-up may have run before the rows
        # existed. Take them out (a no-op when the clean-up ran after them), or they would count an
        # absent person forever.
        services.leave_room(db.session, sid)
        raise ServiceError("disconnected", "the connection closed during the join")
    if previous is not None and previous != payload.session_id:
        _leave_socket_rooms(sid, previous)
    # Into the Socket.IO rooms first, then the state: a change broadcast from now on reaches this
    # socket, and the snapshot holds every change broadcast before (see rooms/snapshots.py).
    _enter_socket_rooms(sid, session, user, moderator)
    if db.session().in_transaction():  # a switch read the room it left: the state's reads start anew
        db.session.commit()
    try:
        state = services.room_state(
            db.session, user, session, cached=True, moderator=moderator, online=entered.online
        )
    except Exception:
        _leave_socket_rooms(sid, payload.session_id)
        raise
    _people_moved(payload.session_id, previous, entered=True, event_id=session.event_id)
    hot.remember_join(sid, user, state["session"], state["is_moderator"])
    ack = ok(state=state)
    _after_join(user, session)
    return ack


def _enter_socket_rooms(sid: str, session: ProgrammeSession, user, moderator: bool) -> None:
    server = realtime_tasks.live_server(
        current_app
    )  # this app's (flask_socketio.join_room's, without a request)
    rooms = [room_name(session.id), event_room(session.event_id), user_room(user.id)]
    if moderator:
        rooms.append(moderators_room(session.id))
    for room in rooms:
        server.enter_room(sid, room, namespace=LIVE)


def _after_join(user, session: ProgrammeSession) -> None:
    """Once the join committed and its state is read: what must run while people are in the room
    (poll timers, a breakout's countdown after a restart). A failure here does not refuse the join."""
    for step in hooks.of().after_join_steps:
        try:
            step(db.session, user, session)
        except Exception:
            db.session.rollback()
            log.exception("after-join step %s failed", getattr(step, "__name__", step))


@live.on("leave")
@live_event(SessionRef)
def on_leave(user, payload: SessionRef):
    left = services.leave_room(db.session, request.sid, payload.session_id)  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
    if left is None:
        return ok(left=False)
    _leave_socket_rooms(request.sid, left)  # type: ignore[attr-defined]  # Flask-SocketIO sets request.sid
    hot.forget_room(request.sid, left)  # type: ignore[attr-defined]
    _people_moved(left)
    return ok(left=True)


def _leave_socket_rooms(sid: str, session_id: int) -> None:
    leave_socket_room(room_name(session_id), sid=sid, namespace=LIVE)
    leave_socket_room(moderators_room(session_id), sid=sid, namespace=LIVE)
    session = db.session.get(ProgrammeSession, session_id)
    if session is not None:  # joining another room of the same event enters this one again at once
        leave_socket_room(event_room(session.event_id), sid=sid, namespace=LIVE)


def _left_on_disconnect(sid: str, _user_id) -> None:
    """The socket's presence row and visit, with the other disconnects of the moment in one batch
    (group commit: one DELETE ... WHERE sid IN (...)); the handler needs no pooled connection. A
    failure raises: conference.realtime tries again later."""
    left = group_commit.submit_bulk(presence.remove_sockets, sid)
    if left is None:
        return
    announce_presence(left.session_id)
    # No left_ids: the socket is gone, and every feature's own disconnect hook cleans up after it
    # (calls remove its member; a prune would cost a query per disconnect).
    hooks.presence_changed.send(left.event_id, session_ids=[left.session_id], left_ids=[])


def _people_moved(
    session_id: int, previous: int | None = None, *, entered: bool = False, event_id: int | None = None
) -> None:
    """After a committed join (`entered`: into `session_id`, from `previous`) or leave: the
    rooms' presence, and other features (attendance; calls prune the rooms someone left).
    `event_id`: the session's event, when the caller knows it."""
    changed = [session_id] + ([previous] if previous not in (None, session_id) else [])
    for moved in changed:
        announce_presence(moved)
    if event_id is None:
        event_id = get_live_session(db.session, session_id).event_id
    left = changed[1:] if entered else changed
    hooks.presence_changed.send(event_id, session_ids=changed, left_ids=left)


def _on_checkin_changed(event_id, session_ids=(), **_extra) -> None:
    """Check-in moved someone: refresh the on-site number of the rooms concerned (all open ones
    of the event when the list is event-wide)."""
    if not has_app_context():
        return
    # The scan is committed already: nothing here, the query included, may turn it into a failure.
    try:
        ids = list(session_ids or ()) or list(
            db.session.scalars(
                select(RoomPresence.session_id)
                .join(ProgrammeSession, ProgrammeSession.id == RoomPresence.session_id)
                .where(ProgrammeSession.event_id == event_id)
                .distinct()
            )
        )
    except Exception:
        db.session.rollback()
        log.exception("rooms of event %s to refresh after a check-in not found", event_id)
        return
    for session_id in ids:
        try:
            announce_presence(session_id)
        except Exception:  # a failing broadcast must never undo or break the check-in that caused it
            log.exception("presence broadcast for session %s failed", session_id)


# --- room settings ---------------------------------------------------------------------------


@live.on("room:settings")
@live_event(RoomSettings)
def on_room_settings(user, payload: RoomSettings):
    return _announce_settings(services.set_moderated(db.session, user, payload.session_id, payload.moderated))


@live.on("room:close")
@live_event(SessionRef)
def on_room_close(user, payload: SessionRef):
    room = services.close_room(db.session, user, payload.session_id)
    reply = _announce_settings(room)
    session = db.session.get_one(ProgrammeSession, room.session_id)
    session_end.announce(session.event_id, session.id, "closed")
    return reply


@live.on("room:reopen")
@live_event(SessionRef)
def on_room_reopen(user, payload: SessionRef):
    return _announce_settings(services.reopen_room(db.session, user, payload.session_id))


def _announce_settings(room) -> dict:
    """Tell the room its new settings (moderation, open or closed) and ack with them."""
    settings = services.room_settings_payload(room)
    broadcast("room:updated", settings, room_name(room.session_id))
    return ok(room=settings)


@live.on("room:who")
@live_event(SessionRef)
def on_room_who(user, payload: SessionRef):
    """Moderators only: the people connected to the room now."""
    session = get_live_session(db.session, payload.session_id)
    ensure_can_moderate(db.session, user, session)
    return ok(session_id=session.id, people=services.people_online(db.session, session.id))


# --- questions -------------------------------------------------------------------------------


def announce_question(event: str, question: Question) -> dict:
    """Send `event` {question} to whoever may see it; returns the views for the ack. A question that
    becomes public (`question:new`) joins the room's next `questions:new` instead."""
    views = services.question_views(db.session, question)
    if event == "question:new" and question.is_public:
        publish_question(question.session_id, views, anonymous=question.anonymous)
        return views
    settle_questions(question.session_id)
    if question.is_public:
        broadcast(event, {"question": views["public"]}, room_name(question.session_id))
        if question.anonymous:
            broadcast(event, {"question": views["moderator"]}, moderators_room(question.session_id))
    else:
        broadcast(event, {"question": views["moderator"]}, moderators_room(question.session_id))
        broadcast(event, {"question": views["moderator"]}, user_room(question.user_id))
    return views


def announce_new_question(info: hot.QuestionInfo, views: dict) -> None:
    """A question was asked (committed): a public one joins the room's next `questions:new`; a
    pending one goes at once to the moderators and the asker's other tabs as `question:new`."""
    if info.is_public:
        publish_question(info.session_id, views, anonymous=info.anonymous)
    else:
        broadcast("question:new", {"question": views["moderator"]}, moderators_room(info.session_id))
        broadcast("question:new", {"question": views["moderator"]}, user_room(info.user_id))


def publish_question(session_id: int, views: dict, *, anonymous: bool) -> None:
    """A question of `session_id` became public (committed): it leaves with the others of the next
    ROOMS_QUESTION_FANOUT_SECONDS in one `questions:new` (at once when that is 0)."""
    realtime_tasks.batcher(current_app, NEW_QUESTIONS_BATCHER).add(session_id, (views, anonymous))


def settle_questions(session_id: int) -> None:
    """Send the room's waiting `questions:new` now (a broadcast about one of them comes next)."""
    realtime_tasks.batcher(current_app, NEW_QUESTIONS_BATCHER).drain(session_id)


def _send_new_questions(session_id: int, items: list[tuple[dict, bool]]) -> None:
    """One `questions:new` to the room (public views, in the order they became public) and, when some
    were asked anonymously, one to its moderators with those questions' authors."""
    server = realtime_tasks.live_server(current_app)
    public = [views["public"] for views, _ in items]
    broadcast("questions:new", {"session_id": session_id, "questions": public}, room_name(session_id), server)
    named = [views["moderator"] for views, anonymous in items if anonymous]
    if named:
        body = {"session_id": session_id, "questions": named}
        broadcast("questions:new", body, moderators_room(session_id), server)


def announce_upvotes(info: hot.QuestionInfo, votes: int, room: hot.RoomInfo) -> None:
    """A question's upvote total changed (committed): the room's totals that changed within
    ROOMS_UPVOTE_COALESCE_SECONDS leave as one `questions:updated`, each read when it leaves (so the
    last one is current); at once, with `votes`, when that is 0."""
    if float(current_app.config["ROOMS_UPVOTE_COALESCE_SECONDS"]) <= 0:
        settle_questions(info.session_id)
        _send_totals(info.session_id, [(info, votes)], room)
    else:
        realtime_tasks.batcher(current_app, UPVOTES_BATCHER).add(info.session_id, info.id)


def _flush_upvotes(session_id: int, question_ids: list[int]) -> None:
    settle_questions(session_id)  # a total never reaches anyone before its question
    infos = []
    for question_id in dict.fromkeys(question_ids):
        try:
            info = hot.question_info(db.session, question_id)
        except NotFound:
            continue  # deleted meanwhile
        if info.is_public:  # else dismissed meanwhile: its `question:removed` was its last word
            infos.append(info)
    if not infos:
        return
    room = hot.room_info(db.session, session_id)
    counts = services.vote_counts(db.session, {info.id for info in infos})
    _send_totals(session_id, [(info, counts.get(info.id, 0)) for info in infos], room)


def _send_totals(session_id: int, totals: list[tuple[hot.QuestionInfo, int]], room: hot.RoomInfo) -> None:
    """`questions:updated` with these totals to the room (and the anonymous ones' moderators' views
    to its moderators)."""
    server = realtime_tasks.live_server(current_app)
    views = [(info, _views(info, votes, room)) for info, votes in totals]
    public = {"session_id": session_id, "questions": [v["public"] for _, v in views]}
    broadcast("questions:updated", public, room_name(session_id), server)
    named = [v["moderator"] for info, v in views if info.anonymous]
    if named:
        body = {"session_id": session_id, "questions": named}
        broadcast("questions:updated", body, moderators_room(session_id), server)


def _views(info: hot.QuestionInfo, votes: int, room: hot.RoomInfo) -> dict:
    pinned = room.pinned_question_id == info.id
    return {
        "public": info.payload(votes, pinned, with_author=False),
        "moderator": info.payload(votes, pinned, with_author=True),
    }


@live.on("question:ask")
@hot_event(AskQuestion)
def on_question_ask(sid: str, payload: AskQuestion):
    text = services.clean_text(payload.text, services.QUESTION_MAX, "question")
    member, _ = hot.access(db.session, sid, payload.session_id)
    room = hot.room_info(db.session, payload.session_id)
    services.ensure_open(room)
    generation = hot.context().generation

    info = group_commit.submit_bulk(
        services.store_questions,
        services.NewQuestion(
            member.user_id, member.name, payload.session_id, text, payload.anonymous, room.moderated
        ),
    )
    hot.remember_question(info, generation)
    views = _views(info, 0, room)
    announce_new_question(info, views)
    return ok(question=views["moderator"])  # the asker may see their own name


@live.on("question:vote")
@hot_event(QuestionRef)
def on_question_vote(sid: str, payload: QuestionRef):
    return _upvote(sid, payload.question_id, voted=True)


@live.on("question:unvote")
@hot_event(QuestionRef)
def on_question_unvote(sid: str, payload: QuestionRef):
    return _upvote(sid, payload.question_id, voted=False)


def _upvote(sid: str, question_id: int, *, voted: bool) -> dict:
    info = hot.question_info(db.session, question_id)
    member, access = hot.access(db.session, sid, info.session_id)
    if not info.is_public:
        # A pending or dismissed question is not on the public list: to others it does not exist.
        raise NotFound("question_not_found", f"there is no question {question_id}")
    room = hot.room_info(db.session, info.session_id)
    services.ensure_open(room)
    if voted:
        votes = group_commit.submit_bulk(services.store_upvotes, (member.user_id, info.id))
    else:
        votes = group_commit.submit(lambda session: services.remove_upvote(session, member.user_id, info.id))
    views = _views(info, votes, room)
    announce_upvotes(info, votes, room)
    mine = info.user_id == member.user_id or access.moderator
    return ok(question=views["moderator" if mine else "public"], voted=voted)


@live.on("question:moderate")
@live_event(ModerateQuestion)
def on_question_moderate(user, payload: ModerateQuestion):
    question, changes = services.moderate_question(
        db.session, user, payload.question_id, payload.action, payload.text
    )
    if payload.action == "dismiss":
        _announce_removal(question, was_public=changes["was_public"])
        return ok(question_id=question.id, status=question.status)
    if changes["unpinned"] is not None:
        announce_question("question:updated", changes["unpinned"])
    event = "question:new" if payload.action == "approve" else "question:updated"
    views = announce_question(event, question)
    return ok(question=views["moderator"])


def _announce_removal(question: Question, *, was_public: bool) -> None:
    settle_questions(question.session_id)  # its `questions:new` first, if it waits
    body = {"question_id": question.id, "session_id": question.session_id}
    if was_public:
        broadcast("question:removed", body, room_name(question.session_id))
    else:
        broadcast("question:removed", body, moderators_room(question.session_id))
        broadcast("question:removed", body, user_room(question.user_id))


# --- chat ------------------------------------------------------------------------------------


@live.on("chat:send")
@hot_event(SendChat)
def on_chat_send(sid: str, payload: SendChat):
    text = services.clean_text(payload.text, services.CHAT_MAX, "message")
    member, _ = hot.access(db.session, sid, payload.session_id)
    services.ensure_open(hot.room_info(db.session, payload.session_id))

    body = group_commit.submit_bulk(
        services.store_chats, services.NewChat(member.user_id, member.name, payload.session_id, text)
    )
    broadcast("chat:message", {"message": body}, room_name(payload.session_id))
    return ok(message=body)


@live.on("chat:delete")
@live_event(ChatRef)
def on_chat_delete(user, payload: ChatRef):
    message = services.delete_chat(db.session, user, payload.message_id)
    broadcast(
        "chat:deleted",
        {"message_id": message.id, "session_id": message.session_id},
        room_name(message.session_id),
    )
    return ok(message_id=message.id)
