"""One-to-one meetings during the event: ask, accept, propose another time, decline, cancel.

An accepted meeting holds its two people's time as `MeetingSlot` rows, one per five minutes, under
`UNIQUE(user_id, starts_at)`: when two meetings that would overlap for one person are accepted at
the same instant, one insert fails and that accept is refused with `slot_taken` — on SQLite and
PostgreSQL alike, with no lock to forget. Every answer is a conditional UPDATE on the meeting's
`revision` (what the person saw), so an accept that crosses a new proposal is refused, not applied
to the wrong time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..db_session import DbSession, execute_dml
from ..db_types import utcnow
from ..errors import Conflict, Forbidden, NotFound, ServiceError
from ..programme.models import Event
from ..registrations.models import Registration, Status
from ..wire import isoformat_utc
from .models import SLOT_MINUTES, Meeting, MeetingOptIn, MeetingSlot, Practice
from .schemas import MeetingAnswer, MeetingIn, MeetingProposal, MeetingTime
from .services import is_registered


def _to_utc(moment: datetime, event: Event) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=event.tz)
    return moment.astimezone(UTC)


def _times(event: Event, data: MeetingTime) -> tuple[datetime, datetime]:
    starts = _to_utc(data.starts_at, event)
    ends = starts + timedelta(minutes=data.duration_minutes)
    if starts < event.starts_at or ends > event.ends_at:
        raise ServiceError(
            "outside_event",
            "meetings take place during the event, between its start and end",
            field="starts_at",
        )
    if starts < utcnow():
        raise ServiceError("in_the_past", "choose a time that has not passed yet", field="starts_at")
    return starts, ends


def slot_starts(starts_at: datetime, ends_at: datetime) -> list[datetime]:
    step = timedelta(minutes=SLOT_MINUTES)
    slots, moment = [], starts_at
    while moment < ends_at:
        slots.append(moment)
        moment += step
    return slots


def open_to_meetings(db: DbSession, event: Event, user_id: int) -> bool:
    """Owners of a published practice of the event, and people who said anyone may ask them."""
    owner = db.scalar(
        select(
            exists().where(
                Practice.event_id == event.id, Practice.owner_id == user_id, Practice.status == "published"
            )
        )
    )
    return bool(owner) or bool(
        db.scalar(select(exists().where(MeetingOptIn.event_id == event.id, MeetingOptIn.user_id == user_id)))
    )


def set_open_to_meetings(db: DbSession, event: Event, user: User, open_: bool) -> bool:
    if not is_registered(db, user, event):
        raise Forbidden("not_registered", "register for the event to take meetings")
    row = db.scalar(
        select(MeetingOptIn).where(MeetingOptIn.event_id == event.id, MeetingOptIn.user_id == user.id)
    )
    if open_ and row is None:
        try:
            with db.begin_nested():
                db.add(MeetingOptIn(event_id=event.id, user_id=user.id))
        except IntegrityError:  # the same person from two tabs at once
            pass
    elif not open_ and row is not None:
        db.delete(row)
    db.commit()
    return open_


def people_open_to_meetings(db: DbSession, event: Event, besides: int | None = None) -> list[User]:
    """Registered people who may be asked for a meeting, by name."""
    owners = select(Practice.owner_id).where(Practice.event_id == event.id, Practice.status == "published")
    opted = select(MeetingOptIn.user_id).where(MeetingOptIn.event_id == event.id)
    registered = select(Registration.user_id).where(
        Registration.event_id == event.id, Registration.status == Status.CONFIRMED.value
    )
    query = (
        select(User)
        .where(or_(User.id.in_(owners), User.id.in_(opted)), User.id.in_(registered))
        .order_by(User.name, User.id)
    )
    if besides is not None:
        query = query.where(User.id != besides)
    return list(db.scalars(query))


def _busy(db: DbSession, user_ids: tuple[int, ...], starts: datetime, ends: datetime) -> bool:
    return bool(
        db.scalar(
            select(
                exists().where(
                    MeetingSlot.user_id.in_(user_ids),
                    MeetingSlot.starts_at >= starts,
                    MeetingSlot.starts_at < ends,
                )
            )
        )
    )


SUBJECTS = {
    "requested": _l("%(by)s asks you for a meeting · %(title)s"),
    "proposed": _l("%(by)s proposes another time for your meeting · %(title)s"),
    "accepted": _l("%(by)s accepted your meeting · %(title)s"),
    "declined": _l("%(by)s declined your meeting · %(title)s"),
    "cancelled": _l("%(by)s cancelled your meeting · %(title)s"),
}


def _tell(db: DbSession, meeting: Meeting, by: User, what: str) -> None:
    """An e-mail to the other person, queued in the caller's transaction (sent only if it commits)."""
    from ..i18n.content import localized
    from ..i18n.formatting import local_time
    from ..mail.services import absolute_url, enqueue_template, written_in

    event = db.get_one(Event, meeting.event_id)  # the meeting's foreign key
    to = meeting.other(by.id)
    tz = event.tz
    with written_in(to, event) as language:  # the recipient's language, not the sender's
        # the event and the practice by their organisers' translations into it, else the originals
        title = localized(event, "title", language)
        enqueue_template(
            db,
            to=to.email,
            subject=str(SUBJECTS[what]) % {"by": by.name, "title": title},
            template="meeting",
            kind=f"meeting_{what}",
            recipient=to,
            by=by,
            what=what,
            meeting=meeting,
            event=event,
            title=title,
            practice_title=localized(meeting.practice, "title", language) if meeting.practice else "",
            when=_(
                "%(day)s, %(start)s–%(end)s",
                day=local_time(meeting.starts_at, tz, "%A %-d %B"),
                start=local_time(meeting.starts_at, tz),
                end=local_time(meeting.ends_at, tz),
            ),
            url=absolute_url("matchmaking.meetings_page", slug=event.slug),
        )


def request_meeting(db: DbSession, event: Event, user: User, data: MeetingIn) -> Meeting:
    """Ask a practice's owner, or someone open to meetings, for a short meeting."""
    if not is_registered(db, user, event):
        raise Forbidden("not_registered", "register for the event to ask for a meeting")
    if data.recipient_id == user.id:
        raise ServiceError("own_meeting", "you cannot ask yourself for a meeting", field="recipient_id")
    recipient = db.get(User, data.recipient_id)
    if recipient is None or not is_registered(db, recipient, event):
        raise NotFound(
            "person_not_found", "this person does not take part in the event", field="recipient_id"
        )
    practice_id = None
    if data.practice_id is not None:
        practice = db.get(Practice, data.practice_id)
        if practice is None or practice.event_id != event.id or practice.status != "published":
            raise NotFound("practice_not_found", "no such practice in this event", field="practice_id")
        practice_id = practice.id
    if not open_to_meetings(db, event, recipient.id):
        raise Forbidden("not_open_to_meetings", "this person does not take meeting requests")
    starts, ends = _times(event, data)
    if _busy(db, (user.id, recipient.id), starts, ends):
        raise Conflict("slot_taken", "one of you already has a meeting at that time", field="starts_at")
    meeting = Meeting(
        event_id=event.id,
        requester_id=user.id,
        recipient_id=recipient.id,
        awaiting_id=recipient.id,
        practice_id=practice_id,
        starts_at=starts,
        ends_at=ends,
        mode=data.mode,
        place=data.place if data.mode == "in_person" else "",
        link=data.link if data.mode == "online" else "",
        note=data.note,
        status="pending",
        revision=1,
    )
    db.add(meeting)
    db.flush()
    _tell(db, meeting, user, "requested")
    db.commit()
    return meeting


def get_meeting(db: DbSession, event: Event, meeting_id: int, user: User) -> Meeting:
    """One of the person's own meetings (anyone else's is "not found")."""
    meeting = db.get(Meeting, meeting_id)
    if (
        meeting is None
        or meeting.event_id != event.id
        or user.id not in (meeting.requester_id, meeting.recipient_id)
    ):
        raise NotFound("meeting_not_found", f"no meeting {meeting_id} of yours in {event.slug}")
    return meeting


def _your_turn(meeting: Meeting, user: User, revision: int) -> None:
    if meeting.status != "pending":
        raise Conflict("meeting_not_pending", f"this meeting is {meeting.status} already")
    if meeting.awaiting_id != user.id:
        raise Conflict("not_your_turn", "the other person has to answer first")
    if meeting.revision != revision:
        raise Conflict("meeting_changed", "this meeting changed since you saw it; look again")


def _claim(db: DbSession, meeting: Meeting, revision: int, values: dict) -> None:
    """The conditional UPDATE every answer goes through: only from the revision the person saw."""
    changed = execute_dml(
        db,
        update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.status == "pending", Meeting.revision == revision)
        .values(revision=revision + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False),
    ).rowcount
    if not changed:
        db.rollback()
        raise Conflict("meeting_changed", "this meeting changed a moment ago; look again")


def accept(db: DbSession, meeting: Meeting, user: User, data: MeetingAnswer) -> Meeting:
    """The person whose turn it is accepts: both people's time is held, or `slot_taken`."""
    _your_turn(meeting, user, data.revision)
    _claim(db, meeting, data.revision, {"status": "accepted", "awaiting_id": None})
    # Always in (person, time) order: two accepts that wait on each other's rows on PostgreSQL then
    # wait in the same order, so one of them fails on the unique index instead of a deadlock.
    for person in sorted((meeting.requester_id, meeting.recipient_id)):
        for start in slot_starts(meeting.starts_at, meeting.ends_at):
            db.add(MeetingSlot(meeting_id=meeting.id, user_id=person, starts_at=start))
    try:
        db.flush()
        db.refresh(meeting)
        _tell(db, meeting, user, "accepted")
        db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict(
            "slot_taken", "one of you has accepted another meeting at that time; propose another time"
        ) from None
    db.refresh(meeting)
    return meeting


def propose(db: DbSession, meeting: Meeting, user: User, data: MeetingProposal) -> Meeting:
    """Another time (and place or link): the turn passes to the other person."""
    _your_turn(meeting, user, data.revision)
    starts, ends = _times(meeting.event, data)
    if _busy(db, (meeting.requester_id, meeting.recipient_id), starts, ends):
        raise Conflict("slot_taken", "one of you already has a meeting at that time", field="starts_at")
    values = {
        "starts_at": starts,
        "ends_at": ends,
        "awaiting_id": meeting.requester_id if user.id == meeting.recipient_id else meeting.recipient_id,
    }
    if meeting.mode == "in_person" and data.place:
        values["place"] = data.place
    if meeting.mode == "online" and data.link:
        values["link"] = data.link
    _claim(db, meeting, data.revision, values)
    db.refresh(meeting)
    _tell(db, meeting, user, "proposed")
    db.commit()
    return meeting


def decline(db: DbSession, meeting: Meeting, user: User, data: MeetingAnswer) -> Meeting:
    _your_turn(meeting, user, data.revision)
    _claim(db, meeting, data.revision, {"status": "declined", "awaiting_id": None})
    db.refresh(meeting)
    _tell(db, meeting, user, "declined")
    db.commit()
    return meeting


def cancel(db: DbSession, meeting: Meeting, user: User) -> Meeting:
    """Either person calls a pending or accepted meeting off; its time is free again."""
    if meeting.status not in ("pending", "accepted"):
        raise Conflict("meeting_not_open", f"this meeting is {meeting.status} already")
    changed = execute_dml(
        db,
        update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.status.in_(("pending", "accepted")))
        .values(status="cancelled", awaiting_id=None, revision=Meeting.revision + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False),
    ).rowcount
    if not changed:
        db.rollback()
        raise Conflict("meeting_not_open", "this meeting was closed a moment ago")
    db.execute(delete(MeetingSlot).where(MeetingSlot.meeting_id == meeting.id))
    db.refresh(meeting)
    _tell(db, meeting, user, "cancelled")
    db.commit()
    return meeting


def meetings_of(
    db: DbSession, event: Event, user: User, *, statuses: tuple[str, ...] | None = None
) -> list[Meeting]:
    query = (
        select(Meeting)
        .where(
            Meeting.event_id == event.id,
            or_(Meeting.requester_id == user.id, Meeting.recipient_id == user.id),
        )
        .options(
            selectinload(Meeting.requester), selectinload(Meeting.recipient), selectinload(Meeting.practice)
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    if statuses:
        query = query.where(Meeting.status.in_(statuses))
    return list(db.scalars(query))


def meeting_json(meeting: Meeting, viewer_id: int) -> dict:
    other = meeting.other(viewer_id)
    return {
        "id": meeting.id,
        "status": meeting.status,
        "revision": meeting.revision,
        "your_turn": meeting.status == "pending" and meeting.awaiting_id == viewer_id,
        "asked_by_you": meeting.requester_id == viewer_id,
        "with": {
            "id": other.id,
            "name": other.name,
            "organisation": other.organisation,
            "country": other.country,
        },
        "practice_id": meeting.practice_id,
        "starts_at": isoformat_utc(meeting.starts_at),
        "ends_at": isoformat_utc(meeting.ends_at),
        "mode": meeting.mode,
        "place": meeting.place,
        "link": meeting.link,
        "note": meeting.note,
    }
