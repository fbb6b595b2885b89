"""Live room rules: joining, room settings, moderated Q&A and chat.

Plain functions over a database session. They raise ServiceError codes and never emit: the socket
handlers decide who hears about a change (see `sockets.announce_question`).

Public API for other features: `join_room`, `leave_room`, `online_count`, `current_room_of`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import hooks, wire
from ..accounts.models import User
from ..db_session import DbSession, execute_dml
from ..db_types import utcnow
from ..errors import Conflict, NotFound, ServiceError
from ..programme.models import MODERATED_BY_DEFAULT, ProgrammeSession
from ..programme.streams import stream_or_none
from ..wire import isoformat_utc
from . import hot, presence, ratelimit, snapshots
from .access import (
    can_moderate,
    ensure_can_join,
    ensure_can_moderate,
    get_live_session,
    live_session,
    moderators_room,
    room_name,
)
from .models import (
    PUBLIC_STATUSES,
    ChatMessage,
    LiveRoom,
    Question,
    QuestionStatus,
    QuestionVote,
    RoomPresence,
)
from .presence import (
    Entry,
    JoinInProgress,
    current_room_of,
    enter,
    enter_rows,
    leave_room,
    online_count,
    presence_of,
)

__all__ = [
    "ask_question",
    "close_room",
    "current_room_of",
    "delete_chat",
    "get_room",
    "join_room",
    "leave_room",
    "moderate_question",
    "online_count",
    "people_online",
    "reopen_room",
    "room_state",
    "send_chat",
    "set_moderated",
    "unvote",
    "vote",
]

CHAT_TAIL = 50
QUESTION_MAX = wire.QUESTION_MAX  # stated once in conference.wire, sent to the JavaScript
CHAT_MAX = wire.CHAT_MAX


# --- rooms -----------------------------------------------------------------------------------


def get_room(db: DbSession, session: ProgrammeSession) -> LiveRoom:
    """The session's live room state, created with the kind's default moderation on first use."""
    room = db.get(LiveRoom, session.id)
    if room is not None:
        return room
    room = LiveRoom(session_id=session.id, moderated=session.kind in MODERATED_BY_DEFAULT)
    db.add(room)
    try:
        db.commit()
    except IntegrityError:  # another process created it first
        db.rollback()
        room = db.get_one(LiveRoom, session.id)
    return room


def session_payload(session: ProgrammeSession, room: LiveRoom) -> dict:
    return {
        "id": session.id,
        "event_id": session.event_id,
        "title": session.title,
        # Every translation of the title: each viewer's page picks its own language (docs/protocol.md).
        "translations": {"title": (session.translations or {}).get("title", {})},
        "kind": session.kind,
        "parent_id": session.parent_id,
        "starts_at": isoformat_utc(session.starts_at, milliseconds=True),
        "ends_at": isoformat_utc(session.ends_at, milliseconds=True),
        "language": session.language,
        "capacity": session.capacity,
        "stream_url": session.stream_url,
        "room": session.room,
        "moderated": room.moderated,
        "closed": room.is_closed,
        "stream": stream_or_none(session.stream_url),
    }


def session_update_payload(session: ProgrammeSession, changed=()) -> dict:
    """The `session:updated` broadcast: what open live and agenda pages show of a session, and
    which fields changed. No room settings: they have their own `room:updated`."""
    return {
        "id": session.id,
        "session_id": session.id,
        "event_id": session.event_id,
        "title": session.title,
        # Every translation of the title: each viewer's page picks its own language (docs/protocol.md).
        "translations": {"title": (session.translations or {}).get("title", {})},
        "kind": session.kind,
        "parent_id": session.parent_id,
        "starts_at": isoformat_utc(session.starts_at, milliseconds=True),
        "ends_at": isoformat_utc(session.ends_at, milliseconds=True),
        "room": session.room,
        "capacity": session.capacity,
        "language": session.language,
        "stream_url": session.stream_url,
        "stream": stream_or_none(session.stream_url),
        "changed": sorted(changed),
    }


def room_settings_payload(room: LiveRoom) -> dict:
    """The `room:updated` broadcast."""
    return {"session_id": room.session_id, "moderated": room.moderated, "closed": room.is_closed}


def join_room(db: DbSession, user: User, session_id: int, sid: str) -> dict:
    """Put socket `sid` of `user` in the room (leaving any other) and return the full join state."""
    session, room = enter_room(db, user, session_id, sid)
    return room_state(db, user, session, room)


def enter_room(
    db: DbSession, user: User, session_id: int, sid: str, *, screen: bool = False
) -> tuple[ProgrammeSession, LiveRoom]:
    """Put socket `sid` of `user` in the room (leaving any other), committed; `room_state` reads it.
    `screen`: the hall's projector (a moderator's page), which follows the room without counting."""
    session = get_live_session(db, session_id)
    ensure_can_join(db, user, session)
    if screen:
        ensure_can_moderate(db, user, session)
    ratelimit.consume(db, f"join:{user.id}", "join")  # counted with the entry, in its transaction
    room = get_room(db, session)
    enter(db, user.id, session.id, sid, screen=screen)
    db.commit()
    return session, room


def admit(
    db: DbSession, user: User, session_id: int, *, screen: bool = False
) -> tuple[ProgrammeSession, bool]:
    """The checks of a socket's join, from what conference.rooms.hot remembers of the person: the
    session, and whether they moderate it. `screen` (the hall's projector) needs a moderator. The
    room's row is made on the first join (its default moderation). The session is a detached Core
    row (`access.live_session`): read it, never change it."""
    session = live_session(db, session_id)
    moderator = hot.join_rights(db, user, session)
    if screen and not moderator:
        ensure_can_moderate(db, user, session)  # asks the database once more, and says why not
    hot.room_info(db, session.id)
    return session, moderator


@dataclass(frozen=True)
class Entered:
    """What `store_entries` did for one join: the room the socket left (None: none), and the
    people online in the room it entered once the batch's entries were written (its own included)."""

    previous: int | None
    online: int


def store_entries(db: DbSession, entries: list[Entry]) -> list[Entered | Exception]:
    """The joins of a group-commit batch at once (conference.group_commit.submit_bulk; no commit or
    rollback here): each counted against its person's rate limit (`rate_limited` writes nothing of
    it), then the sockets put in their rooms (`enter_rows`), with a few statements for the
    whole batch: one SELECT of the rooms these sockets are in, one executemany INSERT of the presence
    rows and one of the visits, and one count of the people online per room entered (instead of one
    per joiner: a join storm's count scans the room's rows each time). A socket already in a room (a
    switch) or twice in the batch goes through `enter_rows` after them, in order. One result per
    entry: `Entered`, or its refusal."""
    refusals = ratelimit.consume_many(db, [f"join:{e.user_id}" for e in entries], "join")
    admitted = [n for n, refused in enumerate(refusals) if refused is None]
    results: list[Entered | Exception] = [r if r is not None else Entered(None, 0) for r in refusals]
    if not admitted:
        return results
    sids = [entries[n].sid for n in admitted]
    inside = set(presence.rooms_of_sockets(db, sids))
    repeated = {sid for sid, count in Counter(sids).items() if count > 1}
    alone = [n for n in admitted if entries[n].sid in inside or entries[n].sid in repeated]
    together = set(admitted) - set(alone)
    presence.enter_many(db, [entries[n] for n in admitted if n in together])
    left: dict[int, int | None] = {}
    for n in alone:  # rare: a switch of rooms, or one socket's two joins in one batch
        entry = entries[n]
        try:
            with db.begin_nested():
                left[n] = enter_rows(db, entry.user_id, entry.session_id, entry.sid, screen=entry.screen)
        except IntegrityError:
            results[n] = JoinInProgress()
    online = {room: online_count(db, room) for room in {entries[n].session_id for n in admitted}}
    for n in admitted:
        if not isinstance(results[n], Exception):
            results[n] = Entered(left.get(n), online[entries[n].session_id])
    return results


def room_state(
    db: DbSession,
    user: User,
    session: ProgrammeSession,
    room: LiveRoom | None = None,
    *,
    cached: bool = False,
    moderator: bool | None = None,
    online: int | None = None,
) -> dict:
    """Everything a client needs to draw the room from scratch (after a join or a reconnect): the
    room's shared part (cached per room when `cached`, see snapshots.py) and this person's view.

    The `join` handler calls it with `cached=True` only once the socket is in the room's Socket.IO
    rooms; other callers get a state built now. `room` is accepted for the callers that hold it;
    `moderator` saves asking again when the caller knows, `online` counting the people online
    (the join's batch counted them: `Entered`)."""
    joiner = hooks.Joiner(user, can_moderate(db, user, session) if moderator is None else moderator)
    if cached:
        shared = snapshots.shared_state(session.id, snapshot_rooms(session), shared_room_state)
    else:
        shared = shared_room_state(db, session)
    return personal_room_state(db, joiner, session, shared, online=online)


def snapshot_rooms(session: ProgrammeSession) -> list[str]:
    """The Socket.IO rooms whose broadcasts may change the room's shared state."""
    rooms = [room_name(session.id), moderators_room(session.id)]
    for part in hooks.of().join_state_parts:
        if part.rooms is not None:
            rooms.extend(r for r in part.rooms(session) if r not in rooms)
    return rooms


def shared_room_state(db: DbSession, session: ProgrammeSession) -> dict:
    """What everyone in the room sees alike, from a number of queries that does not grow with the
    room: the session and its settings, the on-site count, the public questions (anonymous ones
    without their author) with their votes, the chat tail, and every feature's shared part."""
    room = get_room(db, session)
    state = {
        "session": session_payload(session, room),
        "presence": presence_of(db, session),
        "questions": _question_rows_payload(
            db,
            _with_votes_and_authors(
                select(Question).where(
                    Question.session_id == session.id, Question.status.in_(PUBLIC_STATUSES)
                )
            ),
            room.pinned_question_id,
            with_author=lambda _q: False,
        ),
        "chat": chat_tail(db, session.id),
    }
    for part in hooks.of().join_state_parts:
        hooks.merge_join_state(state, part.shared(db, session), getattr(part.shared, "__qualname__", part))
    return state


def personal_room_state(
    db: DbSession, joiner: hooks.Joiner, session: ProgrammeSession, shared: dict, *, online: int | None = None
) -> dict:
    """One person's state from the room's shared state (which stays untouched): the people online
    now (your own arrival included: `online` when the caller counted them since), your upvotes, your
    own questions (pending ones, and your name on your anonymous ones), a moderator's queue and the
    anonymous askers' names, each feature's personal view, and the personal-only providers' keys."""
    user = joiner.user
    state = dict(shared)
    state["presence"] = {
        **shared["presence"],
        "online": online_count(db, session.id) if online is None else online,
    }
    state["questions"] = _personal_questions(db, joiner, session, shared["questions"])
    state["my_votes"] = my_votes(db, user.id, session.id)
    state["is_moderator"] = joiner.moderator
    for part in hooks.of().join_state_parts:
        if part.personal is None:
            continue
        state.update(part.personal(db, joiner, session, shared))
    for key, value in hooks.extra_join_state(db, user, session).items():
        hooks.merge_join_state(state, {key: value}, "provider")
    return state


_QUESTION_PAYLOAD_COLUMNS = (
    Question.id,
    Question.session_id,
    Question.text,
    Question.status,
    Question.anonymous,
    Question.edited,
    Question.created_at,
    Question.user_id,
    User.name,
)


def _vote_count():
    """The upvotes of the question of the enclosing query (a correlated scalar subquery)."""
    return (
        select(func.count())
        .select_from(QuestionVote)
        .where(QuestionVote.question_id == Question.id)
        .correlate(Question)
        .scalar_subquery()
    )


@cache
def _personal_questions_query(moderator: bool) -> Select:
    """What a joiner sees besides the public list (bind parameters `session_id`, `user_id`), as Core
    rows (`question_payload_of_row`): built once, as every join runs it (building and keying it anew
    cost more than running it, and loading mapped objects more than reading rows)."""
    votes = _vote_count()
    query = (
        select(*_QUESTION_PAYLOAD_COLUMNS, votes)
        .join(User, User.id == Question.user_id)
        .where(
            Question.session_id == bindparam("session_id"),
            Question.status != QuestionStatus.DISMISSED.value,
        )
    )
    if moderator:
        query = query.where((Question.status == QuestionStatus.PENDING.value) | Question.anonymous.is_(True))
    else:
        query = query.where(Question.user_id == bindparam("user_id"))
    return query


def question_payload_of_row(row, pinned_id: int | None) -> dict:
    """`question_payload(..., with_author=True)` of a `_personal_questions_query` row."""
    question_id, session_id, text, status, anonymous, edited, created_at, user_id, name, votes = row
    return {
        "id": question_id,
        "session_id": session_id,
        "text": text,
        "votes": votes or 0,
        "status": status,
        "pinned": pinned_id == question_id,
        "anonymous": anonymous,
        "edited": edited,
        "created_at": isoformat_utc(created_at, milliseconds=True),
        "author": {"id": user_id, "name": name},
    }


def _question_rows_payload(
    db: DbSession, query, pinned_id: int | None, *, with_author, params: dict | None = None
) -> list[dict]:
    """Questions of `query` (`_with_votes_and_authors`) as payloads (one query)."""
    rows = db.execute(query, params or {}).all()
    result = [
        question_payload(q, count or 0, pinned_id == q.id, with_author=with_author(q)) for q, count in rows
    ]
    result.sort(key=_question_order)
    return result


def _with_votes_and_authors(query: Select) -> Select:
    """`query` (of Question) with each question's vote count, its author loaded with it."""
    votes = _vote_count()
    return query.add_columns(votes).options(joinedload(Question.author))


def _question_order(question: dict) -> tuple:
    return (-question["votes"], question["created_at"], question["id"])


def _personal_questions(
    db: DbSession, joiner: hooks.Joiner, session: ProgrammeSession, public: list[dict]
) -> list[dict]:
    """The public list, plus what this person may see besides: a moderator the queue and every
    anonymous author, an attendee their own pending questions and their name on their own."""
    pinned = next((q["id"] for q in public if q["pinned"]), None)
    rows = db.connection().execute(
        _personal_questions_query(joiner.moderator), {"session_id": session.id, "user_id": joiner.user.id}
    )
    extra = sorted((question_payload_of_row(row, pinned) for row in rows), key=_question_order)
    if not extra:
        return public
    by_id = {q["id"]: q for q in public}
    for question in extra:
        shown = by_id.get(question["id"])
        # The shared list's counts and pin go with its moment; a change since reaches you as a broadcast.
        by_id[question["id"]] = (
            {**question, "votes": shown["votes"], "pinned": shown["pinned"]} if shown else question
        )
    return sorted(by_id.values(), key=_question_order)


def _room_for_change(
    db: DbSession, user: User, session_id: int, *, moderator: bool = False
) -> tuple[ProgrammeSession, LiveRoom]:
    session = get_live_session(db, session_id)
    if moderator:
        ensure_can_moderate(db, user, session)
    else:
        ensure_can_join(db, user, session)
    return session, get_room(db, session)


def set_moderated(db: DbSession, user: User, session_id: int, moderated: bool) -> LiveRoom:
    """Turn the moderation queue on or off. Questions already pending stay in the queue."""
    _, room = _room_for_change(db, user, session_id, moderator=True)
    room.moderated = moderated
    db.commit()
    hot.room_changed(room.session_id)
    return room


def close_room(db: DbSession, user: User, session_id: int) -> LiveRoom:
    """Close the room: it stays readable, but no question, vote or chat line is accepted."""
    _, room = _room_for_change(db, user, session_id, moderator=True)
    db.execute(
        update(LiveRoom)
        .where(LiveRoom.session_id == room.session_id, LiveRoom.closed_at.is_(None))
        .values(closed_at=utcnow())
    )
    db.commit()
    hot.room_changed(room.session_id)
    db.refresh(room)
    return room


def reopen_room(db: DbSession, user: User, session_id: int) -> LiveRoom:
    _, room = _room_for_change(db, user, session_id, moderator=True)
    room.closed_at = None
    db.commit()
    hot.room_changed(room.session_id)
    return room


def _ensure_open(room) -> None:
    if room.is_closed:
        raise Conflict("room_closed", "this room is closed: questions, votes and chat are over")


def ensure_room_open(db: DbSession, session_id: int) -> None:
    """For other live features (polls): a closed room takes no more answers from anyone."""
    room = db.get(LiveRoom, session_id)
    if room is not None:
        _ensure_open(room)


# --- questions -------------------------------------------------------------------------------


def question_payload(question: Question, votes: int, pinned: bool, *, with_author: bool) -> dict:
    """A question as a client sees it. `with_author` False hides an anonymous asker's name."""
    body = {
        "id": question.id,
        "session_id": question.session_id,
        "text": question.text,
        "votes": votes,
        "status": question.status,
        "pinned": pinned,
        "anonymous": question.anonymous,
        "edited": question.edited,
        "created_at": isoformat_utc(question.created_at, milliseconds=True),
    }
    if with_author or not question.anonymous:
        body["author"] = {"id": question.author.id, "name": question.author.name}
    return body


def vote_count(db: DbSession, question_id: int) -> int:
    return (
        db.scalar(
            select(func.count()).select_from(QuestionVote).where(QuestionVote.question_id == question_id)
        )
        or 0
    )


def question_views(db: DbSession, question: Question, room: LiveRoom | None = None) -> dict:
    """The public view and the moderators' view (with the anonymous author) of one question."""
    room = room or db.get(LiveRoom, question.session_id)
    votes = vote_count(db, question.id)
    pinned = room is not None and room.pinned_question_id == question.id
    return {
        "public": question_payload(question, votes, pinned, with_author=False),
        "moderator": question_payload(question, votes, pinned, with_author=True),
    }


def visible_questions(db: DbSession, user: User, session_id: int, room: LiveRoom) -> list[dict]:
    """Moderators see the queue and the live list; others the live list plus their own pending ones."""
    moderator = can_moderate(db, user, get_live_session(db, session_id))
    query = select(Question).where(Question.session_id == session_id)
    if moderator:
        query = query.where(Question.status != QuestionStatus.DISMISSED.value)
    else:
        query = query.where(
            (Question.status.in_(PUBLIC_STATUSES))
            | ((Question.status == QuestionStatus.PENDING.value) & (Question.user_id == user.id))
        )
    questions = list(db.scalars(query.order_by(Question.created_at, Question.id)))
    counts = _vote_counts(db, [q.id for q in questions])
    result = [
        question_payload(
            q,
            counts.get(q.id, 0),
            room.pinned_question_id == q.id,
            with_author=moderator or q.user_id == user.id,
        )
        for q in questions
    ]
    result.sort(key=lambda q: (-q["votes"], q["created_at"], q["id"]))
    return result


def _vote_counts(db: DbSession, question_ids: list[int]) -> dict[int, int]:
    if not question_ids:
        return {}
    rows = db.execute(
        select(QuestionVote.question_id, func.count())
        .where(QuestionVote.question_id.in_(question_ids))
        .group_by(QuestionVote.question_id)
    )
    return dict(rows.all())


_MY_VOTES = (
    select(QuestionVote.question_id)
    .join(Question, Question.id == QuestionVote.question_id)
    .where(QuestionVote.user_id == bindparam("user_id"), Question.session_id == bindparam("session_id"))
    .order_by(QuestionVote.question_id)
)


def my_votes(db: DbSession, user_id: int, session_id: int) -> list[int]:
    """The questions of the room this person upvoted (Core: every join asks)."""
    return list(db.connection().execute(_MY_VOTES, {"user_id": user_id, "session_id": session_id}).scalars())


def ask_question(db: DbSession, user: User, session_id: int, text: str, anonymous: bool = False) -> Question:
    """A new question: pending in a moderated room, approved at once otherwise."""
    text = clean_text(text, QUESTION_MAX, "question")
    _, room = _room_for_change(db, user, session_id)
    _ensure_open(room)
    ratelimit.consume(db, f"question:{user.id}", "question")
    status = QuestionStatus.PENDING if room.moderated else QuestionStatus.APPROVED
    question = Question(
        session_id=room.session_id, user_id=user.id, text=text, anonymous=anonymous, status=status.value
    )
    db.add(question)
    db.commit()
    return question


def get_question(db: DbSession, question_id: int) -> Question:
    question = db.get(Question, question_id)
    if question is None:
        raise NotFound("question_not_found", f"there is no question {question_id}")
    return question


def _votable_question(db: DbSession, user: User, question_id: int) -> tuple[Question, LiveRoom]:
    question = get_question(db, question_id)
    _, room = _room_for_change(db, user, question.session_id)
    if question.status not in PUBLIC_STATUSES:
        # A pending or dismissed question is not on the public list: to others it does not exist.
        raise NotFound("question_not_found", f"there is no question {question_id}")
    _ensure_open(room)
    return question, room


def vote(db: DbSession, user: User, question_id: int) -> Question:
    """Upvote once; a second vote by the same person is refused by UNIQUE(question_id, user_id)."""
    question, _ = _votable_question(db, user, question_id)
    ratelimit.consume(db, f"vote:{user.id}", "vote")
    db.add(QuestionVote(question_id=question.id, user_id=user.id))
    try:
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        if not _has_voted(db, user.id, question.id):
            raise  # some other integrity failure: reported as a storage error, not as a vote
        raise Conflict("already_voted", "you have already voted for this question") from exc
    return question


def _has_voted(db: DbSession, user_id: int, question_id: int) -> bool:
    return (
        db.scalar(
            select(QuestionVote.id).where(
                QuestionVote.question_id == question_id, QuestionVote.user_id == user_id
            )
        )
        is not None
    )


def unvote(db: DbSession, user: User, question_id: int) -> Question:
    """Take one's vote back."""
    question, _ = _votable_question(db, user, question_id)
    ratelimit.consume(db, f"vote:{user.id}", "vote")
    removed = execute_dml(
        db,
        delete(QuestionVote).where(QuestionVote.question_id == question.id, QuestionVote.user_id == user.id),
    ).rowcount
    if not removed:
        db.rollback()
        raise Conflict("not_voted", "you have not voted for this question")
    db.commit()
    return question


# --- the hot writes, run by conference.group_commit inside a batch (no commit, no rollback here) -----


@dataclass(frozen=True)
class NewQuestion:
    """A question for `store_questions`; the caller checked the text and the room."""

    user_id: int
    author_name: str
    session_id: int
    text: str
    anonymous: bool
    moderated: bool  # a moderated room's question waits for approval (pending)


def store_question(
    db: DbSession, user_id: int, session_id: int, text: str, anonymous: bool, moderated: bool
) -> int:
    """`store_questions` for one question: its id, or the refusal raised."""
    result = store_questions(db, [NewQuestion(user_id, "", session_id, text, anonymous, moderated)])[0]
    if isinstance(result, Exception):
        raise result
    return result.id


def store_questions(db: DbSession, questions: list[NewQuestion]) -> list[hot.QuestionInfo | Exception]:
    """Questions, a group-commit batch's worth at once (no commit or rollback here): each counted
    against its person's flood limit (`rate_limited` stores nothing of it), the rest inserted by one
    INSERT ... RETURNING id. One result per question, in order: what conference.rooms.hot keeps of
    it, or its refusal."""
    now = utcnow()

    def row_of(question: NewQuestion) -> dict:
        status = QuestionStatus.PENDING if question.moderated else QuestionStatus.APPROVED
        return {
            "session_id": question.session_id,
            "user_id": question.user_id,
            "text": question.text,
            "anonymous": question.anonymous,
            "status": status.value,
            "edited": False,
            "created_at": now,
            "updated_at": now,
        }

    def info(question: NewQuestion, stored: tuple[int, dict]) -> hot.QuestionInfo:
        question_id, row = stored
        return hot.QuestionInfo(
            question_id,
            question.session_id,
            question.user_id,
            question.author_name,
            row["status"],
            question.text,
            question.anonymous,
            False,
            isoformat_utc(now, milliseconds=True) or "",
            time.monotonic(),
        )

    stored = _insert_within_flood_limit(db, Question, "question", questions, row_of)
    return [r if isinstance(r, Exception) else info(q, r) for q, r in zip(questions, stored, strict=True)]


def _insert_within_flood_limit(
    db: DbSession, model, action: str, items: list, row_of: Callable[[Any], dict]
) -> list[tuple[int, dict] | Exception]:
    """Each item counted against its person's `action` flood limit (`rate_limited` stores nothing of
    it), the rest inserted by one INSERT ... RETURNING id. One result per item, in order: its new id
    and row, or its refusal."""
    refusals = ratelimit.consume_many(db, [f"{action}:{item.user_id}" for item in items], action)
    rows = [row_of(item) for item, refused in zip(items, refusals, strict=True) if refused is None]
    stored = iter(zip(_insert_returning_ids(db, model, rows), rows, strict=True))
    return [refused if refused is not None else next(stored) for refused in refusals]


def _insert_returning_ids(db: DbSession, model, rows: list[dict]) -> list[int]:
    """INSERT the rows (one statement, executemany); their new ids in the rows' order."""
    if not rows:
        return []
    return list(
        db.connection()
        .execute(insert(model).returning(model.id, sort_by_parameter_order=True), rows)
        .scalars()
    )


def store_upvotes(db: DbSession, upvotes: list[tuple[int, int]]) -> list[int | Exception]:
    """Upvotes (user id, question id), a group-commit batch's worth at once (no commit or rollback
    here): one INSERT ... ON CONFLICT (question_id, user_id) DO NOTHING RETURNING, so that
    UNIQUE(question_id, user_id) refuses a second upvote (`already_voted`) without failing the others;
    then each stored one counts against its person's flood limit (a refused one is taken back), and
    one query counts the questions' new totals. One result per upvote, in order: the question's new
    total or the upvote's refusal."""
    votes = QuestionVote.__table__
    connection = db.connection()
    now = utcnow()
    stored = connection.execute(
        insert_for(db)(votes)
        .on_conflict_do_nothing(index_elements=[votes.c.question_id, votes.c.user_id])
        .returning(votes.c.id, votes.c.question_id, votes.c.user_id),
        [{"question_id": q, "user_id": u, "created_at": now} for u, q in upvotes],
    ).all()
    row_of = {(user_id, question_id): vote_id for vote_id, question_id, user_id in stored}
    results: list[int | Exception | None] = [None] * len(upvotes)
    counted: list[tuple[int, int]] = []  # (position, vote id) of the stored ones
    for n, key in enumerate(upvotes):
        vote_id = row_of.pop(key, None)
        if vote_id is None:  # voted before, or twice in this batch
            results[n] = Conflict("already_voted", "you have already voted for this question")
        else:
            counted.append((n, vote_id))
    refusals = ratelimit.consume_many(db, [f"vote:{upvotes[n][0]}" for n, _ in counted], "vote")
    taken_back = []
    for (n, vote_id), refused in zip(counted, refusals, strict=True):
        if refused is not None:
            taken_back.append(vote_id)
            results[n] = refused
    if taken_back:
        connection.execute(delete(QuestionVote).where(QuestionVote.id.in_(taken_back)))
    questions = {question_id for (_user, question_id), r in zip(upvotes, results, strict=True) if r is None}
    totals = vote_counts(db, questions)
    return [r if r is not None else totals.get(q, 0) for (_u, q), r in zip(upvotes, results, strict=True)]


def vote_counts(db: DbSession, question_ids: set[int]) -> dict[int, int]:
    """Upvotes per question, for these questions (one query)."""
    if not question_ids:
        return {}
    rows = db.execute(
        select(QuestionVote.question_id, func.count())
        .where(QuestionVote.question_id.in_(sorted(question_ids)))
        .group_by(QuestionVote.question_id)
    ).all()
    return dict(rows)


def insert_for(db: DbSession):
    """The dialect's INSERT, for ON CONFLICT (SQLite and PostgreSQL)."""
    return postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert


def remove_upvote(db: DbSession, user_id: int, question_id: int) -> int:
    """Take one's upvote back; the question's new total."""
    ratelimit.consume(db, f"vote:{user_id}", "vote")
    removed = execute_dml(
        db,
        delete(QuestionVote).where(QuestionVote.question_id == question_id, QuestionVote.user_id == user_id),
    ).rowcount
    if not removed:
        raise Conflict("not_voted", "you have not voted for this question")
    return vote_count(db, question_id)


@dataclass(frozen=True)
class NewChat:
    """A chat line for `store_chats`; the caller checked the text and the room."""

    user_id: int
    author_name: str
    session_id: int
    text: str


def store_chat(db: DbSession, user_id: int, session_id: int, text: str) -> dict:
    """`store_chats` for one line: its payload, or the refusal raised."""
    result = store_chats(db, [NewChat(user_id, "", session_id, text)])[0]
    if isinstance(result, Exception):
        raise result
    return result


def store_chats(db: DbSession, lines: list[NewChat]) -> list[dict | Exception]:
    """Chat lines, a group-commit batch's worth at once (no commit or rollback here): each counted
    against its person's flood limit (`rate_limited` stores nothing of it), the rest inserted by one
    INSERT ... RETURNING id. One result per line, in order: its `chat_payload`, or its refusal."""
    now = utcnow()

    def row_of(line: NewChat) -> dict:
        return {"session_id": line.session_id, "user_id": line.user_id, "text": line.text, "created_at": now}

    stored = _insert_within_flood_limit(db, ChatMessage, "chat", lines, row_of)
    return [
        r
        if isinstance(r, Exception)
        else chat_payload_of(r[0], line.session_id, line.text, (line.user_id, line.author_name), now)
        for line, r in zip(lines, stored, strict=True)
    ]


def chat_payload_of(message_id: int, session_id: int, text: str, author: tuple[int, str], created_at) -> dict:
    """`chat_payload` from known values (no lazy load of the author)."""
    return {
        "id": message_id,
        "session_id": session_id,
        "text": text,
        "author": {"id": author[0], "name": author[1]},
        "created_at": isoformat_utc(created_at, milliseconds=True),
    }


def ensure_open(room) -> None:
    """A closed room (a LiveRoom or what conference.rooms.hot knows of it) takes nothing more."""
    _ensure_open(room)


MODERATION_ACTIONS = ("approve", "dismiss", "answer", "pin", "unpin", "edit")
# action -> statuses it may start from
_ALLOWED_FROM = {
    "approve": (QuestionStatus.PENDING.value,),
    "dismiss": (QuestionStatus.PENDING.value, QuestionStatus.APPROVED.value, QuestionStatus.ANSWERED.value),
    "answer": (QuestionStatus.APPROVED.value,),
    "pin": PUBLIC_STATUSES,
    "unpin": PUBLIC_STATUSES,
    "edit": (QuestionStatus.PENDING.value, QuestionStatus.APPROVED.value, QuestionStatus.ANSWERED.value),
}


def moderate_question(
    db: DbSession, user: User, question_id: int, action: str, text: str | None = None
) -> tuple[Question, dict]:
    """Apply a moderator's action. Returns the question and what changed around it:
    `{"was_public": bool, "unpinned": Question | None}` (a pin takes the previous one off air).
    """
    question = get_question(db, question_id)
    session = get_live_session(db, question.session_id)
    ensure_can_moderate(db, user, session)
    room = get_room(db, session)
    if action not in _ALLOWED_FROM:
        raise ServiceError("invalid_action", f"unknown action {action!r}")
    if question.status not in _ALLOWED_FROM[action]:
        raise Conflict("invalid_transition", f"a {question.status} question cannot be given '{action}'")
    was_public = question.is_public
    unpinned = None
    if action == "approve":
        question.status = QuestionStatus.APPROVED.value
    elif action == "answer":
        question.status = QuestionStatus.ANSWERED.value
    elif action == "dismiss":
        question.status = QuestionStatus.DISMISSED.value
        if room.pinned_question_id == question.id:
            room.pinned_question_id = None
    elif action == "pin":
        if room.pinned_question_id not in (None, question.id):
            unpinned = db.get(Question, room.pinned_question_id)
        room.pinned_question_id = question.id
    elif action == "unpin":
        if room.pinned_question_id != question.id:
            raise Conflict("not_pinned", "this question is not pinned")
        room.pinned_question_id = None
    elif action == "edit":
        question.text = clean_text(text or "", QUESTION_MAX, "question")
        question.edited = True
    db.commit()
    hot.question_changed(question.id)
    if action in ("pin", "unpin", "dismiss"):
        hot.room_changed(room.session_id)
    return question, {"was_public": was_public, "unpinned": unpinned, "room": room}


# --- chat ------------------------------------------------------------------------------------


def chat_payload(message: ChatMessage) -> dict:
    return {
        "id": message.id,
        "session_id": message.session_id,
        "text": message.text,
        "author": {"id": message.author.id, "name": message.author.name},
        "created_at": isoformat_utc(message.created_at, milliseconds=True),
    }


def chat_tail(db: DbSession, session_id: int, limit: int = CHAT_TAIL) -> list[dict]:
    """The last `limit` visible chat lines, oldest first."""
    rows = list(
        db.scalars(
            select(ChatMessage)
            .where(ChatMessage.session_id == session_id, ChatMessage.deleted_at.is_(None))
            .options(joinedload(ChatMessage.author))
            .order_by(ChatMessage.id.desc())
            .limit(limit)
        )
    )
    return [chat_payload(m) for m in reversed(rows)]


def send_chat(db: DbSession, user: User, session_id: int, text: str) -> ChatMessage:
    text = clean_text(text, CHAT_MAX, "message")
    _, room = _room_for_change(db, user, session_id)
    _ensure_open(room)
    ratelimit.consume(db, f"chat:{user.id}", "chat")
    message = ChatMessage(session_id=room.session_id, user_id=user.id, text=text)
    db.add(message)
    db.commit()
    return message


def delete_chat(db: DbSession, user: User, message_id: int) -> ChatMessage:
    """A moderator hides a chat line; deleting it twice is refused."""
    message = db.get(ChatMessage, message_id)
    if message is None:
        raise NotFound("message_not_found", f"there is no chat message {message_id}")
    ensure_can_moderate(db, user, get_live_session(db, message.session_id))
    hidden = execute_dml(
        db,
        update(ChatMessage)
        .where(ChatMessage.id == message.id, ChatMessage.deleted_at.is_(None))
        .values(deleted_at=utcnow(), deleted_by_id=user.id),
    ).rowcount
    if not hidden:
        db.rollback()
        raise Conflict("already_deleted", "this message was already deleted")
    db.commit()
    return message


# --- helpers ---------------------------------------------------------------------------------


def clean_text(text: str, limit: int, what: str) -> str:
    """Strip surrounding blanks; refuse empty, over-long or NUL-containing text. Stored as typed."""
    if not isinstance(text, str):
        raise ServiceError("invalid_payload", f"the {what} must be text")
    text = text.strip()
    if not text:
        raise ServiceError("empty_text", f"the {what} is empty")
    if len(text) > limit:
        raise ServiceError("text_too_long", f"the {what} is longer than {limit} characters", limit=limit)
    if "\x00" in text:
        raise ServiceError("invalid_text", f"the {what} contains a NUL character")
    return text


def people_online(db: DbSession, session_id: int) -> list[dict]:
    """The distinct people connected to a room, by name (for the moderator console)."""
    users = db.scalars(
        select(User)
        .where(User.id.in_(select(RoomPresence.user_id).where(RoomPresence.session_id == session_id)))
        .order_by(User.name)
    )
    return [{"id": u.id, "name": u.name, "country": u.country} for u in users]
