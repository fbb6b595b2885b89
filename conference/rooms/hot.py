"""What the hot live events (poll:vote, question:vote/unvote, question:ask, chat:send) need to know,
kept in process memory so that they run no read query.

Per connection (sid): who the person is (id, name) and, per room they may act in, the event and
whether they moderate it: filled by the `join` (which checked all of it) or by the first hot event
for a room not joined (one check against the database). Per room: moderated / closed / the pinned
question. Per poll: its status, kind, options and limits. Per question: what its payload shows.
Per room: the next deadline of its open timed polls, so that a join asks for due polls only once one
may have passed (`polls_may_be_due`).
Per person (for the `join` itself, which a new socket makes before any of the above exists): that
they may enter an event's rooms (they run it or hold a confirmed registration; refusals are never
kept) and whether they moderate a session (`join_rights`).

Rooms with entry rules (breakout rooms, the sessions with a parent: `hooks.add_entry_rule`) are not
kept: who may be in them changes with their round, so a hot event there checks the database (they
are small rooms). Every other entry is dropped when what it says changes, in every process:
- a room's settings (moderation, close, reopen, pin) -> `room_changed(session_id)`;
- a poll opened, closed (by hand, by its timer, at a join), edited or deleted -> `poll_changed(id)`;
- a question moderated -> `question_changed(id)`;
- a registration no longer confirmed -> the person's access to that event is dropped and their
  sockets in that event's rooms are closed, once the change committed (`registration_changed`);
- sign-out, password change, token revoked, grant withdrawn: conference.realtime closes those
  sockets (fanout orders), which forgets their entries; a grant given or withdrawn also drops the
  person's rights (`rights_changed`, sent by conference.grants.services); an expired token's sockets are closed at
  its expiry and refused from then on (conference.realtime).
The same-process drop happens at once; other processes get a fanout order (`kind: "hot"`) over the
Socket.IO message queue. As a backstop for changes no order covers (e.g. a breakout's placements),
every entry is checked again against the database after LIVE_CONTEXT_TTL_SECONDS.

A load that raced with an invalidation is not kept (a generation counter), so a stale read never
outlives the order that should have dropped it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .. import fanout, hooks
from ..accounts.models import User
from ..db_session import DbSession
from ..errors import NotFound, ServiceError
from ..programme.models import ProgrammeSession
from ..realtime import close_local_sockets_by_sid, on_disconnect, socket_user
from ..wire import isoformat_utc
from .access import can_moderate, ensure_can_join, get_live_session
from .access import join_rights as access_join_rights
from .models import PUBLIC_STATUSES, LiveRoom, Question

EXTENSION = "conference.rooms.hot"
AFTER_COMMIT_ORDERS = "conference.hot_orders_after_commit"


@dataclass(frozen=True)
class Access:
    event_id: int
    moderator: bool
    checked_at: float


@dataclass
class Member:
    user_id: int
    name: str
    rooms: dict[int, Access] = field(default_factory=dict)
    events: set[int] = field(default_factory=set)  # events whose rooms this socket entered


@dataclass(frozen=True)
class RoomInfo:
    session_id: int
    moderated: bool
    closed: bool
    pinned_question_id: int | None
    loaded_at: float

    @property
    def is_closed(self) -> bool:
        return self.closed


@dataclass(frozen=True)
class PollInfo:
    id: int
    session_id: int
    status: str
    kind: str
    option_ids: frozenset[int]
    max_choices: int | None
    scale: int | None
    allow_change: bool
    closes_at: datetime | None
    loaded_at: float


@dataclass(frozen=True)
class QuestionInfo:
    id: int
    session_id: int
    user_id: int
    author_name: str
    status: str
    text: str
    anonymous: bool
    edited: bool
    created_at: str
    loaded_at: float

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    def payload(self, votes: int, pinned: bool, *, with_author: bool) -> dict:
        """The same shape as services.question_payload."""
        body: dict[str, Any] = {
            "id": self.id,
            "session_id": self.session_id,
            "text": self.text,
            "votes": votes,
            "status": self.status,
            "pinned": pinned,
            "anonymous": self.anonymous,
            "edited": self.edited,
            "created_at": self.created_at,
        }
        if with_author or not self.anonymous:
            body["author"] = {"id": self.user_id, "name": self.author_name}
        return body


class HotContext:
    """The caches of one app in this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation = 0
        self.members: dict[str, Member] = {}
        self.rooms: dict[int, RoomInfo] = {}
        self.polls: dict[int, PollInfo] = {}
        self.questions: dict[int, QuestionInfo] = {}
        # (user_id, event_id) -> when it was checked that they may enter the event's rooms
        self.admitted: dict[tuple[int, int], float] = {}
        # (user_id, session_id) -> (moderates it, when checked)
        self.moderation: dict[tuple[int, int], tuple[bool, float]] = {}
        # session_id -> (the earliest deadline of its open timed polls, None: none; when checked)
        self.poll_deadlines: dict[int, tuple[datetime | None, float]] = {}

    def bump(self) -> None:
        self.generation += 1


def context(app: Flask | None = None) -> HotContext:
    target = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = target.extensions.get(EXTENSION)
    if found is None:
        found = target.extensions.setdefault(EXTENSION, HotContext())
    return found


def _ttl() -> float:
    return float(current_app.config["LIVE_CONTEXT_TTL_SECONDS"])


def _fresh(stamp: float) -> bool:
    return time.monotonic() - stamp < _ttl()


# --- connections -------------------------------------------------------------------------------


def remember_join(sid: str, user: User, session: dict, moderator: bool) -> None:
    """The join checked who this is and that they may be in the room (`session`: the join state's
    session part): keep it for the hot events."""
    _keep_access(
        context(),
        sid,
        user,
        session["id"],
        Access(session["event_id"], moderator, time.monotonic()),
        ruled=session["parent_id"] is not None,
        generation=None,
    )


def _keep_access(
    ctx: HotContext,
    sid: str,
    user: User,
    session_id: int,
    granted: Access,
    *,
    ruled: bool,
    generation: int | None,
) -> Member:
    """Remember the socket's person and the event it entered; the access itself unless the room has
    entry rules (a breakout room: checked every time) or an invalidation raced with the check."""
    with ctx.lock:
        member = ctx.members.get(sid)
        if member is None or member.user_id != user.id:
            member = ctx.members[sid] = Member(user.id, user.name)
        member.events.add(granted.event_id)
        if not ruled and (generation is None or ctx.generation == generation):
            member.rooms[session_id] = granted
        return member


def forget_room(sid: str, session_id: int) -> None:
    ctx = context()
    with ctx.lock:
        member = ctx.members.get(sid)
        if member is not None:
            member.rooms.pop(session_id, None)


def forget_connection(sid: str, _user_id=None) -> None:
    """A disconnect hook: the socket is gone."""
    ctx = context()
    with ctx.lock:
        ctx.members.pop(sid, None)


def access(db: DbSession, sid: str, session_id: int) -> tuple[Member, Access]:
    """Who is behind `sid` and their right to act in room `session_id`: from memory, or checked
    against the database once (ServiceError `not_registered`, `session_not_found`...)."""
    ctx = context()
    member = ctx.members.get(sid)
    if member is not None:
        known = member.rooms.get(session_id)
        if known is not None and _fresh(known.checked_at):
            return member, known
    generation = ctx.generation
    user = socket_user(sid)  # the full check of the login or token, with its queries
    if user is None:
        raise ServiceError("unauthenticated", "your sign-in has ended; please sign in again", status=401)
    session = get_live_session(db, session_id)
    ensure_can_join(db, user, session)
    granted = Access(session.event_id, can_moderate(db, user, session), time.monotonic())
    member = _keep_access(
        ctx, sid, user, session_id, granted, ruled=session.parent_id is not None, generation=generation
    )
    return member, granted


# --- a person's rights, for the join ---------------------------------------------------------------


def join_rights(db: DbSession, user: User, session: ProgrammeSession) -> bool:
    """`access.join_rights` (may this person enter the room, and do they moderate it), remembered:
    that they may enter the event's rooms when it passed (a refusal is asked again every time), and
    whether they moderate the session. Rooms with entry rules (a parent: breakout rooms) and admins
    (no query to save, and a role that may change) are asked every time."""
    if session.parent_id is not None or user.is_admin:
        return access_join_rights(db, user, session)
    ctx = context()
    admitted = ctx.admitted.get((user.id, session.event_id))
    known = ctx.moderation.get((user.id, session.id))
    if admitted is not None and _fresh(admitted) and known is not None and _fresh(known[1]):
        hooks.check_entry_rules(db, user, session)  # none apply without a parent today: no query
        return known[0]
    generation = ctx.generation
    moderator = access_join_rights(db, user, session)  # raises when refused: nothing kept
    now = time.monotonic()
    _keep(ctx, ctx.admitted, (user.id, session.event_id), now, generation)
    _keep(ctx, ctx.moderation, (user.id, session.id), (moderator, now), generation)
    return moderator


def rights_changed(user_id: int) -> None:
    """A grant of this person was given or withdrawn (committed): every process forgets what it
    knew of their rights."""
    _order({"what": "rights", "user_id": user_id})


def _forget_rights(ctx: HotContext, user_id: Any, event_id: Any = None) -> None:
    """Under ctx.lock: the person's remembered rights (at one event, or everywhere)."""
    for key in [k for k in ctx.admitted if k[0] == user_id and event_id in (None, k[1])]:
        del ctx.admitted[key]
    for key in [k for k in ctx.moderation if k[0] == user_id]:
        del ctx.moderation[key]


# --- rooms, polls, questions ---------------------------------------------------------------------


def room_info(db: DbSession, session_id: int) -> RoomInfo:
    ctx = context()
    known = ctx.rooms.get(session_id)
    if known is not None and _fresh(known.loaded_at):
        return known
    generation = ctx.generation
    room = db.get(LiveRoom, session_id, populate_existing=True)
    if room is None:  # never used yet: created with its default on the first join
        from .services import get_room

        room = get_room(db, get_live_session(db, session_id))
    info = RoomInfo(session_id, room.moderated, room.is_closed, room.pinned_question_id, time.monotonic())
    _keep(ctx, ctx.rooms, session_id, info, generation)
    return info


def poll_info(db: DbSession, poll_id: int) -> PollInfo | None:
    from .polls.models import Poll, PollOption

    ctx = context()
    known = ctx.polls.get(poll_id)
    if known is not None and _fresh(known.loaded_at):
        return known
    generation = ctx.generation
    poll = db.get(Poll, poll_id, populate_existing=True)
    if poll is None:
        return None
    options = frozenset(db.scalars(select(PollOption.id).where(PollOption.poll_id == poll_id)))
    info = PollInfo(
        poll.id,
        poll.session_id,
        poll.status,
        poll.kind,
        options,
        poll.max_choices,
        poll.scale,
        poll.allow_change,
        poll.closes_at,
        time.monotonic(),
    )
    _keep(ctx, ctx.polls, poll_id, info, generation)
    return info


def polls_may_be_due(session_id: int, now: datetime) -> bool:
    """Whether a timed poll of the session may have reached its deadline by `now`: False only when
    the session's next deadline is known (`remember_poll_deadline`) and still ahead, or it has none.
    Any change of a poll (opened, closed, edited, deleted: `poll_changed`) forgets what was known."""
    known = context().poll_deadlines.get(session_id)
    if known is None or not _fresh(known[1]):
        return True
    return known[0] is not None and known[0] <= now


def remember_poll_deadline(session_id: int, deadline: datetime | None, generation: int) -> None:
    """The earliest deadline of the session's open timed polls (None: none), read by a query that
    started at `generation` (a poll change since then wins: nothing is kept)."""
    ctx = context()
    _keep(ctx, ctx.poll_deadlines, session_id, (deadline, time.monotonic()), generation)


def remember_poll(poll) -> None:
    """A poll just opened (committed, its options loaded): the first votes need not read it."""
    ctx = context()
    info = PollInfo(
        poll.id,
        poll.session_id,
        poll.status,
        poll.kind,
        frozenset(o.id for o in poll.options),
        poll.max_choices,
        poll.scale,
        poll.allow_change,
        poll.closes_at,
        time.monotonic(),
    )
    _keep(ctx, ctx.polls, poll.id, info, ctx.generation)


def question_info(db: DbSession, question_id: int) -> QuestionInfo:
    ctx = context()
    known = ctx.questions.get(question_id)
    if known is not None and _fresh(known.loaded_at):
        return known
    generation = ctx.generation
    row = db.execute(
        select(Question, User.name)
        .join(User, User.id == Question.user_id)
        .where(Question.id == question_id)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound("question_not_found", f"there is no question {question_id}")
    info = info_of_question(row[0], row[1])
    _keep(ctx, ctx.questions, question_id, info, generation)
    return info


def info_of_question(question: Question, author_name: str) -> QuestionInfo:
    return QuestionInfo(
        question.id,
        question.session_id,
        question.user_id,
        author_name,
        question.status,
        question.text,
        bool(question.anonymous),
        bool(question.edited),
        isoformat_utc(question.created_at, milliseconds=True) or "",
        time.monotonic(),
    )


def remember_question(info: QuestionInfo, generation: int) -> None:
    ctx = context()
    _keep(ctx, ctx.questions, info.id, info, generation)


def _keep(ctx: HotContext, store: dict, key: Any, value: Any, generation: int) -> None:
    with ctx.lock:
        if ctx.generation == generation:
            store[key] = value


# --- invalidation --------------------------------------------------------------------------------


def room_changed(session_id: int) -> None:
    """A room's settings changed (committed): every process forgets what it knew of the room."""
    _order({"what": "room", "id": session_id})


def poll_changed(poll_id: int) -> None:
    _order({"what": "poll", "id": poll_id})


def question_changed(question_id: int) -> None:
    _order({"what": "question", "id": question_id})


def _order(order: dict) -> None:
    if not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    fanout.close_sockets(app, "hot", **order)


def apply_order(app: Flask | None, order: dict) -> int:
    """Apply a `hot` order in this process (fanout calls this for every process); sockets closed."""
    if app is None:
        return 0
    ctx = context(app)
    what, key = order.get("what"), order.get("id")
    closing: list[str] = []
    with ctx.lock:
        ctx.bump()
        if what == "room":
            ctx.rooms.pop(key, None)  # type: ignore[arg-type]
        elif what == "poll":
            ctx.polls.pop(key, None)  # type: ignore[arg-type]
            ctx.poll_deadlines.clear()  # the order does not say which session: forget them all
        elif what == "question":
            ctx.questions.pop(key, None)  # type: ignore[arg-type]
        elif what == "rights":
            _forget_rights(ctx, order.get("user_id"))
        elif what in ("member", "member-forget"):
            user_id, event_id = order.get("user_id"), order.get("event_id")
            _forget_rights(ctx, user_id, event_id)
            for sid, member in ctx.members.items():
                if member.user_id != user_id:
                    continue
                for session_id in [s for s, a in member.rooms.items() if a.event_id == event_id]:
                    del member.rooms[session_id]
                if what == "member" and event_id in member.events:
                    closing.append(sid)
    if not closing:
        return 0
    return close_local_sockets_by_sid(closing)


# --- registrations: after the change committed, in every process --------------------------------


def _on_registration_changed(registration, db=None, change=None, **_extra) -> None:
    if change == "confirmed" or db is None or not has_app_context():
        return
    order = {"what": "member", "user_id": registration.user_id, "event_id": registration.event_id}
    # Forget at once (a refused event re-checks the database), and close the sockets once committed:
    # closing earlier would let a reconnect see the registration not yet cancelled.
    apply_order(current_app._get_current_object(), {**order, "what": "member-forget"})  # type: ignore[attr-defined]
    db.info.setdefault(AFTER_COMMIT_ORDERS, []).append(order)


def _on_grants_changed(_kind, user_id=None, **_extra) -> None:
    if user_id is not None and has_app_context():
        rights_changed(user_id)


def _after_commit(session: Session) -> None:
    orders = session.info.pop(AFTER_COMMIT_ORDERS, None)
    if orders and has_app_context():
        for order in orders:
            _order(order)


def _after_rollback(session: Session, previous) -> None:
    if not previous.nested:  # the whole transaction is gone, not just a savepoint of it
        session.info.pop(AFTER_COMMIT_ORDERS, None)


def init_app(app: Flask) -> None:
    """Forget each socket's entries when it goes; watch registrations."""
    on_disconnect(app, forget_connection)
    hooks.registration_changed.connect(_on_registration_changed)
    hooks.grants_changed.connect(_on_grants_changed)
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)
