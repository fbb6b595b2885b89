"""Session feedback rules: who is asked, the event's questions, one answer per person and session, results.

- The survey is offered for a session once it is over (its end time passed, or its room was closed)
  to the people who attended it according to the attendance records: an online stay in its room (or
  one of its breakout rooms), or an entry on its door list.
- Each event has its rating questions (1 to 5), the default three until organisers change them, and
  a free comment. UNIQUE(session_id, user_id) makes "one answer per person and session" hold.
- Organisers read the results per session (how many answered, the average of each question, the
  comments) and export every answer as CSV. Answers carry no name: the survey is anonymous to them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..attendance.services import attended_sessions
from ..db_session import DbSession
from ..db_types import utcnow
from ..errors import Conflict, Forbidden, ServiceError
from ..grants import checks
from ..i18n.columns import header_row
from ..programme.models import Event, ProgrammeSession
from ..rooms.models import LiveRoom
from .models import COMMENT_MAX, LABEL_MAX, RATING_MAX, RATING_MIN, FeedbackQuestion, FeedbackResponse

DEFAULT_QUESTIONS = (
    "Overall, how useful was this session for you?",
    "How clear were the speakers?",
    "How well did the discussion and the questions work?",
)
MAX_QUESTIONS = 10
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- questions --------------------------------------------------------------------------------


def questions(db: DbSession, event: Event) -> list[FeedbackQuestion]:
    """The event's active rating questions; the defaults are stored the first time they are needed."""
    found = _active(db, event)
    if found or db.scalar(select(FeedbackQuestion.id).where(FeedbackQuestion.event_id == event.id)):
        return found
    db.add_all(
        [
            FeedbackQuestion(event_id=event.id, position=i, label=label)
            for i, label in enumerate(DEFAULT_QUESTIONS)
        ]
    )
    try:
        db.commit()
    except IntegrityError:
        db.rollback()  # another request stored them first
    return _active(db, event)


def _active(db: DbSession, event: Event) -> list[FeedbackQuestion]:
    return list(
        db.scalars(
            select(FeedbackQuestion)
            .where(FeedbackQuestion.event_id == event.id, FeedbackQuestion.active.is_(True))
            .order_by(FeedbackQuestion.position, FeedbackQuestion.id)
        )
    )


def set_questions(db: DbSession, user: User, event: Event, labels: list[str]) -> list[FeedbackQuestion]:
    """Organisers set the rating questions, in order. A question taken out is retired (its answers keep
    their label); one put back with the same words comes back with its answers."""
    checks.ensure_can_manage(db, user, event)
    cleaned: list[str] = []
    for raw in labels:
        label = raw.strip() if isinstance(raw, str) else ""
        if not label:
            continue
        if len(label) > LABEL_MAX or "\x00" in label:
            raise ServiceError("invalid_question", f"a question is at most {LABEL_MAX} characters")
        if label not in cleaned:
            cleaned.append(label)
    if not cleaned:
        raise ServiceError("no_questions", "give at least one rating question")
    if len(cleaned) > MAX_QUESTIONS:
        raise ServiceError("too_many_questions", f"at most {MAX_QUESTIONS} rating questions")
    existing = {
        q.label: q for q in db.scalars(select(FeedbackQuestion).where(FeedbackQuestion.event_id == event.id))
    }
    for q in existing.values():
        q.active = False
    for position, label in enumerate(cleaned):
        row = existing.get(label)
        if row is None:
            db.add(FeedbackQuestion(event_id=event.id, position=position, label=label, active=True))
        else:
            row.active, row.position = True, position
    db.commit()
    return _active(db, event)


# --- who is asked -----------------------------------------------------------------------------


def is_over(db: DbSession, session: ProgrammeSession, now: datetime | None = None) -> bool:
    """The session's end time passed, or a moderator closed its room."""
    if session.ends_at <= (now or utcnow()):
        return True
    room = db.get(LiveRoom, session.id)
    return room is not None and room.is_closed


def attended(db: DbSession, user: User, session: ProgrammeSession) -> bool:
    found = attended_sessions(db, session.event, user_id=user.id)
    return session.id in found.get(user.id, set())


def has_answered(db: DbSession, user: User, session: ProgrammeSession) -> bool:
    return (
        db.scalar(
            select(FeedbackResponse.id).where(
                FeedbackResponse.session_id == session.id, FeedbackResponse.user_id == user.id
            )
        )
        is not None
    )


@dataclass
class SurveyState:
    status: str  # "open" | "answered" | "not_over" | "not_attended"
    questions: list[FeedbackQuestion] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status == "open"


def survey_state(db: DbSession, user: User, session: ProgrammeSession) -> SurveyState:
    if not attended(db, user, session):
        return SurveyState("not_attended")
    if not is_over(db, session):
        return SurveyState("not_over")
    if has_answered(db, user, session):
        return SurveyState("answered")
    return SurveyState("open", questions(db, session.event))


def due_surveys(db: DbSession, user: User, event: Event) -> list[ProgrammeSession]:
    """The sessions of the event this person attended, that are over, and that they have not rated yet."""
    mine = attended_sessions(db, event, user_id=user.id).get(user.id, set())
    if not mine:
        return []
    answered = set(
        db.scalars(
            select(FeedbackResponse.session_id).where(
                FeedbackResponse.user_id == user.id, FeedbackResponse.event_id == event.id
            )
        )
    )
    sessions = db.scalars(
        select(ProgrammeSession)
        .where(ProgrammeSession.id.in_(mine - answered))
        .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
    )
    return [s for s in sessions if is_over(db, s)]


# --- answering --------------------------------------------------------------------------------


def submit(
    db: DbSession, user: User, session: ProgrammeSession, ratings: dict, comment: str = ""
) -> FeedbackResponse:
    """Store one person's answer about one session: every active question rated 1 to 5, an optional
    comment. Refused to people who did not attend, before the session is over, and a second time."""
    state = survey_state(db, user, session)
    if state.status == "not_attended":
        raise Forbidden("not_attended", "only people who attended this session give feedback on it")
    if state.status == "not_over":
        raise Conflict("session_not_over", "the survey opens when the session is over")
    if state.status == "answered":
        raise Conflict("already_answered", "you have already given feedback on this session")
    if not isinstance(ratings, dict):
        raise ServiceError("invalid_ratings", "ratings must map each question to a number from 1 to 5")
    clean: dict[str, int] = {}
    for question in state.questions:
        value = ratings.get(str(question.id), ratings.get(question.id))
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not RATING_MIN <= value <= RATING_MAX:
            raise ServiceError(
                "invalid_rating",
                f"rate “{question.label}” from {RATING_MIN} to {RATING_MAX}",
                question_id=question.id,
            )
        clean[str(question.id)] = value
    comment = (comment or "").strip() if isinstance(comment, str) else None
    if comment is None or len(comment) > COMMENT_MAX or "\x00" in comment:
        raise ServiceError("invalid_comment", f"the comment is text of at most {COMMENT_MAX} characters")
    response = FeedbackResponse(
        event_id=session.event_id, session_id=session.id, user_id=user.id, ratings=clean, comment=comment
    )
    db.add(response)
    try:
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        raise Conflict("already_answered", "you have already given feedback on this session") from exc
    return response


# --- results ----------------------------------------------------------------------------------


@dataclass
class QuestionResult:
    question: FeedbackQuestion
    answers: int
    average: float | None
    counts: list[int]  # how many gave 1, 2, 3, 4, 5


@dataclass
class SessionResult:
    session: ProgrammeSession
    responses: int
    questions: list[QuestionResult]
    comments: list[str]


def results(db: DbSession, user: User, event: Event) -> list[SessionResult]:
    """Per session (programme order): answers, each question's average and spread, the comments."""
    checks.ensure_can_manage(db, user, event)
    qs = questions(db, event)
    by_session: dict[int, list[FeedbackResponse]] = {}
    for r in db.scalars(
        select(FeedbackResponse).where(FeedbackResponse.event_id == event.id).order_by(FeedbackResponse.id)
    ):
        by_session.setdefault(r.session_id, []).append(r)
    sessions = db.scalars(
        select(ProgrammeSession)
        .where(ProgrammeSession.event_id == event.id)
        .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
    )
    found = []
    for session in sessions:
        responses = by_session.get(session.id, [])
        per_question = []
        for q in qs:
            values = [r.ratings[str(q.id)] for r in responses if str(q.id) in (r.ratings or {})]
            counts = [values.count(v) for v in range(RATING_MIN, RATING_MAX + 1)]
            average = round(sum(values) / len(values), 2) if values else None
            per_question.append(QuestionResult(q, len(values), average, counts))
        found.append(
            SessionResult(session, len(responses), per_question, [r.comment for r in responses if r.comment])
        )
    return found


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def results_csv(db: DbSession, user: User, event: Event) -> str:
    """Every answer, one row each (no names): session, time, a column per question, the comment."""
    checks.ensure_can_manage(db, user, event)
    qs = list(
        db.scalars(
            select(FeedbackQuestion)
            .where(FeedbackQuestion.event_id == event.id)
            .order_by(FeedbackQuestion.active.desc(), FeedbackQuestion.position, FeedbackQuestion.id)
        )
    )
    titles = dict(
        db.execute(
            select(ProgrammeSession.id, ProgrammeSession.title).where(ProgrammeSession.event_id == event.id)
        ).all()
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    head, tail = header_row(["session_id", "session", "answered_at"]), header_row(["comment"])
    writer.writerow([*head, *(q.label for q in qs), *tail])
    rows = db.scalars(
        select(FeedbackResponse)
        .where(FeedbackResponse.event_id == event.id)
        .order_by(FeedbackResponse.session_id, FeedbackResponse.id)
    )
    for r in rows:
        writer.writerow(
            [
                _cell(c)
                for c in (
                    r.session_id,
                    titles.get(r.session_id, ""),
                    r.created_at.astimezone(event.tz).strftime("%Y-%m-%d %H:%M"),
                    *((r.ratings or {}).get(str(q.id), "") for q in qs),
                    r.comment,
                )
            ]
        )
    return out.getvalue()
