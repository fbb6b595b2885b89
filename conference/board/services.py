"""Discussion board rules: moving a session's unanswered questions, asking, replying, answering, voting.

Plain functions over a database session; they raise ServiceError codes and never emit.

- When a session's Q&A is over (`hooks.session_ended`), `move_unanswered` copies its approved,
  unanswered live questions here, with author, anonymity and votes; answered, dismissed and pending
  ones stay behind. UNIQUE(origin_question_id) makes the move happen once, whoever runs it.
- Registered participants (and the people who run the event) ask, reply and upvote until the board
  closes (`closes_at`, set by organisers; by default two weeks after the event); after that the board
  is read-only for everyone.
- A reply by a speaker of the event or a moderator of the question's session is its written answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..db_session import DbSession
from ..db_types import utcnow
from ..errors import Conflict, Forbidden, NotFound
from ..grants import checks
from ..programme.models import Event, ProgrammeSession
from ..registrations.services import confirmed_registration
from ..rooms.models import Question, QuestionStatus, QuestionVote
from ..rooms.services import clean_text
from .models import QUESTION_MAX, REPLY_MAX, BoardQuestion, BoardReply, BoardSettings, BoardVote

DEFAULT_OPEN_FOR = timedelta(days=14)


# --- the open period ------------------------------------------------------------------------------


def closes_at(db: DbSession, event: Event) -> datetime:
    """When the board turns read-only: the organisers' choice, else two weeks after the event ends."""
    settings = db.get(BoardSettings, event.id)
    return settings.closes_at if settings is not None else event.ends_at + DEFAULT_OPEN_FOR


def is_open(db: DbSession, event: Event, now: datetime | None = None) -> bool:
    return (now or utcnow()) < closes_at(db, event)


def set_closes_at(db: DbSession, user: User, event: Event, moment: datetime) -> BoardSettings:
    """Organisers set the end of the open period (any instant; in the past closes the board now)."""
    checks.ensure_can_manage(db, user, event)
    settings = db.get(BoardSettings, event.id)
    if settings is None:
        settings = BoardSettings(event_id=event.id, closes_at=moment)
        db.add(settings)
    else:
        settings.closes_at = moment
    db.commit()
    return settings


def _ensure_open(db: DbSession, event: Event) -> None:
    if not is_open(db, event):
        raise Conflict("board_closed", "the discussion board is closed: it can be read, not written")


# --- who may come in ------------------------------------------------------------------------------


def may_take_part(db: DbSession, user: User, event: Event) -> bool:
    """Registered participants, the people who run the event and its speakers."""
    return (
        checks.runs_event(db, user, event)
        or checks.is_speaker(db, user, event)
        or confirmed_registration(db, user.id, event.id) is not None
    )


def ensure_may_take_part(db: DbSession, user: User, event: Event) -> None:
    if not may_take_part(db, user, event):
        raise Forbidden("not_registered", "register for this event to use its discussion board")


# --- moving a session's questions -------------------------------------------------------------


def move_unanswered(db: DbSession, session_id: int) -> int:
    """Copy the session's approved, unanswered live questions to the board, with their votes, once.
    Returns how many moved now (0 when they had moved already, or there were none)."""
    session = db.get(ProgrammeSession, session_id)
    if session is None:
        return 0
    already = select(BoardQuestion.origin_question_id).where(BoardQuestion.origin_question_id.is_not(None))
    waiting = list(
        db.scalars(
            select(Question)
            .where(
                Question.session_id == session_id,
                Question.status == QuestionStatus.APPROVED.value,
                Question.id.not_in(already),
            )
            .order_by(Question.id)
        )
    )
    moved = 0
    for question in waiting:
        copy = BoardQuestion(
            event_id=session.event_id,
            session_id=session.id,
            origin_question_id=question.id,
            user_id=question.user_id,
            text=question.text,
            anonymous=question.anonymous,
            asked_at=question.created_at,
        )
        try:
            with db.begin_nested():
                db.add(copy)
                db.flush()
                voters = db.scalars(
                    select(QuestionVote.user_id).where(QuestionVote.question_id == question.id)
                )
                db.add_all([BoardVote(question_id=copy.id, user_id=voter) for voter in voters])
                db.flush()
        except IntegrityError:
            continue  # another process moved it meanwhile
        moved += 1
    db.commit()
    return moved


# --- asking, replying, voting -----------------------------------------------------------------


def may_answer(db: DbSession, user: User, event: Event, session_id: int | None) -> bool:
    """Whether this person's reply to a question of that session (None: asked on the board) is its answer."""
    session = db.get(ProgrammeSession, session_id) if session_id else None
    return checks.can_answer_questions(db, user, event, session)


def get_question(db: DbSession, event: Event, question_id: int) -> BoardQuestion:
    question = db.get(BoardQuestion, question_id)
    if question is None or question.event_id != event.id:
        raise NotFound("question_not_found", f"there is no question {question_id} on this board")
    return question


def ask(db: DbSession, user: User, event: Event, text: str, anonymous: bool = False) -> BoardQuestion:
    ensure_may_take_part(db, user, event)
    text = clean_text(text, QUESTION_MAX, "question")
    _ensure_open(db, event)
    question = BoardQuestion(event_id=event.id, user_id=user.id, text=text, anonymous=bool(anonymous))
    db.add(question)
    db.commit()
    return question


def reply(db: DbSession, user: User, event: Event, question_id: int, text: str) -> BoardReply:
    """A reply; written by a speaker or a moderator of the question's session, it is the answer."""
    ensure_may_take_part(db, user, event)
    question = get_question(db, event, question_id)
    text = clean_text(text, REPLY_MAX, "reply")
    _ensure_open(db, event)
    session = db.get(ProgrammeSession, question.session_id) if question.session_id else None
    answer = checks.can_answer_questions(db, user, event, session)
    post = BoardReply(question_id=question.id, user_id=user.id, text=text, is_answer=answer)
    db.add(post)
    db.commit()
    return post


def answer(db: DbSession, user: User, event: Event, question_id: int, text: str) -> BoardReply:
    """A written answer: refused to anyone but the event's speakers and the session's moderators."""
    question = get_question(db, event, question_id)
    session = db.get(ProgrammeSession, question.session_id) if question.session_id else None
    checks.ensure_can_answer_questions(db, user, event, session)
    return reply(db, user, event, question_id, text)


def vote(db: DbSession, user: User, event: Event, question_id: int) -> BoardQuestion:
    ensure_may_take_part(db, user, event)
    question = get_question(db, event, question_id)
    _ensure_open(db, event)
    db.add(BoardVote(question_id=question.id, user_id=user.id))
    try:
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        raise Conflict("already_voted", "you have already voted for this question") from exc
    return question


def unvote(db: DbSession, user: User, event: Event, question_id: int) -> BoardQuestion:
    ensure_may_take_part(db, user, event)
    question = get_question(db, event, question_id)
    _ensure_open(db, event)
    vote_row = db.scalar(
        select(BoardVote).where(BoardVote.question_id == question.id, BoardVote.user_id == user.id)
    )
    if vote_row is None:
        raise Conflict("not_voted", "you have not voted for this question")
    db.delete(vote_row)
    db.commit()
    return question


# --- reading ----------------------------------------------------------------------------------


@dataclass
class ReplyView:
    id: int
    text: str
    author: str
    is_answer: bool
    created_at: datetime


@dataclass
class QuestionView:
    id: int
    text: str
    author: str | None  # None: anonymous to this viewer
    anonymous: bool
    session_title: str | None
    session_id: int | None
    votes: int
    voted: bool
    mine: bool
    asked_at: datetime
    replies: list[ReplyView] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return any(r.is_answer for r in self.replies)


def _vote_counts(db: DbSession, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.execute(
        select(BoardVote.question_id, func.count())
        .where(BoardVote.question_id.in_(ids))
        .group_by(BoardVote.question_id)
    )
    return dict(rows.all())


def board(db: DbSession, user: User, event: Event, *, sort: str = "votes") -> list[QuestionView]:
    """Every question of the board as this viewer sees it (anonymous askers' names only to moderators
    of the event and to the askers themselves), most votes first, or newest first."""
    ensure_may_take_part(db, user, event)
    questions = list(db.scalars(select(BoardQuestion).where(BoardQuestion.event_id == event.id)))
    ids = [q.id for q in questions]
    counts = _vote_counts(db, ids)
    mine = (
        set(
            db.scalars(
                select(BoardVote.question_id).where(
                    BoardVote.user_id == user.id, BoardVote.question_id.in_(ids)
                )
            )
        )
        if ids
        else set()
    )
    sees_names = checks.can_moderate_event(db, user, event)
    titles = dict(
        db.execute(
            select(ProgrammeSession.id, ProgrammeSession.title).where(ProgrammeSession.event_id == event.id)
        ).all()
    )
    views = [
        QuestionView(
            id=q.id,
            text=q.text,
            author=q.author.name if (not q.anonymous or sees_names or q.user_id == user.id) else None,
            anonymous=q.anonymous,
            session_title=titles.get(q.session_id) if q.session_id is not None else None,
            session_id=q.session_id,
            votes=counts.get(q.id, 0),
            voted=q.id in mine,
            mine=q.user_id == user.id,
            asked_at=q.asked_at,
            replies=[ReplyView(r.id, r.text, r.author.name, r.is_answer, r.created_at) for r in q.replies],
        )
        for q in questions
    ]
    if sort == "newest":
        views.sort(key=lambda v: (v.asked_at, v.id), reverse=True)
    else:
        views.sort(key=lambda v: (-v.votes, v.asked_at, v.id))
    return views


@dataclass
class MyQuestion:
    event: Event
    text: str
    session_title: str | None
    status: str  # "waiting" (in moderation) | "open" | "answered live" | "answered" | "dismissed" | "on the board"
    asked_at: datetime
    answers: list[ReplyView] = field(default_factory=list)
    board_id: int | None = None


def my_questions(db: DbSession, user: User) -> list[MyQuestion]:
    """Every question this person asked, live or on the board, with its answer wherever it was given:
    answered live in the session, or written on the board (a moved question keeps its answers)."""
    found: list[MyQuestion] = []
    moved = {
        bq.origin_question_id: bq
        for bq in db.scalars(
            select(BoardQuestion).where(
                BoardQuestion.user_id == user.id, BoardQuestion.origin_question_id.is_not(None)
            )
        )
    }
    live = db.execute(
        select(Question, ProgrammeSession)
        .join(ProgrammeSession, ProgrammeSession.id == Question.session_id)
        .where(Question.user_id == user.id)
    ).all()
    events: dict[int, Event] = {}

    def event_of(event_id: int) -> Event:
        if event_id not in events:
            events[event_id] = db.get_one(Event, event_id)
        return events[event_id]

    for question, session in live:
        on_board = moved.get(question.id)
        answers = [_reply_view(r) for r in on_board.replies if r.is_answer] if on_board else []
        status = {
            QuestionStatus.PENDING.value: "waiting",
            QuestionStatus.APPROVED.value: "open",
            QuestionStatus.ANSWERED.value: "answered live",
            QuestionStatus.DISMISSED.value: "dismissed",
        }[question.status]
        if on_board is not None:
            status = "answered" if answers else "on the board"
        found.append(
            MyQuestion(
                event_of(session.event_id),
                question.text,
                session.title,
                status,
                question.created_at,
                answers,
                on_board.id if on_board else None,
            )
        )
    own = db.scalars(
        select(BoardQuestion).where(
            BoardQuestion.user_id == user.id, BoardQuestion.origin_question_id.is_(None)
        )
    )
    for bq in own:
        answers = [_reply_view(r) for r in bq.replies if r.is_answer]
        found.append(
            MyQuestion(
                event_of(bq.event_id),
                bq.text,
                None,
                "answered" if answers else "on the board",
                bq.asked_at,
                answers,
                bq.id,
            )
        )
    found.sort(key=lambda q: q.asked_at, reverse=True)
    return found


def _reply_view(r: BoardReply) -> ReplyView:
    return ReplyView(r.id, r.text, r.author.name, r.is_answer, r.created_at)
