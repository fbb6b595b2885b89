"""Poll rules: drafting, opening, closing, voting, tallies, visibility and the CSV export.

Plain functions on a database session; they raise ServiceError codes and never emit. Invariants
are held by the database: UNIQUE(poll_id, user_id) for one ballot per person, a composite foreign
key for "an option of this poll", and conditional UPDATEs (checked by row count) for the status
changes, so that nothing depends on SELECT ... FOR UPDATE.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ... import wire
from ...accounts.models import User
from ...db_session import DbSession, execute_dml
from ...db_types import utcnow
from ...errors import Conflict, Forbidden, NotFound, ServiceError
from ...grants.checks import runs_event
from ...hooks import Joiner
from ...i18n.columns import header_row
from ...i18n.content import check_translations
from ...programme.models import ProgrammeSession
from ...wire import isoformat_utc
from .. import hot, ratelimit
from ..access import can_moderate, ensure_can_join, ensure_can_moderate, get_live_session
from ..services import ensure_room_open, insert_for
from .models import (
    CHOICE_KINDS,
    POLL_KINDS,
    RATING_SCALES,
    VISIBILITIES,
    Poll,
    PollAnswer,
    PollBallot,
    PollKind,
    PollOption,
    PollStatus,
    ResultsVisibility,
)

# The limits a person meets are stated once, in conference.wire (the JavaScript gets them from there).
TITLE_MAX = wire.POLL_TITLE_MAX
OPTION_MAX = wire.POLL_OPTION_MAX
OPTIONS_MIN, OPTIONS_MAX = wire.POLL_OPTIONS_MIN, wire.POLL_OPTIONS_MAX
WORD_MAX = wire.POLL_WORD_MAX
WORDS_PER_BALLOT = wire.POLL_WORDS_PER_BALLOT
TEXT_MAX = wire.POLL_TEXT_MAX
DURATION_MAX_S = wire.POLL_DURATION_MAX_S
# Live updates carry the most frequent words and the newest texts; the CSV export has them all.
WORDS_SHOWN = 100
TEXTS_SHOWN = 200


# --------------------------------------------------------------------------- drafting


@dataclass
class PollSpec:
    """What a moderator fills in for a poll; checked by `_checked_spec`."""

    title: str
    kind: str
    options: list[str] = field(default_factory=list)
    max_choices: int | None = None
    scale: int | None = None
    results: str = ResultsVisibility.LIVE.value
    duration_s: int | None = None
    allow_change: bool = False
    # {"title": {language: text}} and, option by option, {language: text} (i18n/content.py).
    translations: dict = field(default_factory=dict)
    option_translations: list = field(default_factory=list)


def _checked_translations(title: object, options: object, n_options: int) -> tuple[dict, list[dict]]:
    """Clean translations of a poll's title and of its options (in the options' order, trailing
    empty ones left out), or a ServiceError("invalid_translations") naming what is wrong."""
    try:
        clean_title = check_translations(title, {"title": TITLE_MAX})
        if options is None:
            options = []
        if not isinstance(options, list) or len(options) > n_options:
            raise ValueError(f"give at most one {{language: text}} per option ({n_options})")
        clean_options = [
            check_translations({"text": o}, {"text": OPTION_MAX}).get("text", {}) for o in options
        ]
    except ValueError as exc:
        raise ServiceError("invalid_translations", str(exc), field="translations") from None
    while clean_options and not clean_options[-1]:
        clean_options.pop()  # options without translations at the end need no entry
    return clean_title, clean_options


def _checked_spec(spec: PollSpec) -> PollSpec:
    """The spec with defaults filled in, or a ServiceError naming what is wrong."""
    title = " ".join((spec.title or "").split())
    if not title:
        raise ServiceError("title_required", "give the poll a question or title")
    if len(title) > TITLE_MAX:
        raise ServiceError("title_too_long", f"the title is at most {TITLE_MAX} characters")
    if spec.kind not in POLL_KINDS:
        raise ServiceError("invalid_kind", f"kind must be one of {', '.join(POLL_KINDS)}")
    if spec.results not in VISIBILITIES:
        raise ServiceError("invalid_results", f"results must be one of {', '.join(VISIBILITIES)}")
    if spec.duration_s is not None and not 1 <= spec.duration_s <= DURATION_MAX_S:
        raise ServiceError("invalid_duration", f"duration_s is between 1 and {DURATION_MAX_S} seconds")
    options = [" ".join(str(o).split()) for o in spec.options or []]
    max_choices, scale = spec.max_choices, spec.scale
    if spec.kind in CHOICE_KINDS:
        _check_options(options)
        max_choices = _checked_max_choices(spec.kind, max_choices, len(options))
        if scale is not None:
            raise ServiceError("scale_not_allowed", "only rating polls have a scale")
    else:
        if options:
            raise ServiceError("options_not_allowed", f"a {spec.kind} poll has no options")
        if max_choices is not None:
            raise ServiceError("max_choices_not_allowed", "only multiple-choice polls have max_choices")
        if spec.kind == PollKind.RATING.value:
            scale = 5 if scale is None else scale
            if scale not in RATING_SCALES:
                raise ServiceError("invalid_scale", "the rating scale is 5 or 10")
        elif scale is not None:
            raise ServiceError("scale_not_allowed", "only rating polls have a scale")
    translations, option_translations = _checked_translations(
        spec.translations, spec.option_translations, len(options)
    )
    return PollSpec(
        title=title,
        kind=spec.kind,
        options=options,
        max_choices=max_choices,
        scale=scale,
        results=spec.results,
        duration_s=spec.duration_s,
        allow_change=bool(spec.allow_change),
        translations=translations,
        option_translations=option_translations,
    )


def _check_options(options: list[str]) -> None:
    if not OPTIONS_MIN <= len(options) <= OPTIONS_MAX:
        raise ServiceError("invalid_options", f"give between {OPTIONS_MIN} and {OPTIONS_MAX} options")
    if any(not o for o in options):
        raise ServiceError("invalid_options", "an option cannot be empty")
    if any(len(o) > OPTION_MAX for o in options):
        raise ServiceError("option_too_long", f"an option is at most {OPTION_MAX} characters")
    if len({o.casefold() for o in options}) != len(options):
        raise ServiceError("duplicate_options", "two options have the same text")


def _checked_max_choices(kind: str, max_choices: int | None, n_options: int) -> int | None:
    if kind == PollKind.SINGLE.value:
        if max_choices not in (None, 1):
            raise ServiceError("max_choices_not_allowed", "a single-choice poll takes exactly one choice")
        return None
    if max_choices is None:
        return n_options
    if not 1 <= max_choices <= n_options:
        raise ServiceError("invalid_max_choices", f"max_choices is between 1 and {n_options}")
    return max_choices


def create_poll(db: DbSession, user: User, session_id: int, spec: PollSpec) -> Poll:
    """A new draft poll in a session's room (moderators)."""
    ensure_can_moderate(db, user, get_live_session(db, session_id))
    spec = _checked_spec(spec)
    poll = Poll(session_id=session_id, created_by_id=user.id, status=PollStatus.DRAFT.value)
    _apply_spec(poll, spec)
    db.add(poll)
    db.commit()
    return poll


def _apply_spec(poll: Poll, spec: PollSpec) -> None:
    poll.title, poll.kind = spec.title, spec.kind
    poll.max_choices, poll.scale = spec.max_choices, spec.scale
    poll.results_visibility, poll.duration_s, poll.allow_change = (
        spec.results,
        spec.duration_s,
        spec.allow_change,
    )
    poll.translations = spec.translations
    poll.options = [
        PollOption(position=i, text=text, translations=_option_translations(spec.option_translations, i))
        for i, text in enumerate(spec.options)
    ]


def _option_translations(texts_by_option: list[dict], position: int) -> dict:
    texts = texts_by_option[position] if position < len(texts_by_option) else {}
    return {"text": texts} if texts else {}


def update_poll(db: DbSession, user: User, poll_id: int, spec: PollSpec) -> Poll:
    """Rewrite a draft (moderators). An open or closed poll keeps what people voted on."""
    poll = get_poll(db, poll_id)
    _ensure_runs_poll(db, user, poll)
    if poll.status != PollStatus.DRAFT.value:
        raise Conflict("not_a_draft", "only a draft can be edited; this poll has been opened")
    spec = _checked_spec(spec)
    poll.options = []
    db.flush()  # old options go before the new ones take their positions
    _apply_spec(poll, spec)
    db.commit()
    hot.poll_changed(poll.id)
    return poll


def translate_poll(db: DbSession, user: User, poll_id: int, title: object, options: object = None) -> Poll:
    """Replace the translations of a poll's title and options (moderators), in any state: they
    change how the question reads in other languages, not what anyone voted on."""
    poll = get_poll(db, poll_id)
    _ensure_runs_poll(db, user, poll)
    poll.translations, option_texts = _checked_translations(title, options, len(poll.options))
    for position, option in enumerate(poll.options):
        option.translations = _option_translations(option_texts, position)
    db.commit()
    return poll


def delete_poll(db: DbSession, user: User, poll_id: int) -> Poll:
    """Delete a draft or a closed poll with its ballots (moderators); an open poll is closed first."""
    poll = get_poll(db, poll_id)
    _ensure_runs_poll(db, user, poll)
    options = list(poll.options)  # loaded now: the caller may still describe what was deleted
    removed = execute_dml(
        db, delete(Poll).where(Poll.id == poll_id, Poll.status != PollStatus.OPEN.value)
    ).rowcount
    if removed != 1:
        db.rollback()
        raise Conflict("poll_open", "close the poll before deleting it")
    db.commit()
    hot.poll_changed(poll_id)
    # The database cascaded the delete; forget the objects so their ids can be reused cleanly.
    for obj in (poll, *options):
        if obj in db:
            db.expunge(obj)
    return poll


def get_poll(db: DbSession, poll_id: int) -> Poll:
    poll = db.get(Poll, poll_id)
    if poll is None:
        raise NotFound("poll_not_found", f"there is no poll {poll_id}")
    return poll


def polls_of_session(db: DbSession, session_id: int) -> list[Poll]:
    return list(db.scalars(select(Poll).where(Poll.session_id == session_id).order_by(Poll.id)))


# --------------------------------------------------------------------------- opening and closing


def open_poll(db: DbSession, user: User, poll_id: int, *, now: datetime | None = None) -> Poll:
    """Launch a draft: votes are taken from now on, until it is closed or its time is up."""
    poll = get_poll(db, poll_id)
    _ensure_runs_poll(db, user, poll)
    now = now or utcnow()
    closes_at = now + timedelta(seconds=poll.duration_s) if poll.duration_s else None
    opened = execute_dml(
        db,
        update(Poll)
        .where(Poll.id == poll_id, Poll.status == PollStatus.DRAFT.value)
        .values(status=PollStatus.OPEN.value, opened_at=now, closes_at=closes_at),
    ).rowcount
    if opened != 1:
        db.rollback()
        raise Conflict("not_a_draft", "this poll has already been opened")
    db.commit()
    hot.poll_changed(poll_id)
    db.refresh(poll)
    return poll


def close_poll(db: DbSession, user: User, poll_id: int, *, now: datetime | None = None) -> Poll:
    """Close an open poll now (moderators); its tally is final from this commit on."""
    poll = get_poll(db, poll_id)
    _ensure_runs_poll(db, user, poll)
    if not _close(db, poll_id, now or utcnow()):
        raise Conflict("poll_not_open", "only an open poll can be closed")
    db.refresh(poll)
    return poll


def _close(db: DbSession, poll_id: int, now: datetime, *, only_if_due: bool = False) -> bool:
    condition = [Poll.id == poll_id, Poll.status == PollStatus.OPEN.value]
    if only_if_due:
        condition.append(Poll.closes_at <= now)
    closed = execute_dml(
        db,
        update(Poll)
        .where(*condition)
        .values(
            status=PollStatus.CLOSED.value,
            # A timed poll closes at its deadline even when it is noticed later (e.g. after a restart).
            closed_at=func.coalesce(Poll.closes_at, now) if only_if_due else now,
        ),
    ).rowcount
    if closed != 1:
        db.rollback()
        return False
    db.commit()
    hot.poll_changed(poll_id)
    return True


_TIMED_IN_SESSION = select(Poll.id, Poll.closes_at).where(
    Poll.status == PollStatus.OPEN.value,
    Poll.closes_at.is_not(None),
    Poll.session_id == bindparam("session_id"),
)


def close_due_polls(
    db: DbSession, *, session_id: int | None = None, now: datetime | None = None
) -> list[Poll]:
    """Close the timed polls whose time is up (in one session, or everywhere); returns those closed now.

    The timer closes a poll at its deadline; this catches the ones a restarted process never timed.
    """
    now = now or utcnow()
    if session_id is not None:  # every join asks: the statement is built once, and asked only when
        # a deadline may have passed (conference.rooms.hot knows the room's next one)
        if not hot.polls_may_be_due(session_id, now):
            return []
        generation = hot.context().generation
        timed = [
            (poll_id, closes_at)
            for poll_id, closes_at in db.connection().execute(_TIMED_IN_SESSION, {"session_id": session_id})
            if closes_at is not None  # the statement asks for timed ones only
        ]
        due: Sequence[int] = [poll_id for poll_id, closes_at in timed if closes_at <= now]
        ahead = [closes_at for _poll_id, closes_at in timed if closes_at > now]
        hot.remember_poll_deadline(session_id, min(ahead) if ahead else None, generation)
    else:
        due = db.scalars(
            select(Poll.id).where(Poll.status == PollStatus.OPEN.value, Poll.closes_at <= now)
        ).all()
    closed = [poll_id for poll_id in due if _close(db, poll_id, now, only_if_due=True)]
    return [get_poll(db, poll_id) for poll_id in closed]


def close_if_due(db: DbSession, poll_id: int, *, now: datetime | None = None) -> Poll | None:
    """Close this poll if its deadline has passed and it is still open; the poll, or None."""
    if _close(db, poll_id, now or utcnow(), only_if_due=True):
        poll = get_poll(db, poll_id)
        db.refresh(poll)
        return poll
    return None


# --------------------------------------------------------------------------- voting


@dataclass
class Vote:
    """A ballot as sent by a participant: the field that matches the poll's kind."""

    choices: list[int] | None = None
    rating: int | None = None
    words: list[str] | None = None
    text: str | None = None


@dataclass(frozen=True)
class VoteReceipt:
    ballot: PollBallot
    changed: bool
    version: int  # the poll's votes_version right after this vote


def cast_vote(
    db: DbSession, user: User, poll_id: int, vote: Vote, *, now: datetime | None = None
) -> VoteReceipt:
    """Record a person's ballot, or replace it when the poll allows changes. Commits before returning."""
    now = now or utcnow()
    poll = db.get(Poll, poll_id)
    if poll is None or (poll.status == PollStatus.DRAFT.value and not _runs_poll(db, user, poll)):
        raise NotFound("poll_not_found", f"there is no poll {poll_id}")
    ensure_can_join(db, user, get_live_session(db, poll.session_id))
    if poll.status == PollStatus.DRAFT.value:
        raise Conflict("poll_not_open", "this poll has not been opened yet")
    ensure_room_open(db, poll.session_id)
    answers = _answers_for(db, poll, vote)
    version = _claim_vote_slot(db, poll, now)
    ballot = PollBallot(poll_id=poll.id, user_id=user.id, cast_at=now)
    ballot.answers = _answer_rows(poll.id, answers)
    db.add(ballot)
    try:
        db.commit()
        return VoteReceipt(ballot, False, version)
    except IntegrityError:
        db.rollback()
        if _ballot_id(db, poll.id, user.id) is None:
            raise  # not the one-ballot rule: let the caller report a storage failure
    if not poll.allow_change:
        raise Conflict("already_voted", "you have already voted in this poll; answers cannot be changed")
    return _change_ballot(db, poll, user, answers, now)


@dataclass(frozen=True)
class VoteRequest:
    """One vote for `record_votes`: the caller knows the poll (conference.rooms.hot) and checked the
    person, the room and the answers."""

    user_id: int
    poll: Any  # a hot.PollInfo (or a Poll): id, allow_change
    answers: list[dict]
    now: datetime


def record_vote(db: DbSession, user_id: int, poll, answers: list[dict], now: datetime) -> dict:
    """`record_votes` for one vote: its result, or its refusal raised."""
    result = record_votes(db, [VoteRequest(user_id, poll, answers, now)])[0]
    if isinstance(result, Exception):
        raise result
    return result


def record_votes(db: DbSession, votes: list[VoteRequest]) -> list[dict | Exception]:
    """The hot path of votes, a group-commit batch's worth at once (conference.group_commit.submit_bulk;
    no commit or rollback here). Per poll: one INSERT ... ON CONFLICT (poll_id, user_id) DO NOTHING
    RETURNING for the ballots, one INSERT for their answers, one conditional UPDATE that bumps the
    poll's version by the ballots stored if the poll is still open (else none of them is kept: the
    poll was closed meanwhile). A person with a ballot already (UNIQUE(poll_id, user_id)) gets
    `already_voted`, or has it replaced where the poll allows changes. One result per vote, in
    order: {"ballot": ballot_dict, "changed": bool, "version": int} or the vote's refusal."""
    results: list[dict | Exception | None] = [None] * len(votes)
    by_poll: dict[int, list[int]] = {}
    for n, vote in enumerate(votes):
        by_poll.setdefault(vote.poll.id, []).append(n)
    for poll_id, positions in by_poll.items():
        try:
            with db.begin_nested():
                _record_poll_votes(db, poll_id, [votes[n] for n in positions], positions, results)
        except Conflict as exc:  # the poll closed: none of its votes counts
            for n in positions:
                results[n] = exc
    return [r if r is not None else RuntimeError("vote not handled") for r in results]


def _record_poll_votes(
    db: DbSession, poll_id: int, votes: list[VoteRequest], positions: list[int], results: list
) -> None:
    connection = db.connection()
    ballots = PollBallot.__table__
    stored = connection.execute(
        insert_for(db)(ballots)
        .on_conflict_do_nothing(index_elements=[ballots.c.poll_id, ballots.c.user_id])
        .returning(ballots.c.id, ballots.c.user_id),
        [{"poll_id": poll_id, "user_id": v.user_id, "cast_at": v.now, "revision": 1} for v in votes],
    ).all()
    ballot_of = {user_id: ballot_id for ballot_id, user_id in stored}
    accepted: list[int] = []  # indexes into votes, in order; a second vote of one person conflicts
    answer_rows: list[dict] = []
    for n, vote in enumerate(votes):
        ballot_id = ballot_of.pop(vote.user_id, None)
        if ballot_id is None:
            continue
        accepted.append(n)
        answer_rows.extend(
            {**_ANSWER_FIELDS, **answer, "ballot_id": ballot_id, "poll_id": poll_id}
            for answer in vote.answers
        )
    if answer_rows:
        connection.execute(insert(PollAnswer), answer_rows)
    # Conflict("poll_closed") if the poll closed meanwhile. Each vote's own time was checked against
    # the deadline by the caller; the earliest one is the batch's.
    last = _vote_slot(db, poll_id, min(v.now for v in votes), by=len(accepted))
    first = last - len(accepted) + 1
    for k, n in enumerate(accepted):
        vote = votes[n]
        body = ballot_dict_of(poll_id, vote.answers, vote.now, None)
        results[positions[n]] = {"ballot": body, "changed": False, "version": first + k}
    for n, vote in enumerate(votes):
        if results[positions[n]] is not None:
            continue
        if not vote.poll.allow_change:
            results[positions[n]] = Conflict(
                "already_voted", "you have already voted in this poll; answers cannot be changed"
            )
            continue
        try:
            with db.begin_nested():
                results[positions[n]] = _change_in_batch(db, vote)
        except ServiceError as exc:
            results[positions[n]] = exc


def _change_in_batch(db: DbSession, vote: VoteRequest) -> dict:
    poll_id, user_id = vote.poll.id, vote.user_id
    ratelimit.consume(db, f"poll_vote_change:{user_id}:{poll_id}", "poll_vote_change")
    version = _vote_slot(db, poll_id, vote.now)
    ballot_id = _ballot_id(db, poll_id, user_id)
    assert ballot_id is not None  # ON CONFLICT found it; only deleting the poll removes a ballot
    _replace_answers(db, poll_id, ballot_id, vote.answers, vote.now)
    db.flush()
    changed = db.get_one(PollBallot, ballot_id, populate_existing=True)
    return {"ballot": ballot_dict(changed), "changed": True, "version": version}


_ANSWER_FIELDS = {"option_id": None, "rating": None, "word": None, "text": None}


def _vote_slot(db: DbSession, poll_id: int, now: datetime, by: int = 1) -> int:
    """Bump the poll's version (by `by` votes) if it is still open: a vote and a close serialise on
    this row."""
    version = db.execute(
        update(Poll)
        .where(
            Poll.id == poll_id,
            Poll.status == PollStatus.OPEN.value,
            (Poll.closes_at.is_(None)) | (Poll.closes_at > now),
        )
        .values(votes_version=Poll.votes_version + by)
        .returning(Poll.votes_version)
    ).scalar_one_or_none()
    if version is None:
        raise Conflict("poll_closed", "this poll is closed")
    return version


def _claim_vote_slot(db: DbSession, poll: Poll, now: datetime) -> int:
    """Bump the poll's version if it is still open (see _vote_slot); a closed poll ends the transaction."""
    try:
        return _vote_slot(db, poll.id, now)
    except Conflict:
        db.rollback()
        raise


def _change_ballot(db: DbSession, poll: Poll, user: User, answers: list[dict], now: datetime) -> VoteReceipt:
    ratelimit.consume(db, f"poll_vote_change:{user.id}:{poll.id}", "poll_vote_change")
    version = _claim_vote_slot(db, poll, now)
    ballot_id = _ballot_id(db, poll.id, user.id)
    assert ballot_id is not None  # the caller found it; only deleting the poll removes a ballot
    _replace_answers(db, poll.id, ballot_id, answers, now)
    db.commit()
    ballot = db.get_one(PollBallot, ballot_id)
    db.refresh(ballot)
    return VoteReceipt(ballot, True, version)


def _replace_answers(db: DbSession, poll_id: int, ballot_id: int, answers: list[dict], now: datetime) -> None:
    # The UPDATE takes the ballot row's lock first (PostgreSQL), so two changes at once replace the
    # answers one after the other instead of mixing them.
    db.execute(
        update(PollBallot)
        .where(PollBallot.id == ballot_id)
        .values(revision=PollBallot.revision + 1, changed_at=now)
    )
    db.execute(delete(PollAnswer).where(PollAnswer.ballot_id == ballot_id))
    for row in _answer_rows(poll_id, answers):
        row.ballot_id = ballot_id
        db.add(row)


def _ballot_id(db: DbSession, poll_id: int, user_id: int) -> int | None:
    return db.scalar(
        select(PollBallot.id).where(PollBallot.poll_id == poll_id, PollBallot.user_id == user_id)
    )


def _answer_rows(poll_id: int, answers: list[dict]) -> list[PollAnswer]:
    return [PollAnswer(poll_id=poll_id, **answer) for answer in answers]


def _answers_for(db: DbSession, poll: Poll, vote: Vote) -> list[dict]:
    """The answer rows this vote means for this poll's kind, or a ServiceError."""
    return answers_for(
        poll, vote, lambda: set(db.scalars(select(PollOption.id).where(PollOption.poll_id == poll.id)))
    )


def answers_for(poll, vote: Vote, option_ids) -> list[dict]:
    """The answer rows `vote` means for `poll` (a Poll or what conference.rooms.hot knows of it),
    or a ServiceError; `option_ids()` gives the poll's option ids (asked for choice polls only)."""
    given = {name for name in ("choices", "rating", "words", "text") if getattr(vote, name) is not None}
    if poll.kind in CHOICE_KINDS:
        _only(given, {"choices"}, "choose one or more options: send `choices`")
        return [{"option_id": o} for o in _checked_choices(poll, vote.choices, option_ids)]
    if poll.kind == PollKind.RATING.value:
        _only(given, {"rating"}, "send a `rating`")
        assert poll.scale is not None  # create_poll gives every rating poll its scale
        if vote.rating is None or not 1 <= vote.rating <= poll.scale:
            raise ServiceError("rating_out_of_range", f"the rating is a whole number from 1 to {poll.scale}")
        return [{"rating": vote.rating}]
    if poll.kind == PollKind.WORD_CLOUD.value:
        _only(given, {"words", "text"}, "send `words` (or one word as `text`)")
        words = vote.words if vote.words is not None else [vote.text]
        return [{"word": w} for w in _checked_words(words)]
    _only(given, {"text"}, "send your answer as `text`")
    text = (vote.text or "").strip()
    if not text:
        raise ServiceError("empty_answer", "write an answer first")
    if len(text) > TEXT_MAX:
        raise ServiceError("text_too_long", f"an answer is at most {TEXT_MAX} characters")
    return [{"text": text}]


def _only(given: set[str], allowed: set[str], message: str) -> None:
    if len(given) != 1 or not given <= allowed:
        raise ServiceError("invalid_answer", message)


def _checked_choices(poll, choices: list[int] | None, option_ids) -> list[int]:
    if not choices:
        raise ServiceError("invalid_choices", "choose at least one option")
    if len(set(choices)) != len(choices):
        raise ServiceError("invalid_choices", "each option can be chosen once")
    limit = 1 if poll.kind == PollKind.SINGLE.value else poll.max_choices
    if limit is not None and len(choices) > limit:  # a multiple-choice poll always has its limit
        raise ServiceError("too_many_choices", f"choose at most {limit} option{'s' if limit != 1 else ''}")
    if not set(choices) <= set(option_ids()):
        raise ServiceError("unknown_option", "that option is not part of this poll")
    return choices


def normalise_word(word: str) -> str:
    """Words of a cloud are counted case-insensitively and with single spaces."""
    return " ".join(str(word).split()).casefold()


def _checked_words(words: Sequence[str | None]) -> list[str]:
    cleaned = [normalise_word(w or "") for w in words]
    if not cleaned or any(not w for w in cleaned):
        raise ServiceError("empty_answer", "write a word first")
    if len(cleaned) > WORDS_PER_BALLOT:
        raise ServiceError("too_many_words", f"send at most {WORDS_PER_BALLOT} words")
    if any(len(w) > WORD_MAX for w in cleaned):
        raise ServiceError("word_too_long", f"a word is at most {WORD_MAX} characters")
    return list(dict.fromkeys(cleaned))  # the same word twice in one ballot counts once


# --------------------------------------------------------------------------- tallies and visibility


def tally(db: DbSession, poll: Poll) -> dict:
    """The full current results of a poll, counted by the database."""
    version = db.scalar(select(Poll.votes_version).where(Poll.id == poll.id))
    total = db.scalar(select(func.count()).select_from(PollBallot).where(PollBallot.poll_id == poll.id))
    result = {"poll_id": poll.id, "kind": poll.kind, "total": total, "version": version}
    if poll.kind in CHOICE_KINDS:
        counts = dict(
            db.execute(
                select(PollAnswer.option_id, func.count())
                .where(PollAnswer.poll_id == poll.id)
                .group_by(PollAnswer.option_id)
            ).all()
        )
        result["counts"] = {str(o.id): counts.get(o.id, 0) for o in poll.options}
    elif poll.kind == PollKind.RATING.value:
        counts = dict(
            db.execute(
                select(PollAnswer.rating, func.count())
                .where(PollAnswer.poll_id == poll.id)
                .group_by(PollAnswer.rating)
            ).all()
        )
        assert poll.scale is not None  # create_poll gives every rating poll its scale
        result["counts"] = {str(n): counts.get(n, 0) for n in range(1, poll.scale + 1)}
        mean = db.scalar(select(func.avg(PollAnswer.rating)).where(PollAnswer.poll_id == poll.id))
        result["mean"] = round(float(mean), 2) if mean is not None else None
    elif poll.kind == PollKind.WORD_CLOUD.value:
        n = func.count().label("n")
        rows = db.execute(
            select(PollAnswer.word, n)
            .where(PollAnswer.poll_id == poll.id, PollAnswer.word.is_not(None))
            .group_by(PollAnswer.word)
            .order_by(n.desc(), PollAnswer.word)
            .limit(WORDS_SHOWN)
        ).all()
        result["words"] = dict(rows)
    else:
        result["texts"] = list(
            db.scalars(
                select(PollAnswer.text)
                .where(PollAnswer.poll_id == poll.id, PollAnswer.text.is_not(None))
                .order_by(PollAnswer.id.desc())
                .limit(TEXTS_SHOWN)
            )
        )
    return result


def results_public(poll: Poll) -> bool:
    """May every participant of the room see this poll's results now?"""
    if poll.results_visibility == ResultsVisibility.LIVE.value:
        return poll.status != PollStatus.DRAFT.value
    if poll.results_visibility == ResultsVisibility.AFTER_CLOSE.value:
        return poll.status == PollStatus.CLOSED.value
    return False


def _runs_poll(db: DbSession, user: User, poll: Poll) -> bool:
    return can_moderate(db, user, get_live_session(db, poll.session_id))


def _ensure_runs_poll(db: DbSession, user: User, poll: Poll) -> None:
    ensure_can_moderate(db, user, get_live_session(db, poll.session_id))


def may_see_results(db: DbSession, user: User, poll: Poll) -> bool:
    return results_public(poll) or _runs_poll(db, user, poll)


def may_see_poll(db: DbSession, user: User, poll: Poll) -> bool:
    """Participants see open polls, and closed ones whose results are theirs to see; moderators all."""
    return may_see_poll_as_participant(poll) or _runs_poll(db, user, poll)


def may_see_poll_as_participant(poll: Poll) -> bool:
    if poll.status == PollStatus.OPEN.value:
        return True
    return poll.status == PollStatus.CLOSED.value and results_public(poll)


def poll_dict(poll: Poll, *, now: datetime | None = None) -> dict:
    """A poll as the protocol shows it (no results, no voters)."""
    remaining = None
    if poll.status == PollStatus.OPEN.value and poll.closes_at is not None:
        remaining = max(0.0, round((poll.closes_at - (now or utcnow())).total_seconds(), 3))
    return {
        "id": poll.id,
        "session_id": poll.session_id,
        "title": poll.title,
        # Every translation ({"title": {language: text}}; each option's {"text": {...}}): the viewers of
        # one broadcast speak different languages, and each client picks its own (docs/protocol.md).
        "translations": poll.translations or {},
        "kind": poll.kind,
        "status": poll.status,
        "options": [{"id": o.id, "text": o.text, "translations": o.translations or {}} for o in poll.options],
        "max_choices": poll.max_choices,
        "scale": poll.scale,
        "results": poll.results_visibility,
        "duration_s": poll.duration_s,
        "allow_change": poll.allow_change,
        "opened_at": isoformat_utc(poll.opened_at),
        "closes_at": isoformat_utc(poll.closes_at),
        "closed_at": isoformat_utc(poll.closed_at),
        "remaining_s": remaining,
    }


def ballot_dict(ballot: PollBallot) -> dict:
    """A person's own ballot, in the shape they sent it."""
    answers = [
        {"option_id": a.option_id, "rating": a.rating, "word": a.word, "text": a.text} for a in ballot.answers
    ]
    return ballot_dict_of(ballot.poll_id, answers, ballot.cast_at, ballot.changed_at)


def ballot_dict_of(poll_id: int, answers: list[dict], cast_at: datetime, changed_at: datetime | None) -> dict:
    """`ballot_dict` from known values: the answer rows as `answers_for` gives them."""
    choices = [a["option_id"] for a in answers if a.get("option_id") is not None]
    ratings = [a["rating"] for a in answers if a.get("rating") is not None]
    words = [a["word"] for a in answers if a.get("word") is not None]
    texts = [a["text"] for a in answers if a.get("text") is not None]
    return {
        "poll_id": poll_id,
        "choices": choices or None,
        "rating": ratings[0] if ratings else None,
        "words": words or None,
        "text": texts[0] if texts else None,
        "cast_at": isoformat_utc(cast_at),
        "changed_at": isoformat_utc(changed_at),
    }


def my_ballots(db: DbSession, user: User, poll_ids: list[int]) -> dict[int, PollBallot]:
    if not poll_ids:
        return {}
    ballots = db.scalars(
        select(PollBallot)
        .where(PollBallot.user_id == user.id, PollBallot.poll_id.in_(poll_ids))
        .options(selectinload(PollBallot.answers))
    )
    return {b.poll_id: b for b in ballots}


def polls_state(db: DbSession, user: User, session: ProgrammeSession) -> dict:
    """The `polls` part of the join state: the polls this user may see, their own ballot, and the
    results they may see. Call `close_due_polls` first so an expired poll is shown closed."""
    joiner = Joiner(user, can_moderate(db, user, session))
    return polls_personal_state(db, joiner, session, polls_shared_state(db, session))


def polls_shared_state(db: DbSession, session: ProgrammeSession) -> dict:
    """The polls everyone in the room sees (open ones, and closed ones whose results are public),
    with the results every participant may see: a fixed number of queries however many polls."""
    polls = [
        p
        for p in _polls_with_options(db, session.id, (PollStatus.OPEN.value, PollStatus.CLOSED.value))
        if may_see_poll_as_participant(p)
    ]
    tallies = tallies_of(db, [p for p in polls if results_public(p)])
    # `_closes_at` (never sent): each joiner's seconds left are counted from it
    return {"polls": [{**poll_dict(p), "tally": tallies.get(p.id), "_closes_at": p.closes_at} for p in polls]}


def polls_personal_state(db: DbSession, joiner: Joiner, session: ProgrammeSession, shared: dict) -> dict:
    """Your ballots on the room's polls; a moderator also gets the drafts and every result."""
    now = utcnow()
    if joiner.moderator:
        polls = _polls_with_options(db, session.id)
        tallies = tallies_of(db, polls)
        entries = [{**poll_dict(p, now=now), "tally": tallies.get(p.id)} for p in polls]
    else:
        entries = [_with_remaining(entry, now) for entry in shared["polls"]]
    ballots = my_ballots(db, joiner.user, [entry["id"] for entry in entries])
    return {
        "polls": [
            {**entry, "my_ballot": ballot_dict(ballots[entry["id"]]) if entry["id"] in ballots else None}
            for entry in entries
        ]
    }


def _with_remaining(shared_entry: dict, now: datetime) -> dict:
    """A shared poll with its seconds left counted for this joiner (the shared state may be a moment old)."""
    entry = dict(shared_entry)
    closes_at = entry.pop("_closes_at")
    if entry["status"] == PollStatus.OPEN.value and closes_at is not None:
        entry["remaining_s"] = max(0.0, round((closes_at - now).total_seconds(), 3))
    return entry


def _polls_with_options(
    db: DbSession, session_id: int, statuses: tuple[str, ...] | None = None
) -> list[Poll]:
    query = select(Poll).where(Poll.session_id == session_id).options(selectinload(Poll.options))
    if statuses is not None:
        query = query.where(Poll.status.in_(statuses))
    # populate_existing: polls this session loaded before (closed meanwhile) are read again
    return list(db.scalars(query.order_by(Poll.id).execution_options(populate_existing=True)))


def tallies_of(db: DbSession, polls: list[Poll]) -> dict[int, dict]:
    """`tally(poll)` of many polls at once, in one query per kind of count (not per poll)."""
    if not polls:
        return {}
    ids = [p.id for p in polls]
    versions = dict(db.execute(select(Poll.id, Poll.votes_version).where(Poll.id.in_(ids))).all())
    totals = dict(
        db.execute(
            select(PollBallot.poll_id, func.count())
            .where(PollBallot.poll_id.in_(ids))
            .group_by(PollBallot.poll_id)
        ).all()
    )
    results: dict[int, dict[str, Any]] = {
        p.id: {"poll_id": p.id, "kind": p.kind, "total": totals.get(p.id, 0), "version": versions.get(p.id)}
        for p in polls
    }
    by_kind: dict[str, list[Poll]] = {}
    for poll in polls:
        by_kind.setdefault("choice" if poll.kind in CHOICE_KINDS else poll.kind, []).append(poll)
    if "choice" in by_kind:
        counts = _grouped(db, PollAnswer.option_id, by_kind["choice"])
        for poll in by_kind["choice"]:
            mine = counts.get(poll.id, {})
            results[poll.id]["counts"] = {str(o.id): mine.get(o.id, 0) for o in poll.options}
    if PollKind.RATING.value in by_kind:
        counts = _grouped(db, PollAnswer.rating, by_kind[PollKind.RATING.value])
        for poll in by_kind[PollKind.RATING.value]:
            mine = counts.get(poll.id, {})
            assert poll.scale is not None  # create_poll gives every rating poll its scale
            results[poll.id]["counts"] = {str(n): mine.get(n, 0) for n in range(1, poll.scale + 1)}
            answers = sum(mine.values())
            mean = sum(rating * n for rating, n in mine.items()) / answers if answers else None
            results[poll.id]["mean"] = round(float(mean), 2) if mean is not None else None
    if PollKind.WORD_CLOUD.value in by_kind:
        counts = _grouped(db, PollAnswer.word, by_kind[PollKind.WORD_CLOUD.value])
        for poll in by_kind[PollKind.WORD_CLOUD.value]:
            ranked = sorted(counts.get(poll.id, {}).items(), key=lambda item: (-item[1], item[0]))
            results[poll.id]["words"] = dict(ranked[:WORDS_SHOWN])
    if PollKind.OPEN_TEXT.value in by_kind:
        texts = _newest_texts(db, by_kind[PollKind.OPEN_TEXT.value])
        for poll in by_kind[PollKind.OPEN_TEXT.value]:
            results[poll.id]["texts"] = texts.get(poll.id, [])
    return results


def _grouped(db: DbSession, column, polls: list[Poll]) -> dict[int, dict]:
    """{poll id: {value: answers}} for the non-empty values of `column` (one query)."""
    found: dict[int, dict] = {}
    rows = db.execute(
        select(PollAnswer.poll_id, column, func.count())
        .where(PollAnswer.poll_id.in_([p.id for p in polls]), column.is_not(None))
        .group_by(PollAnswer.poll_id, column)
    )
    for poll_id, value, n in rows:
        found.setdefault(poll_id, {})[value] = n
    return found


def _newest_texts(db: DbSession, polls: list[Poll]) -> dict[int, list[str]]:
    """The TEXTS_SHOWN newest texts of each poll, newest first (one query, a window per poll)."""
    rank = (
        func.row_number().over(partition_by=PollAnswer.poll_id, order_by=PollAnswer.id.desc()).label("rank")
    )
    newest = (
        select(PollAnswer.poll_id, PollAnswer.id, PollAnswer.text, rank)
        .where(PollAnswer.poll_id.in_([p.id for p in polls]), PollAnswer.text.is_not(None))
        .subquery()
    )
    found: dict[int, list[str]] = {}
    rows = db.execute(
        select(newest.c.poll_id, newest.c.text)
        .where(newest.c.rank <= TEXTS_SHOWN)
        .order_by(newest.c.poll_id, newest.c.id.desc())
    )
    for poll_id, text in rows:
        found.setdefault(poll_id, []).append(text)
    return found


# --------------------------------------------------------------------------- export

CSV_HEADER = ["poll_id", "poll_title", "kind", "status", "answer", "count", "total_voters"]


def export_csv(db: DbSession, user: User, poll_id: int) -> str:
    """The poll's full results as CSV (moderators): one row per option, rating, word or text."""
    poll = get_poll(db, poll_id)
    if not runs_event(db, user, get_live_session(db, poll.session_id).event_id):
        raise Forbidden("forbidden", "only the people who run this event may export results")
    total = db.scalar(select(func.count()).select_from(PollBallot).where(PollBallot.poll_id == poll.id))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header_row(CSV_HEADER))
    for answer, count in _all_counts(db, poll):
        writer.writerow([poll.id, _cell(poll.title), poll.kind, poll.status, _cell(answer), count, total])
    return out.getvalue()


def _all_counts(db: DbSession, poll: Poll) -> list[tuple[str, int]]:
    if poll.kind in CHOICE_KINDS:
        counts = tally(db, poll)["counts"]
        return [(o.text, counts[str(o.id)]) for o in poll.options]
    if poll.kind == PollKind.RATING.value:
        return list(tally(db, poll)["counts"].items())
    column = PollAnswer.word if poll.kind == PollKind.WORD_CLOUD.value else PollAnswer.text
    n = func.count().label("n")
    return [
        (value, count)
        for value, count in db.execute(
            select(column, n)
            .where(PollAnswer.poll_id == poll.id, column.is_not(None))
            .group_by(column)
            .order_by(n.desc(), column)
        ).all()
        if value is not None  # none is: the query leaves them out; said for the type checker
    ]


def _cell(value) -> str:
    """Neutralise spreadsheet formulas in text people typed (CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
