"""Matchmaking rules: practices, expressions of interest, the matchmaking table and the follow-up.

Plain functions on a database session; they commit, raise `conference.errors` errors with a stable
code, and never touch the request or Socket.IO (the views broadcast what they return).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TypeGuard

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..accounts.services import find_user_by_email
from ..countries import country_name
from ..db_session import DbSession, execute_dml
from ..db_types import utcnow
from ..errors import Conflict, Forbidden, NotFound, ServiceError
from ..grants import checks
from ..programme.models import Event, ProgrammeSession, Track
from ..registrations.services import confirmed_registration
from ..wire import isoformat_utc
from .models import (
    FOLLOW_UP,
    FollowUpNote,
    Interest,
    InterestMember,
    MatchmakingSession,
    Practice,
)
from .schemas import FollowUpIn, InterestIn, PracticeIn, PracticeUpdate

# Where a possibility may go from each status: forward one step or dropped, and back one step to
# undo a mistake (a dropped one may be proposed again).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("contacted", "dropped"),
    "contacted": ("in_progress", "dropped", "proposed"),
    "in_progress": ("done", "dropped", "contacted"),
    "done": ("in_progress",),
    "dropped": ("proposed",),
}


# --- who may do what ------------------------------------------------------------------------------


def _status_words(status: str) -> str:
    """A follow-up status in the API's English ("in_progress" → "in progress")."""
    return status.replace("_", " ")


def _signed_in(user: User | None) -> TypeGuard[User]:
    return user is not None and getattr(user, "is_authenticated", True) and user.id is not None


def is_registered(db: DbSession, user: User | None, event: Event) -> bool:
    return _signed_in(user) and confirmed_registration(db, user.id, event.id) is not None


def may_edit_practice(db: DbSession, user: User | None, practice: Practice) -> bool:
    """The practice's owner and the event's organisers."""
    if not _signed_in(user):
        return False
    return practice.owner_id == user.id or checks.can_manage(db, user, practice.event_id)


def may_see_practice(db: DbSession, user: User | None, practice: Practice) -> bool:
    """A hidden practice is seen by its owner and the organisers only."""
    return practice.status == "published" or may_edit_practice(db, user, practice)


def ensure_may_offer(db: DbSession, user: User | None, event: Event) -> None:
    if not _signed_in(user):
        raise ServiceError("unauthorized", "sign in to offer a practice", status=401)
    if not (is_registered(db, user, event) or checks.can_manage(db, user, event)):
        raise Forbidden("not_registered", "register for the event to offer a practice")


# --- practices -----------------------------------------------------------------------------------


def _track(db: DbSession, event: Event, track_id: int | None) -> int | None:
    if track_id is None:
        return None
    track = db.get(Track, track_id)
    if track is None or track.event_id != event.id:
        raise ServiceError("track_not_found", "no such thematic area in this event", field="track_id")
    return track.id


def _session(db: DbSession, event: Event, session_id: int | None) -> int | None:
    if session_id is None:
        return None
    session = db.get(ProgrammeSession, session_id)
    if session is None or session.event_id != event.id:
        raise ServiceError("session_not_found", "no such session in this event", field="session_id")
    return session.id


def _links(links) -> list[dict]:
    return [{"title": link.title or link.url, "url": link.url} for link in links]


def create_practice(db: DbSession, event: Event, user: User, data: PracticeIn) -> Practice:
    """A participant offers a practice for their institution and country; organisers may offer one
    for someone else (`owner_email`)."""
    ensure_may_offer(db, user, event)
    owner = user
    if data.owner_email:
        if not checks.can_manage(db, user, event):
            raise Forbidden("forbidden", "only organisers offer a practice on someone else's behalf")
        found = find_user_by_email(db, data.owner_email)
        if found is None:
            raise ServiceError("owner_not_found", "no account with that e-mail address", field="owner_email")
        owner = found
    country = data.country or owner.country
    if not country:
        raise ServiceError("country_required", "say which country shares the practice", field="country")
    practice = Practice(
        event_id=event.id,
        owner_id=owner.id,
        created_by_id=user.id,
        title=data.title,
        summary=data.summary,
        country=country,
        organisation=data.organisation or owner.organisation or "",
        track_id=_track(db, event, data.track_id),
        session_id=_session(db, event, data.session_id),
        links=_links(data.links),
        status="published",
    )
    db.add(practice)
    db.commit()
    return practice


def get_practice(db: DbSession, event: Event, practice_id: int, viewer: User | None = None) -> Practice:
    """The practice of this event; a hidden one is "not found" for people who may not see it."""
    practice = db.get(Practice, practice_id)
    if practice is None or practice.event_id != event.id or not may_see_practice(db, viewer, practice):
        raise NotFound("practice_not_found", f"no practice {practice_id} in {event.slug}")
    return practice


def update_practice(db: DbSession, practice: Practice, user: User, data: PracticeUpdate) -> Practice:
    """The owner or an organiser edits; only organisers hide or show it (moderation)."""
    if not may_edit_practice(db, user, practice):
        raise Forbidden("forbidden", "only the practice's owner or the organisers may change it")
    given = data.model_fields_set
    event = practice.event
    if "status" in given and data.status is not None and data.status != practice.status:
        if not checks.can_manage(db, user, event):
            raise Forbidden("forbidden", "only organisers hide or show a practice")
        practice.status = data.status
    for name in ("title", "summary", "organisation"):
        value = getattr(data, name)
        if name in given and value is not None:
            setattr(practice, name, value)
    if "country" in given:
        if data.country is None:
            raise ServiceError("country_required", "say which country shares the practice", field="country")
        if data.country != practice.country and any(i.country == data.country for i in practice.interests):
            raise Conflict(
                "country_is_interested",
                "that country has expressed interest in this practice; it cannot also share it",
                field="country",
            )
        practice.country = data.country
    if "track_id" in given:
        practice.track_id = _track(db, event, data.track_id)
    if "session_id" in given:
        practice.session_id = _session(db, event, data.session_id)
    if "links" in given and data.links is not None:
        practice.links = _links(data.links)
    db.commit()
    return practice


def delete_practice(db: DbSession, practice: Practice, user: User) -> None:
    if not may_edit_practice(db, user, practice):
        raise Forbidden("forbidden", "only the practice's owner or the organisers may delete it")
    db.delete(practice)
    db.commit()


# --- expressions of interest ---------------------------------------------------------------------


@dataclass
class InterestOutcome:
    interest: Interest
    member: InterestMember
    new_interest: bool  # False: the person joined their country's existing expression


def _find_interest(db: DbSession, practice_id: int, country: str) -> Interest | None:
    return db.scalar(select(Interest).where(Interest.practice_id == practice_id, Interest.country == country))


def express_interest(db: DbSession, practice: Practice, user: User, data: InterestIn) -> InterestOutcome:
    """The person's country's interest in the practice. One expression per country and practice:
    a second person of the same country is added to it (the database keeps one even when both
    arrive at the same instant). Asking twice updates what the person wants and their note."""
    event = practice.event
    if not _signed_in(user):
        raise ServiceError("unauthorized", "sign in to express interest", status=401)
    if not is_registered(db, user, event):
        raise Forbidden("not_registered", "register for the event to express interest")
    if practice.status != "published":
        raise NotFound("practice_not_found", f"no practice {practice.id} in {event.slug}")
    country = user.country or data.country
    if user.country and data.country and data.country != user.country:
        raise Forbidden("not_your_country", "you express interest on behalf of your own country")
    if not country:
        raise ServiceError("country_required", "say which country you speak for", field="country")
    if country == practice.country:
        raise ServiceError("own_country", "this practice is your own country's")
    interest = _find_interest(db, practice.id, country)
    created = False
    if interest is None:
        try:
            with db.begin_nested():
                interest = Interest(practice_id=practice.id, event_id=event.id, country=country)
                db.add(interest)
            created = True
        except IntegrityError:  # someone of the same country was first, a moment ago
            interest = _find_interest(db, practice.id, country)
            if interest is None:  # pragma: no cover - the row vanished between two statements
                raise
    member = db.scalar(
        select(InterestMember).where(
            InterestMember.interest_id == interest.id, InterestMember.user_id == user.id
        )
    )
    if member is None:
        try:
            with db.begin_nested():
                member = InterestMember(
                    interest_id=interest.id, user_id=user.id, wants=data.wants, note=data.note
                )
                db.add(member)
        except IntegrityError:  # the same person from two tabs at once
            member = db.execute(
                select(InterestMember).where(
                    InterestMember.interest_id == interest.id, InterestMember.user_id == user.id
                )
            ).scalar_one()
    member.wants, member.note = data.wants, data.note
    db.commit()
    db.refresh(interest)
    return InterestOutcome(interest, member, created)


def withdraw_interest(db: DbSession, practice: Practice, user: User) -> Interest | None:
    """The person leaves their country's expression; the last one out removes it (and its follow-up)."""
    interest: Interest | None
    member = db.scalar(
        select(InterestMember)
        .join(Interest)
        .where(Interest.practice_id == practice.id, InterestMember.user_id == user.id)
    )
    if member is None:
        raise NotFound("interest_not_found", "you have not expressed interest in this practice")
    interest = member.interest
    db.delete(member)
    db.flush()
    db.refresh(interest)
    if not interest.members:
        db.delete(interest)
        interest = None
    db.commit()
    return interest


def get_possibility(db: DbSession, event: Event, interest_id: int) -> Interest:
    interest = db.get(Interest, interest_id)
    if interest is None or interest.event_id != event.id:
        raise NotFound("possibility_not_found", f"no partnership possibility {interest_id} in {event.slug}")
    return interest


def follow_up(db: DbSession, interest: Interest, user: User, data: FollowUpIn) -> FollowUpNote:
    """Move a possibility along (proposed → contacted → in progress → done / dropped) and/or add a
    dated note: the practice's owner and the organisers only. The change is a conditional UPDATE on
    the status the person saw, so two people moving it at once cannot both succeed."""
    practice = interest.practice
    if not may_edit_practice(db, user, practice):
        raise Forbidden(
            "forbidden", "only the practice's owner or the organisers follow its possibilities up"
        )
    before = interest.status
    after = None
    if data.status is not None and data.status != before:
        if data.status not in TRANSITIONS[before]:
            allowed = ", ".join(_status_words(s) for s in TRANSITIONS[before])
            raise Conflict(
                "invalid_transition",
                f"a possibility that is {_status_words(before)} moves to: {allowed}",
                status_now=before,
            )
        moved = execute_dml(
            db,
            update(Interest)
            .where(Interest.id == interest.id, Interest.status == before)
            .values(status=data.status, status_changed_at=utcnow())
            .execution_options(synchronize_session=False),
        ).rowcount
        if not moved:
            db.rollback()
            raise Conflict("status_changed", "someone changed this possibility's status a moment ago; reload")
        after = data.status
    elif not data.note:
        raise ServiceError("nothing_to_do", f"the possibility is {_status_words(before)} already")
    note = FollowUpNote(
        interest_id=interest.id,
        author_id=user.id,
        text=data.note,
        from_status=before if after else None,
        to_status=after,
    )
    db.add(note)
    db.commit()
    db.refresh(interest)
    return note


# --- the matchmaking table -----------------------------------------------------------------------


@dataclass
class TableFilter:
    track_id: int | None = None
    country: str | None = None

    @classmethod
    def from_args(cls, args) -> TableFilter:
        from ..countries import normalise_country

        track = args.get("track", "")
        try:
            track_id = int(track) if track.strip() else None
        except ValueError:
            raise ServiceError("invalid_filter", "the thematic area filter is not a number") from None
        if track_id is not None and not 0 < track_id < 2**31:
            raise ServiceError("invalid_filter", "the thematic area filter is not a known area")
        try:
            country = normalise_country(args.get("country", ""))
        except ValueError:
            raise ServiceError("invalid_filter", "the country filter is not a country code") from None
        return cls(track_id, country)

    def query_args(self) -> dict:
        return {k: v for k, v in (("track", self.track_id), ("country", self.country)) if v}


@dataclass
class TableRow:
    practice: Practice
    interests: list[Interest]

    @property
    def possibilities(self) -> int:
        return len(self.interests)


@dataclass
class Table:
    rows: list[TableRow]
    by_status: Counter = field(default_factory=Counter)

    @property
    def possibilities(self) -> int:
        return sum(row.possibilities for row in self.rows)

    @property
    def sharing_countries(self) -> list[str]:
        return sorted({row.practice.country for row in self.rows}, key=country_name)

    @property
    def interested_countries(self) -> list[str]:
        return sorted({i.country for row in self.rows for i in row.interests}, key=country_name)


def practices_of(db: DbSession, event: Event, *, include_hidden: bool = False) -> list[Practice]:
    query = (
        select(Practice)
        .where(Practice.event_id == event.id)
        .options(
            selectinload(Practice.interests).selectinload(Interest.members),
            selectinload(Practice.track),
            selectinload(Practice.owner),
            selectinload(Practice.session),
        )
        .order_by(Practice.country, Practice.title, Practice.id)
    )
    if not include_hidden:
        query = query.where(Practice.status == "published")
    return list(db.scalars(query))


def matchmaking_table(
    db: DbSession, event: Event, filters: TableFilter | None = None, *, include_hidden: bool = False
) -> Table:
    """Each practice with its sharing country and the countries interested: one partnership
    possibility per practice × interested country. The country filter keeps the practices that
    country shares and the possibilities it is interested in."""
    filters = filters or TableFilter()
    rows = []
    for practice in practices_of(db, event, include_hidden=include_hidden):
        if filters.track_id is not None and practice.track_id != filters.track_id:
            continue
        interests = sorted(practice.interests, key=lambda i: country_name(i.country))
        if filters.country is not None and practice.country != filters.country:
            interests = [i for i in interests if i.country == filters.country]
            if not interests:
                continue
        rows.append(TableRow(practice, interests))
    by_status = Counter(i.status for row in rows for i in row.interests)
    return Table(rows, by_status)


def totals(db: DbSession, event: Event) -> dict:
    """For the event page: practices, possibilities and how their follow-up stands."""
    table = matchmaking_table(db, event)
    return {
        "practices": len(table.rows),
        "possibilities": table.possibilities,
        "sharing_countries": len(table.sharing_countries),
        "interested_countries": len(table.interested_countries),
        "by_status": {status: table.by_status.get(status, 0) for status in FOLLOW_UP},
    }


# --- sessions where matchmaking happens live ------------------------------------------------------


def matchmaking_session_ids(db: DbSession, event_id: int) -> list[int]:
    return list(
        db.scalars(
            select(MatchmakingSession.session_id)
            .where(MatchmakingSession.event_id == event_id)
            .order_by(MatchmakingSession.session_id)
        )
    )


def is_matchmaking_session(db: DbSession, session: ProgrammeSession) -> bool:
    return db.get(MatchmakingSession, session.id) is not None


def set_matchmaking_sessions(db: DbSession, event: Event, session_ids: list[int]) -> list[int]:
    """Organisers name the sessions whose live page and screen follow the matchmaking."""
    for session_id in session_ids:
        _session(db, event, session_id)
    db.execute(delete(MatchmakingSession).where(MatchmakingSession.event_id == event.id))
    db.add_all(MatchmakingSession(session_id=sid, event_id=event.id) for sid in session_ids)
    db.commit()
    return session_ids


# --- shapes --------------------------------------------------------------------------------------


def interest_json(interest: Interest, *, with_people: bool = False) -> dict:
    body = {
        "id": interest.id,
        "country": interest.country,
        "country_name": country_name(interest.country),
        "wants": interest.wants,
        "status": interest.status,
        "people": len(interest.members),
    }
    if with_people:
        body["members"] = [
            {"name": m.user.name, "organisation": m.user.organisation, "wants": m.wants, "note": m.note}
            for m in interest.members
        ]
        body["notes"] = [note_json(n) for n in interest.notes]
    return body


def note_json(note: FollowUpNote) -> dict:
    return {
        "id": note.id,
        "text": note.text,
        "from_status": note.from_status,
        "to_status": note.to_status,
        "author": note.author.name if note.author else None,
        "created_at": isoformat_utc(note.created_at),
    }


def practice_json(practice: Practice, *, with_people: bool = False) -> dict:
    """The public shape (live broadcasts, the API); `with_people` adds the names and the follow-up
    notes, for the practice's owner and the organisers."""
    return {
        "id": practice.id,
        "title": practice.title,
        "summary": practice.summary,
        "country": practice.country,
        "country_name": country_name(practice.country),
        "organisation": practice.organisation,
        "track": {"id": practice.track.id, "name": practice.track.name} if practice.track else None,
        "session_id": practice.session_id,
        "links": practice.links or [],
        "status": practice.status,
        "owner": practice.owner.name if practice.owner else None,
        "possibilities": len(practice.interests),
        "interests": [
            interest_json(i, with_people=with_people)
            for i in sorted(practice.interests, key=lambda i: country_name(i.country))
        ],
    }
