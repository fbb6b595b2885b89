"""Changing an event and its programme: the rules organisers' forms and the JSON API share.

Every function takes validated input (`schemas`), owns its transaction and raises a ServiceError
whose `details.fields` names the field at fault, so a form shows the message beside it and the API
returns it; on any refusal nothing is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast, overload
from zoneinfo import ZoneInfo

from sqlalchemy import Table, exists, func, select
from sqlalchemy.exc import IntegrityError

from .. import hooks
from ..accounts.models import User
from ..accounts.services import find_user_by_email
from ..db_session import DbSession
from ..errors import Conflict, ServiceError
from .models import Event, ProgrammeSession, Speaker, Track
from .schemas import EventCreateIn, EventIn, SessionIn, SpeakerIn, TrackIn
from .services import row_of_event

# The session fields whose change the check-in doors and the live pages must hear about.
WATCHED_SESSION_FIELDS = ("starts_at", "ends_at", "room", "capacity", "stream_url")


def invalid(
    field: str, message: str, code: str = "invalid_request", status: int = 400, **details: object
) -> ServiceError:
    """A refusal pinned to one field of the form / payload; `details` name the values the message gives."""
    return ServiceError(code, message, status=status, fields={field: message}, **details)


@overload
def to_utc(moment: datetime, zone: ZoneInfo) -> datetime: ...
@overload
def to_utc(moment: datetime | None, zone: ZoneInfo) -> datetime | None: ...
def to_utc(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A local wall-clock time of the event (naive) or an explicit instant (aware), as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


@overload
def local_input(moment: datetime, zone: ZoneInfo) -> str: ...
@overload
def local_input(moment: datetime | None, zone: ZoneInfo) -> str | None: ...
def local_input(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """The value of a `datetime-local` input showing `moment` in the event's zone."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if moment else None


# ---------------------------------------------------------------- events


def _apply_event(event: Event, data: EventIn) -> None:
    zone = ZoneInfo(data.timezone)
    if to_utc(data.ends_at, zone) <= to_utc(data.starts_at, zone):  # also for one local time and one instant
        raise invalid("ends_at", "the event must end after it starts")
    opens, closes = to_utc(data.registration_opens_at, zone), to_utc(data.registration_closes_at, zone)
    if opens and closes and closes <= opens:
        raise invalid("registration_closes_at", "registration must close after it opens")
    event.title = data.title
    event.slug = data.slug
    event.description = data.description
    event.translations = data.translations
    event.venue = data.venue
    event.city = data.city
    event.country = data.country
    event.timezone = data.timezone
    event.starts_at = to_utc(data.starts_at, zone)
    event.ends_at = to_utc(data.ends_at, zone)
    event.contact_email = data.contact_email or ""
    event.registration_opens_at = to_utc(data.registration_opens_at, zone)
    event.registration_closes_at = to_utc(data.registration_closes_at, zone)
    event.modes_offered = data.modes_offered
    event.in_person_capacity = data.in_person_capacity
    event.online_capacity = data.online_capacity
    event.requires_approval = data.requires_approval
    event.languages = data.languages


def _slug_taken(db: DbSession, slug: str, event_id: int | None) -> bool:
    query = select(exists().where(Event.slug == slug, Event.id != (event_id or 0)))
    return bool(db.scalar(query))


def _commit_event(db: DbSession, event: Event) -> None:
    """Commit; the UNIQUE index on slugs decides a race between two organisers choosing one slug."""
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        if _slug_taken(db, event.slug, None):
            raise invalid("slug", "another event already uses this address", "slug_taken", 409) from None
        raise


def create_event(db: DbSession, data: EventCreateIn, *, created_by: User | None = None) -> Event:
    """A new event, as a draft; its first organiser (by e-mail) is granted in the same transaction."""
    from ..grants.models import EventGrant

    organiser = None
    if data.organiser_email:
        organiser = find_user_by_email(db, data.organiser_email)
        if organiser is None:
            raise invalid(
                "organiser_email",
                "there is no account with this e-mail; ask them to sign up first",
                "unknown_user",
            )
    if _slug_taken(db, data.slug, None):
        raise invalid("slug", "another event already uses this address", "slug_taken", 409)
    event = Event(published=False)
    _apply_event(event, data)
    db.add(event)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise invalid("slug", "another event already uses this address", "slug_taken", 409) from None
    if organiser is not None:
        db.add(
            EventGrant(
                event_id=event.id,
                user_id=organiser.id,
                role="organiser",
                granted_by_id=created_by.id if created_by is not None else None,
            )
        )
    _commit_event(db, event)
    return event


def update_event(db: DbSession, event: Event, data: EventIn) -> Event:
    """Change an event's settings; its sessions must still fit inside its new dates."""
    if _slug_taken(db, data.slug, event.id):
        raise invalid("slug", "another event already uses this address", "slug_taken", 409)
    zone = ZoneInfo(data.timezone)
    starts, ends = to_utc(data.starts_at, zone), to_utc(data.ends_at, zone)
    outside = db.scalar(
        select(ProgrammeSession)
        .where(
            ProgrammeSession.event_id == event.id,
            (ProgrammeSession.starts_at < starts) | (ProgrammeSession.ends_at > ends),
        )
        .limit(1)
    )
    if outside is not None:
        field = "starts_at" if outside.starts_at < starts else "ends_at"
        raise invalid(
            field,
            f"the session {outside.title!r} would fall outside the event's dates; move it first",
            "sessions_outside_event",
        )
    old_capacity = event.in_person_capacity
    _apply_event(event, data)
    _commit_event(db, event)
    if event.in_person_capacity is None or (
        old_capacity is not None and event.in_person_capacity > old_capacity
    ):
        from ..registrations.services import promote_waiting_list

        promote_waiting_list(db, event)  # the places just added go to the waiting list, in order
    return event


def set_published(db: DbSession, event: Event, published: bool) -> Event:
    event.published = published
    db.commit()
    return event


def delete_event(db: DbSession, event: Event) -> None:
    """Delete a draft nobody registered for; a published event or one with registrations stays."""
    from ..registrations.models import Registration

    if event.published:
        raise Conflict("event_published", "unpublish the event before deleting it")
    if db.scalar(select(exists().where(Registration.event_id == event.id))):
        raise Conflict(
            "event_has_registrations", "people have registered for this event; it cannot be deleted"
        )
    db.delete(event)
    db.commit()


# ---------------------------------------------------------------- tracks


def get_track(db: DbSession, event: Event, track_id: int) -> Track:
    return row_of_event(db, Track, track_id, event, "track")


def save_track(db: DbSession, event: Event, data: TrackIn, track: Track | None = None) -> Track:
    """Create a track, or change `track`; names are unique within the event (a UNIQUE constraint)."""
    if track is None:
        track = Track(event_id=event.id)
        db.add(track)
    track.name, track.description, track.colour, track.position = (
        data.name,
        data.description,
        data.colour.lower(),
        data.position,
    )
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise invalid("name", "this event already has a track of that name", "track_exists", 409) from None
    return track


def delete_track(db: DbSession, track: Track) -> None:
    """Remove a track; its sessions stay, without a track."""
    db.execute(
        cast(Table, ProgrammeSession.__table__)  # a declarative __table__ is a Table, typed FromClause
        .update()
        .where(ProgrammeSession.track_id == track.id)
        .values(track_id=None)
    )
    db.delete(track)
    db.commit()


# ---------------------------------------------------------------- sessions


def _check_session(
    db: DbSession,
    event: Event,
    data: SessionIn,
    starts: datetime,
    ends: datetime,
    session: ProgrammeSession | None,
) -> None:
    if ends <= starts:  # also when JSON gave one local time and one instant
        raise invalid("ends_at", "the session must end after it starts")
    if starts < event.starts_at or ends > event.ends_at:
        zone = event.tz
        raise invalid(
            "starts_at" if starts < event.starts_at or starts >= event.ends_at else "ends_at",
            f"the session must be within the event: {local_input(event.starts_at, zone).replace('T', ' ')}"
            f" – {local_input(event.ends_at, zone).replace('T', ' ')} ({event.timezone})",
            "outside_event",
        )
    if data.track_id is not None:
        track = db.get(Track, data.track_id)
        if track is None or track.event_id != event.id:
            raise invalid("track_id", "this track is not one of this event's", "track_not_in_event")
    if data.parent_id is not None:
        parent = db.get(ProgrammeSession, data.parent_id)
        if parent is None or parent.event_id != event.id:
            raise invalid("parent_id", "the parent session must belong to this event", "parent_not_in_event")
        if parent.parent_id is not None:
            raise invalid(
                "parent_id", "a breakout cannot be the parent of another breakout", "parent_is_breakout"
            )
        has_breakouts = session is not None and db.scalar(
            select(exists().where(ProgrammeSession.parent_id == session.id))
        )
        if session is not None and (parent.id == session.id or has_breakouts):
            raise invalid(
                "parent_id",
                "this session has breakouts of its own, so it cannot be a breakout",
                "parent_is_breakout",
            )
    if data.room:
        clash = db.scalar(
            select(ProgrammeSession)
            .where(
                ProgrammeSession.event_id == event.id,
                func.lower(ProgrammeSession.room) == data.room.lower(),
                ProgrammeSession.starts_at < ends,
                ProgrammeSession.ends_at > starts,
                ProgrammeSession.id != (session.id if session is not None else 0),
            )
            .limit(1)
        )
        if clash is not None:
            zone = event.tz
            when = f"{local_input(clash.starts_at, zone)[11:]}–{local_input(clash.ends_at, zone)[11:]}"
            raise invalid(
                "room",
                f"{data.room} is taken then by {clash.title!r} ({when})",
                "room_taken",
                409,
                room=data.room,
                taken_by=clash.title,
                when=when,
            )


def save_session(
    db: DbSession, event: Event, data: SessionIn, session: ProgrammeSession | None = None
) -> ProgrammeSession:
    """Create a session, or change `session`; a change of times, room, capacity or stream is announced
    (`hooks.session_changed`) once committed, so the doors and the live pages follow."""
    zone = event.tz
    starts, ends = to_utc(data.starts_at, zone), to_utc(data.ends_at, zone)
    _check_session(db, event, data, starts, ends, session)
    before = {f: getattr(session, f) for f in WATCHED_SESSION_FIELDS} if session is not None else None
    if session is None:
        session = ProgrammeSession(event_id=event.id)
        db.add(session)
    session.title, session.description, session.kind = data.title, data.description, data.kind
    session.track_id, session.parent_id, session.room = data.track_id, data.parent_id, data.room
    session.starts_at, session.ends_at, session.capacity = starts, ends, data.capacity
    session.language, session.stream_url = data.language, data.stream_url
    session.questions_moderated = data.questions_moderated
    session.interactive = data.interactive
    session.translations = data.translations
    db.commit()
    if before is not None:
        changes = {
            f: (before[f], getattr(session, f))
            for f in WATCHED_SESSION_FIELDS
            if before[f] != getattr(session, f)
        }
        if changes:
            hooks.session_changed.send(event.id, session_id=session.id, changes=changes)
    return session


def session_records(db: DbSession, session: ProgrammeSession) -> list[str]:
    """What the live room and the doors recorded for this session: the reasons it must stay."""
    from ..checkin.models import Checkin, CheckinList
    from ..rooms.breakouts.models import BreakoutRoom, BreakoutRound
    from ..rooms.models import ChatMessage, Question, RoomVisit
    from ..rooms.polls.models import Poll, PollBallot

    checks = (
        ("poll votes", select(exists().where(PollBallot.poll_id == Poll.id, Poll.session_id == session.id))),
        ("questions", select(exists().where(Question.session_id == session.id))),
        ("chat messages", select(exists().where(ChatMessage.session_id == session.id))),
        (
            "check-ins",
            select(exists().where(Checkin.list_id == CheckinList.id, CheckinList.session_id == session.id)),
        ),
        ("room visits", select(exists().where(RoomVisit.session_id == session.id))),
        (
            "breakout rounds",
            select(
                exists().where(BreakoutRound.session_id == session.id)
                | exists().where(BreakoutRoom.session_id == session.id)
            ),
        ),
    )
    return [label for label, query in checks if db.scalar(query)]


def delete_session(db: DbSession, session: ProgrammeSession) -> None:
    """Delete a session nothing was recorded in; its attendance, votes and questions are never lost."""
    if db.scalar(select(exists().where(ProgrammeSession.parent_id == session.id))):
        raise Conflict("session_has_breakouts", "delete or move this session's breakouts first")
    records = session_records(db, session)
    if records:
        raise Conflict(
            "session_has_records",
            f"this session cannot be deleted: it already has {', '.join(records)}",
            records=records,
        )
    db.delete(session)
    db.commit()


# ---------------------------------------------------------------- speakers


def get_speaker(db: DbSession, event: Event, speaker_id: int) -> Speaker:
    return row_of_event(db, Speaker, speaker_id, event, "speaker")


def save_speaker(db: DbSession, event: Event, data: SpeakerIn, speaker: Speaker | None = None) -> Speaker:
    """Create a speaker, or change `speaker`, with the sessions they speak in and their account, if any."""
    user = None
    if data.user_email:
        user = find_user_by_email(db, data.user_email)
        if user is None:
            raise invalid("user_email", "there is no account with this e-mail", "unknown_user")
    sessions = list(
        db.scalars(
            select(ProgrammeSession).where(
                ProgrammeSession.id.in_(data.session_ids), ProgrammeSession.event_id == event.id
            )
        )
    )
    if len(sessions) != len(data.session_ids):
        raise invalid("session_ids", "one of these sessions is not in this event", "session_not_in_event")
    if speaker is None:
        speaker = Speaker(event_id=event.id)
        db.add(speaker)
    speaker.name, speaker.title, speaker.organisation = data.name, data.title, data.organisation
    speaker.country, speaker.bio = data.country, data.bio
    speaker.user_id = user.id if user is not None else None
    speaker.sessions = sessions
    db.commit()
    return speaker


def delete_speaker(db: DbSession, speaker: Speaker) -> None:
    db.delete(speaker)
    db.commit()


# ---------------------------------------------------------------- what the forms show


def event_values(event: Event) -> dict:
    """An event as the values of its edit form (local times in its zone)."""
    zone = event.tz
    return {
        "title": event.title,
        "slug": event.slug,
        "description": event.description,
        "venue": event.venue,
        "city": event.city,
        "country": event.country,
        "timezone": event.timezone,
        "starts_at": local_input(event.starts_at, zone),
        "ends_at": local_input(event.ends_at, zone),
        "contact_email": event.contact_email or None,
        "registration_opens_at": local_input(event.registration_opens_at, zone),
        "registration_closes_at": local_input(event.registration_closes_at, zone),
        "modes_offered": event.modes_offered,
        "in_person_capacity": event.in_person_capacity,
        "online_capacity": event.online_capacity,
        "requires_approval": event.requires_approval,
        "languages": event.languages,
        "translations": event.translations,
    }


def session_values(session: ProgrammeSession) -> dict:
    zone = session.event.tz
    return {
        "title": session.title,
        "description": session.description,
        "kind": session.kind,
        "track_id": session.track_id,
        "room": session.room,
        "starts_at": local_input(session.starts_at, zone),
        "ends_at": local_input(session.ends_at, zone),
        "capacity": session.capacity,
        "language": session.language,
        "stream_url": session.stream_url,
        "parent_id": session.parent_id,
        "questions_moderated": session.questions_moderated,
        "interactive": session.interactive,
        "translations": session.translations,
    }


def track_values(track: Track) -> dict:
    return {
        "name": track.name,
        "description": track.description,
        "colour": track.colour,
        "position": track.position,
    }


def speaker_values(speaker: Speaker, db: DbSession) -> dict:
    user = db.get(User, speaker.user_id) if speaker.user_id else None
    email = user.email if user is not None else None
    return {
        "name": speaker.name,
        "title": speaker.title,
        "organisation": speaker.organisation,
        "country": speaker.country,
        "bio": speaker.bio,
        "user_email": email,
        "session_ids": [s.id for s in speaker.sessions],
    }
