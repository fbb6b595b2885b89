"""Reading the programme: events, the agenda by day and track, and their JSON shapes."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..db_session import DbSession
from ..errors import NotFound
from ..wire import isoformat_utc
from .models import Event, ProgrammeSession, Speaker

# `get_event(..., viewer=INTERNAL)`: a lookup by the code itself, which sees drafts too.
INTERNAL = object()


def may_see(db: DbSession, viewer, event: Event) -> bool:
    """Published events are public; a draft is seen only by its organisers and platform admins."""
    if event.published:
        return True
    from ..grants.checks import can_manage

    return can_manage(db, viewer, event)


def list_events(db: DbSession, viewer=None) -> list[Event]:
    """The published events, and the drafts `viewer` (a User, or None for anyone) may manage."""
    events = db.scalars(select(Event).order_by(Event.starts_at))
    return [e for e in events if e.published or may_see(db, viewer, e)]


def get_event(db: DbSession, slug: str, *, viewer=INTERNAL) -> Event:
    """The event at `slug`; with a `viewer` (a User or None), a draft they may not see is a 404 too."""
    event = db.scalar(select(Event).where(Event.slug == slug))
    if event is None or (viewer is not INTERNAL and not may_see(db, viewer, event)):
        raise NotFound("event_not_found", f"no event {slug!r}")
    return event


def row_of_event(db: DbSession, model, row_id: int, event: Event, what: str):
    """The `model` row `row_id` if it belongs to `event`; otherwise NotFound("<what>_not_found")."""
    row = db.get(model, row_id)
    if row is None or row.event_id != event.id:
        raise NotFound(f"{what}_not_found", f"no {what} {row_id} in {event.slug}")
    return row


def get_session(db: DbSession, event: Event, session_id: int) -> ProgrammeSession:
    return row_of_event(db, ProgrammeSession, session_id, event, "session")


def event_sessions(db: DbSession, event: Event) -> list[ProgrammeSession]:
    return list(
        db.scalars(
            select(ProgrammeSession)
            .where(ProgrammeSession.event_id == event.id)
            .options(selectinload(ProgrammeSession.speakers), selectinload(ProgrammeSession.track))
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
        )
    )


def local(moment: datetime, event: Event) -> datetime:
    """An instant in the event's own time zone."""
    return moment.astimezone(event.tz)


def agenda_by_day(db: DbSession, event: Event) -> OrderedDict[date, list[ProgrammeSession]]:
    """Sessions grouped by their local day in the event's time zone, in time order."""
    days: OrderedDict[date, list[ProgrammeSession]] = OrderedDict()
    for session in event_sessions(db, event):
        days.setdefault(local(session.starts_at, event).date(), []).append(session)
    return days


def speaker_json(speaker: Speaker) -> dict:
    return {
        "id": speaker.id,
        "name": speaker.name,
        "title": speaker.title,
        "organisation": speaker.organisation,
        "country": speaker.country,
    }


def session_json(session: ProgrammeSession, *, with_stream: bool = True) -> dict:
    """A session as JSON; `with_stream=False` leaves out the stream address (for people who may
    not watch it: see grants.checks.can_watch_streams)."""
    body = {
        "id": session.id,
        "title": session.title,
        "description": session.description,
        "kind": session.kind,
        "track_id": session.track_id,
        "parent_id": session.parent_id,
        "starts_at": isoformat_utc(session.starts_at),
        "ends_at": isoformat_utc(session.ends_at),
        "room": session.room,
        "capacity": session.capacity,
        "language": session.language,
        "stream_url": session.stream_url,
        "speakers": [speaker_json(s) for s in session.speakers],
        "translations": session.translations or {},
    }
    if not with_stream:
        del body["stream_url"]
    return body


def event_summary_json(event: Event) -> dict:
    return {
        "slug": event.slug,
        "title": event.title,
        "venue": event.venue,
        "city": event.city,
        "country": event.country,
        "timezone": event.timezone,
        "starts_at": isoformat_utc(event.starts_at),
        "ends_at": isoformat_utc(event.ends_at),
        "translations": event.translations or {},
    }


def event_detail_json(db: DbSession, event: Event, *, with_streams: bool = True) -> dict:
    body = event_summary_json(event)
    body["description"] = event.description
    body["tracks"] = [
        {"id": t.id, "name": t.name, "description": t.description, "colour": t.colour} for t in event.tracks
    ]
    body["sessions"] = [session_json(s, with_stream=with_streams) for s in event_sessions(db, event)]
    return body
