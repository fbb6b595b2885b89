"""The rules of changing an event and its programme, at the service level."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from manage_support import event_payload, session_by_title, session_payload
from pydantic import ValidationError
from sqlalchemy import func, select

from conference import hooks
from conference.accounts.models import User
from conference.checkin.models import Checkin, CheckinList
from conference.errors import ServiceError
from conference.grants.models import EventGrant
from conference.programme import editing
from conference.programme.models import Event, ProgrammeSession, Speaker, Track
from conference.programme.schemas import (
    EventCreateIn,
    EventIn,
    SessionIn,
    SpeakerIn,
    TrackIn,
    field_errors,
    normalise_stream_url,
)
from conference.programme.services import get_event, list_events
from conference.registrations.models import Registration
from conference.rooms.models import ChatMessage, Question, RoomVisit
from conference.rooms.polls.models import Poll, PollBallot


def refused(call, code: str, field: str | None = None) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call()
    assert caught.value.code == code, caught.value.to_dict()
    if field:
        assert field in caught.value.details["fields"], caught.value.details
    return caught.value


def invalid(schema, payload) -> dict:
    with pytest.raises(ValidationError) as caught:
        schema.model_validate(payload)
    return field_errors(caught.value)


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------- events


def test_a_new_event_is_a_draft_stored_in_utc_with_its_first_organiser(db, make_user):
    admin, organiser = make_user("admin"), make_user(email="org@example.org")
    event = editing.create_event(
        db, EventCreateIn(**event_payload(organiser_email="ORG@example.org")), created_by=db.merge(admin)
    )
    assert event.published is False
    # 09:00 in Seoul (UTC+9) is midnight UTC.
    assert event.starts_at == datetime(2031, 3, 10, 0, 0, tzinfo=UTC)
    assert event.ends_at == datetime(2031, 3, 11, 9, 0, tzinfo=UTC)
    assert event.languages == "en,ko" and event.in_person_capacity == 200 and event.online_capacity is None
    grant = db.scalar(select(EventGrant).where(EventGrant.event_id == event.id))
    assert (grant.user_id, grant.role, grant.granted_by_id) == (organiser.id, "organiser", admin.id)


def test_an_unknown_organiser_email_creates_nothing(db):
    refused(
        lambda: editing.create_event(
            db, EventCreateIn(**event_payload(organiser_email="nobody@example.org"))
        ),
        "unknown_user",
        "organiser_email",
    )
    assert count(db, Event) == 0


def test_a_duplicate_slug_is_refused(db, make_event):
    make_event("taken")
    refused(
        lambda: editing.create_event(db, EventCreateIn(**event_payload(slug="taken"))), "slug_taken", "slug"
    )
    other = editing.create_event(db, EventCreateIn(**event_payload()))
    refused(
        lambda: editing.update_event(db, other, EventIn(**event_payload(slug="taken"))), "slug_taken", "slug"
    )
    db.rollback()
    assert db.get(Event, other.id).slug == "dg-forum"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"ends_at": "2031-03-10T08:00"}, "ends_at"),
        ({"slug": "Bad Slug!"}, "slug"),
        ({"slug": "new"}, "slug"),
        ({"country": "XX"}, "country"),
        ({"contact_email": "not-an-address"}, "contact_email"),
        ({"languages": "english, français"}, "languages"),
        ({"in_person_capacity": 0}, "in_person_capacity"),
        ({"modes_offered": "telepathy"}, "modes_offered"),
        (
            {"registration_opens_at": "2031-03-01T09:00", "registration_closes_at": "2031-02-01T09:00"},
            "registration_closes_at",
        ),
        ({"starts_at": "0001-01-01T00:00"}, "starts_at"),
        ({"title": "x" * 301}, "title"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_event_settings_are_refused_beside_their_field(change, field):
    assert field in invalid(EventCreateIn, event_payload(**change))


def test_moving_an_event_away_from_its_sessions_is_refused(db, make_event):
    event = make_event("sym")
    values = editing.event_values(event)
    values.update(starts_at="2030-05-07T09:00")  # the opening session is on 6 May
    refused(
        lambda: editing.update_event(db, db.merge(event), EventIn(**values)),
        "sessions_outside_event",
        "starts_at",
    )
    assert get_event(db, "sym").starts_at == event.starts_at


def test_an_event_keeps_its_settings_through_its_form_values(db, make_event):
    event = db.merge(make_event("sym"))
    values = editing.event_values(event)
    values.update(title="Renamed", requires_approval=True, online_capacity=50)
    editing.update_event(db, event, EventIn(**values))
    again = get_event(db, "sym")
    assert (again.title, again.requires_approval, again.online_capacity) == ("Renamed", True, 50)
    assert again.starts_at == event.starts_at and again.timezone == "Asia/Seoul"


def test_raising_the_in_person_capacity_promotes_the_waiting_list_in_order(db, make_event, make_user):
    from conference.registrations.services import register

    event = db.merge(make_event("sym"))
    values = editing.event_values(event)
    values.update(in_person_capacity=1)
    editing.update_event(db, event, EventIn(**values))
    people = [db.merge(make_user(name=f"Person {n}")) for n in range(4)]
    statuses = [register(db, person, db.get(Event, event.id), "in_person").status for person in people]
    assert statuses == ["confirmed", "waitlisted", "waitlisted", "waitlisted"]
    values.update(in_person_capacity=3)
    editing.update_event(db, db.get(Event, event.id), EventIn(**values))
    after = [db.scalar(select(Registration.status).where(Registration.user_id == p.id)) for p in people]
    assert after == ["confirmed", "confirmed", "confirmed", "waitlisted"]  # first come, first served
    values.update(in_person_capacity=None)
    editing.update_event(db, db.get(Event, event.id), EventIn(**values))
    assert db.scalar(select(Registration.status).where(Registration.user_id == people[3].id)) == "confirmed"


def test_only_a_draft_without_registrations_can_be_deleted(db, make_event, make_user, make_registration):
    published = make_event("live")
    refused(lambda: editing.delete_event(db, db.merge(published)), "event_published")
    with_people = make_event("busy")
    make_registration(make_user(), with_people)
    busy = db.merge(with_people)
    busy.published = False
    db.commit()
    refused(lambda: editing.delete_event(db, busy), "event_has_registrations")
    draft = db.merge(make_event("draft"))
    draft.published = False
    db.commit()
    editing.delete_event(db, draft)
    assert {e.slug for e in db.scalars(select(Event))} == {"live", "busy"}
    assert count(db, Registration) == 1


def test_drafts_are_seen_only_by_their_organisers_and_admins(db, make_event, make_user):
    from conference.grants.services import grant

    make_event("public")
    draft = db.merge(make_event("secret"))
    draft.published = False
    db.commit()
    organiser, stranger, admin = db.merge(make_user()), db.merge(make_user()), db.merge(make_user("admin"))
    grant(db, draft, organiser, "organiser")
    assert [e.slug for e in list_events(db, None)] == ["public"]
    assert [e.slug for e in list_events(db, stranger)] == ["public"]
    assert {e.slug for e in list_events(db, organiser)} == {"public", "secret"}
    assert {e.slug for e in list_events(db, admin)} == {"public", "secret"}
    refused(lambda: get_event(db, "secret", viewer=None), "event_not_found")
    refused(lambda: get_event(db, "secret", viewer=stranger), "event_not_found")
    assert get_event(db, "secret", viewer=organiser).id == draft.id
    assert get_event(db, "secret").id == draft.id  # the code's own lookups still find it


# ---------------------------------------------------------------- sessions


def test_a_session_is_stored_in_utc_from_the_events_local_time(db, make_event):
    event = db.merge(make_event("sym"))
    session = editing.save_session(
        db, event, SessionIn(**session_payload(starts_at="2030-05-07T09:00", ends_at="2030-05-07T10:30"))
    )
    assert session.starts_at == datetime(2030, 5, 7, 0, 0, tzinfo=UTC)
    assert session.ends_at == datetime(2030, 5, 7, 1, 30, tzinfo=UTC)


def test_a_session_ending_before_it_starts_is_refused():
    assert "ends_at" in invalid(SessionIn, session_payload(ends_at="2030-05-07T13:00"))
    assert "ends_at" in invalid(SessionIn, session_payload(ends_at="2030-05-07T14:00"))


@pytest.mark.parametrize(
    ("starts", "ends", "field"),
    [
        ("2030-05-06T07:00", "2030-05-06T08:00", "starts_at"),  # before the event's 08:30 opening
        ("2030-05-08T17:30", "2030-05-08T18:30", "ends_at"),  # past its 18:00 close
        ("2030-06-01T09:00", "2030-06-01T10:00", "starts_at"),
    ],
)
def test_a_session_outside_the_event_is_refused(db, make_event, starts, ends, field):
    event = db.merge(make_event("sym"))
    before = count(db, ProgrammeSession)
    refused(
        lambda: editing.save_session(db, event, SessionIn(**session_payload(starts_at=starts, ends_at=ends))),
        "outside_event",
        field,
    )
    assert count(db, ProgrammeSession) == before


def test_two_sessions_in_one_room_may_not_overlap(db, make_event):
    event = db.merge(make_event("sym"))  # "Opening session" is in Hall A, 09:00–09:45 on 6 May
    error = refused(
        lambda: editing.save_session(
            db,
            event,
            SessionIn(
                **session_payload(room="hall a", starts_at="2030-05-06T09:30", ends_at="2030-05-06T10:00")
            ),
        ),
        "room_taken",
        "room",
    )
    assert "Opening session" in error.message and "09:00–09:45" in error.message
    # Back to back is fine, and so is another room at the same time.
    editing.save_session(
        db,
        event,
        SessionIn(**session_payload(room="Hall A", starts_at="2030-05-06T09:45", ends_at="2030-05-06T10:30")),
    )
    editing.save_session(
        db,
        event,
        SessionIn(
            **session_payload(
                title="Side", room="Hall B", starts_at="2030-05-06T09:00", ends_at="2030-05-06T09:45"
            )
        ),
    )


def test_moving_a_session_onto_another_in_its_room_is_refused_and_changes_nothing(db, make_event):
    event = db.merge(make_event("sym"))
    ethics = session_by_title(db, event.id, "AI Ethics")
    values = editing.session_values(ethics)
    values.update(room="Hall A", starts_at="2030-05-06T09:15", ends_at="2030-05-06T10:00")
    refused(lambda: editing.save_session(db, event, SessionIn(**values), ethics), "room_taken", "room")
    db.rollback()
    again = db.get(ProgrammeSession, ethics.id)
    assert again.room == "Room 1" and again.starts_at == datetime(2030, 5, 6, 2, 0, tzinfo=UTC)


def test_a_session_keeps_its_own_room_when_it_moves_a_little(db, make_event):
    event = db.merge(make_event("sym"))
    opening = session_by_title(db, event.id, "Opening session")
    values = editing.session_values(opening)
    values.update(ends_at="2030-05-06T10:00")
    assert editing.save_session(db, event, SessionIn(**values), opening).ends_at.hour == 1


def test_a_track_or_parent_of_another_event_is_refused(db, make_event):
    event, other = db.merge(make_event("sym")), db.merge(make_event("other"))
    foreign_track = other.tracks[0]
    refused(
        lambda: editing.save_session(db, event, SessionIn(**session_payload(track_id=foreign_track.id))),
        "track_not_in_event",
        "track_id",
    )
    foreign_parent = session_by_title(db, other.id, "Regional breakouts")
    refused(
        lambda: editing.save_session(db, event, SessionIn(**session_payload(parent_id=foreign_parent.id))),
        "parent_not_in_event",
        "parent_id",
    )
    refused(
        lambda: editing.save_session(db, event, SessionIn(**session_payload(parent_id=2**31 - 1))),
        "parent_not_in_event",
        "parent_id",
    )


def test_a_breakout_cannot_be_a_parent_nor_a_parent_a_breakout(db, make_event):
    event = db.merge(make_event("sym"))
    workshop = session_by_title(db, event.id, "Regional breakouts")
    room = editing.save_session(
        db,
        event,
        SessionIn(
            **session_payload(
                title="Asia-Pacific room",
                kind="breakout",
                parent_id=workshop.id,
                starts_at="2030-05-07T09:00",
                ends_at="2030-05-07T11:00",
            )
        ),
    )
    assert room.parent_id == workshop.id
    refused(
        lambda: editing.save_session(db, event, SessionIn(**session_payload(parent_id=room.id))),
        "parent_is_breakout",
        "parent_id",
    )
    opening = session_by_title(db, event.id, "Opening session")
    values = editing.session_values(workshop)
    values["parent_id"] = opening.id
    refused(
        lambda: editing.save_session(db, event, SessionIn(**values), workshop),
        "parent_is_breakout",
        "parent_id",
    )


def test_changing_times_room_capacity_or_stream_is_announced_after_commit(db, make_event):
    event = db.merge(make_event("sym"))
    ethics = session_by_title(db, event.id, "AI Ethics")
    heard = []

    def listener(sender, **kwargs):
        # The change is committed when the signal arrives: another session sees it.
        from conference.extensions import db as shared

        with shared.engine.connect() as connection:
            kwargs["stored_room"] = connection.scalar(
                select(ProgrammeSession.room).where(ProgrammeSession.id == kwargs["session_id"])
            )
        heard.append((sender, kwargs))

    hooks.session_changed.connect(listener)
    try:
        values = editing.session_values(ethics)
        values.update(title="AI Ethics, revised")
        editing.save_session(db, event, SessionIn(**values), ethics)
        assert heard == []  # a title is not a move
        values.update(
            room="Room 2",
            capacity=40,
            ends_at="2030-05-06T12:30",
            stream_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        )
        editing.save_session(db, event, SessionIn(**values), ethics)
    finally:
        hooks.session_changed.disconnect(listener)
    assert len(heard) == 1
    sender, kwargs = heard[0]
    assert sender == event.id and kwargs["session_id"] == ethics.id and kwargs["stored_room"] == "Room 2"
    assert kwargs["changes"] == {
        "room": ("Room 1", "Room 2"),
        "capacity": (2, 40),
        "ends_at": (datetime(2030, 5, 6, 3, 0, tzinfo=UTC), datetime(2030, 5, 6, 3, 30, tzinfo=UTC)),
        "stream_url": (None, "https://www.youtube.com/embed/dQw4w9WgXcQ"),
    }


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube.com/embed/dQw4w9WgXcQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://cdn.example.org/live/stream.m3u8", "https://cdn.example.org/live/stream.m3u8"),
        ("https://meet.example.org/embed/room-1", "https://meet.example.org/embed/room-1"),
    ],
)
def test_stream_addresses_are_https_and_watch_links_become_embeds(given, stored):
    assert normalise_stream_url(given) == stored


@pytest.mark.parametrize(
    "bad",
    [
        "http://example.org/live",
        "javascript:alert(1)",
        "ftp://example.org/a.m3u8",
        "https://",
        "//example.org/x",
        "data:text/html,hi",
    ],
)
def test_other_stream_addresses_are_refused(bad):
    assert "stream_url" in invalid(SessionIn, session_payload(stream_url=bad))


def _record(db, session, kind: str, user_id: int) -> None:
    if kind == "questions":
        db.add(Question(session_id=session.id, user_id=user_id, text="Why?"))
    elif kind == "chat messages":
        db.add(ChatMessage(session_id=session.id, user_id=user_id, text="hello"))
    elif kind == "room visits":
        db.add(RoomVisit(session_id=session.id, user_id=user_id, sid="abc"))
    elif kind == "poll votes":
        poll = Poll(session_id=session.id, title="Useful?", kind="single", status="closed")
        db.add(poll)
        db.flush()
        db.add(PollBallot(poll_id=poll.id, user_id=user_id))
    elif kind == "breakout rounds":
        from conference.rooms.breakouts.models import BreakoutRound

        db.add(BreakoutRound(session_id=session.id))
    elif kind == "check-ins":
        from conference.registrations.services import register

        door = CheckinList(event_id=session.event_id, name="Door", scope="session", session_id=session.id)
        db.add(door)
        db.flush()
        registration = register(db, db.get(User, user_id), session.event, "in_person")
        db.add(Checkin(registration_id=registration.id, list_id=door.id, checked_in_at=datetime.now(UTC)))
    db.commit()


@pytest.mark.parametrize(
    "kind", ["questions", "chat messages", "room visits", "poll votes", "check-ins", "breakout rounds"]
)
def test_a_session_with_records_cannot_be_deleted(db, make_event, make_user, kind):
    event = db.merge(make_event("sym"))
    ethics = session_by_title(db, event.id, "AI Ethics")
    _record(db, ethics, kind, make_user().id)
    error = refused(lambda: editing.delete_session(db, ethics), "session_has_records")
    assert kind in error.message
    db.rollback()
    assert db.get(ProgrammeSession, ethics.id) is not None


def test_a_session_without_records_is_deleted_and_a_parent_waits_for_its_breakouts(db, make_event):
    event = db.merge(make_event("sym"))
    workshop = session_by_title(db, event.id, "Regional breakouts")
    room = editing.save_session(
        db,
        event,
        SessionIn(
            **session_payload(
                kind="breakout",
                parent_id=workshop.id,
                starts_at="2030-05-07T09:00",
                ends_at="2030-05-07T11:00",
            )
        ),
    )
    refused(lambda: editing.delete_session(db, workshop), "session_has_breakouts")
    editing.delete_session(db, room)
    editing.delete_session(db, workshop)
    assert {
        s.title for s in db.scalars(select(ProgrammeSession).where(ProgrammeSession.event_id == event.id))
    } == {"Opening session", "AI Ethics"}


# ---------------------------------------------------------------- tracks and speakers


def test_tracks_are_unique_by_name_and_deleting_one_keeps_its_sessions(db, make_event):
    event = db.merge(make_event("sym"))
    editing.save_track(db, event, TrackIn(name="Data", colour="#AA3300", position=2))
    refused(lambda: editing.save_track(db, event, TrackIn(name="Data")), "track_exists", "name")
    assert "colour" in invalid(TrackIn, {"name": "X", "colour": "red"})
    plenary = db.scalar(select(Track).where(Track.event_id == event.id, Track.name == "Plenary"))
    editing.delete_track(db, plenary)
    assert session_by_title(db, event.id, "Opening session").track_id is None
    assert [t.colour for t in db.scalars(select(Track).where(Track.event_id == event.id))] == ["#aa3300"]


def test_a_speaker_links_an_account_and_this_events_sessions_only(db, make_event, make_user):
    event, other = db.merge(make_event("sym")), db.merge(make_event("other"))
    account = make_user(email="minister@example.org")
    opening = session_by_title(db, event.id, "Opening session")
    speaker = editing.save_speaker(
        db,
        event,
        SpeakerIn(
            name="Hon. Minister",
            country="nz",
            bio="Leads the reform.",
            user_email="Minister@Example.org",
            session_ids=[opening.id],
        ),
    )
    assert (speaker.user_id, speaker.country, [s.title for s in speaker.sessions]) == (
        account.id,
        "NZ",
        ["Opening session"],
    )
    refused(
        lambda: editing.save_speaker(db, event, SpeakerIn(name="X", user_email="ghost@example.org")),
        "unknown_user",
        "user_email",
    )
    foreign = session_by_title(db, other.id, "Opening session")
    refused(
        lambda: editing.save_speaker(db, event, SpeakerIn(name="X", session_ids=[foreign.id])),
        "session_not_in_event",
        "session_ids",
    )
    assert count(db, Speaker) == 3  # the two events' own, and the minister
    editing.delete_speaker(db, speaker)
    assert db.get(ProgrammeSession, opening.id).speakers[0].name == "Dr. Test Speaker"
