"""Matchmaking rules at the service level: practices, interest once per country, the table, the
follow-up, and meetings that never overlap for one person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from concurrency_support import run_together
from mail_support import smtp_server  # noqa: F401 - the SMTP server fixture
from sqlalchemy import func, select

from conference.accounts.models import User
from conference.errors import ServiceError
from conference.extensions import db as _db
from conference.matchmaking import meetings, services
from conference.matchmaking.exports import table_csv
from conference.matchmaking.models import (
    FollowUpNote,
    Interest,
    InterestMember,
    Meeting,
    MeetingSlot,
    Practice,
)
from conference.matchmaking.schemas import (
    FollowUpIn,
    InterestIn,
    MeetingAnswer,
    MeetingIn,
    MeetingProposal,
    PracticeIn,
    PracticeUpdate,
)
from conference.payloads import InvalidPayload, parse
from conference.programme.models import Event


def _u(db, user):
    return db.get(User, user.id)


def _e(db, mm):
    return db.get(Event, mm.event.id)


def offer(db, mm, user=None, **fields):
    data = {"title": "Rapid Digitization", "summary": "How we did it", "track_id": mm.track_id, **fields}
    return services.create_practice(db, _e(db, mm), _u(db, user or mm.owner), parse(PracticeIn, data))


def interest(db, practice, user, **fields):
    return services.express_interest(
        db, practice, _u(db, user), parse(InterestIn, {"wants": ["study_visit"], **fields})
    )


def test_a_registered_participant_offers_a_practice_for_their_country(db, mm):
    practice = offer(db, mm, links=[{"title": "Report", "url": "https://example.org/report.pdf"}])
    assert (practice.country, practice.organisation, practice.owner_id) == (
        "KR",
        "Ministry of the Interior",
        mm.owner.id,
    )
    assert practice.links == [{"title": "Report", "url": "https://example.org/report.pdf"}]
    assert practice.track_id == mm.track_id and practice.status == "published"


def test_offering_needs_a_registration_or_an_organiser(db, mm):
    with pytest.raises(ServiceError) as refused:
        offer(db, mm, user=mm.stranger)
    assert refused.value.code == "not_registered"
    practice = offer(db, mm, user=mm.organiser, owner_email=mm.viet.email, country="VN")
    assert practice.owner_id == mm.viet.id and practice.created_by_id == mm.organiser.id


def test_only_organisers_offer_for_someone_else(db, mm):
    with pytest.raises(ServiceError) as refused:
        offer(db, mm, user=mm.owner, owner_email=mm.viet.email)
    assert refused.value.code == "forbidden"
    with pytest.raises(ServiceError) as unknown:
        offer(db, mm, user=mm.organiser, owner_email="nobody@example.org")
    assert unknown.value.code == "owner_not_found"


def test_a_practice_refuses_another_events_track_and_session(db, mm):
    with pytest.raises(ServiceError) as refused:
        offer(db, mm, track_id=mm.other_track_id)
    assert refused.value.code == "track_not_found"


def test_bad_practice_input_is_refused_with_its_fields():
    with pytest.raises(InvalidPayload) as bad:
        parse(
            PracticeIn,
            {
                "title": "x" * 201,
                "summary": "y" * 4001,
                "country": "ZZ",
                "links": [{"url": "javascript:alert(1)"}],
                "extra": 1,
            },
        )
    assert set(bad.value.fields) >= {"title", "summary", "country", "links.0.url", "extra"}
    with pytest.raises(InvalidPayload):
        parse(PracticeIn, {"title": "ok", "links": [{"url": f"https://e.org/{i}"} for i in range(6)]})
    with pytest.raises(InvalidPayload):
        parse(PracticeIn, {"title": "  \t "})
    with pytest.raises(InvalidPayload):
        parse(PracticeIn, {"title": "a\x00b"})


def test_only_the_owner_or_organisers_edit_and_only_organisers_hide(db, mm):
    practice = offer(db, mm)
    with pytest.raises(ServiceError) as refused:
        services.update_practice(db, practice, _u(db, mm.thai), PracticeUpdate(title="Mine now"))
    assert refused.value.code == "forbidden"
    with pytest.raises(ServiceError):
        services.update_practice(db, practice, _u(db, mm.other_organiser), PracticeUpdate(title="Mine now"))
    with pytest.raises(ServiceError) as owner_hides:
        services.update_practice(db, practice, _u(db, mm.owner), PracticeUpdate(status="hidden"))
    assert owner_hides.value.code == "forbidden"
    services.update_practice(db, practice, _u(db, mm.owner), PracticeUpdate(title="Rapid Digitization 2"))
    services.update_practice(db, practice, _u(db, mm.organiser), PracticeUpdate(status="hidden"))
    assert (practice.title, practice.status) == ("Rapid Digitization 2", "hidden")
    with pytest.raises(ServiceError) as hidden:
        services.get_practice(db, _e(db, mm), practice.id, _u(db, mm.thai))
    assert hidden.value.code == "practice_not_found"
    assert services.get_practice(db, _e(db, mm), practice.id, _u(db, mm.owner)) is practice
    assert services.matchmaking_table(db, _e(db, mm)).rows == []


def test_interest_twice_from_one_country_counts_once(db, mm):
    practice = offer(db, mm)
    first = interest(db, practice, mm.thai, note="We want to visit")
    second = interest(db, practice, mm.thai2, wants=["documents"])
    assert first.new_interest and not second.new_interest
    assert first.interest.id == second.interest.id
    assert sorted(m.user_id for m in second.interest.members) == sorted([mm.thai.id, mm.thai2.id])
    assert second.interest.wants == ["study_visit", "documents"]
    again = interest(db, practice, mm.thai, wants=["adaptation"], note="changed")
    assert not again.new_interest and again.member.note == "changed"
    interest(db, practice, mm.viet)
    table = services.matchmaking_table(db, _e(db, mm))
    assert table.possibilities == 2
    assert [i.country for i in table.rows[0].interests] == ["TH", "VN"]
    assert db.scalar(select(func.count()).select_from(InterestMember)) == 3


def test_the_same_country_at_the_same_instant_makes_one_expression(app, mm):
    with app.app_context():
        practice_id = offer(_db.session, mm).id
    people = [mm.thai, mm.thai2]

    def act(n):
        db = _db.session
        practice = db.get(Practice, practice_id)
        interest(db, practice, people[n % 2])

    assert run_together(app, act, 6) == ["ok"] * 6
    with app.app_context():
        db = _db.session
        assert db.scalar(select(func.count()).select_from(Interest)) == 1
        assert db.scalar(select(func.count()).select_from(InterestMember)) == 2


def test_interest_needs_a_registration_and_another_country(db, mm):
    practice = offer(db, mm)
    with pytest.raises(ServiceError) as stranger:
        interest(db, practice, mm.stranger)
    assert stranger.value.code == "not_registered"
    with pytest.raises(ServiceError) as organiser:
        interest(db, practice, mm.organiser)  # organisers need a registration too
    assert organiser.value.code == "not_registered"
    with pytest.raises(ServiceError) as own:
        interest(db, practice, mm.owner)
    assert own.value.code == "own_country"
    with pytest.raises(ServiceError) as impostor:
        interest(db, practice, mm.thai, country="VN")
    assert impostor.value.code == "not_your_country"
    services.update_practice(db, practice, _u(db, mm.organiser), PracticeUpdate(status="hidden"))
    with pytest.raises(ServiceError) as hidden:
        interest(db, practice, mm.thai)
    assert hidden.value.code == "practice_not_found"


def test_someone_without_a_country_names_it(db, mm, make_user, make_registration):
    nomad = make_user(name="No Country", country=None)
    make_registration(nomad, mm.event)
    practice = offer(db, mm)
    with pytest.raises(ServiceError) as missing:
        interest(db, practice, nomad)
    assert missing.value.code == "country_required"
    assert interest(db, practice, nomad, country="fj").interest.country == "FJ"


def test_withdrawing_the_last_person_removes_the_possibility(db, mm):
    practice = offer(db, mm)
    interest(db, practice, mm.thai)
    interest(db, practice, mm.thai2)
    assert services.withdraw_interest(db, practice, _u(db, mm.thai)) is not None
    assert services.withdraw_interest(db, practice, _u(db, mm.thai2)) is None
    assert db.scalar(select(func.count()).select_from(Interest)) == 0
    with pytest.raises(ServiceError) as none:
        services.withdraw_interest(db, practice, _u(db, mm.thai2))
    assert none.value.code == "interest_not_found"


def test_table_filters_by_thematic_area_and_country(db, mm):
    digital = offer(db, mm)
    telehealth = offer(db, mm, user=mm.viet, title="Nation-wide Telehealth Services", track_id=None)
    interest(db, digital, mm.thai)
    interest(db, digital, mm.viet)
    interest(db, telehealth, mm.thai)
    event = _e(db, mm)
    assert services.matchmaking_table(db, event).possibilities == 3
    by_track = services.matchmaking_table(db, event, services.TableFilter(track_id=mm.track_id))
    assert [r.practice.id for r in by_track.rows] == [digital.id]
    by_vietnam = services.matchmaking_table(db, event, services.TableFilter(country="VN"))
    # Viet Nam shares the telehealth practice (all its interests) and is interested in the digital one.
    assert {(r.practice.id, tuple(i.country for i in r.interests)) for r in by_vietnam.rows} == {
        (digital.id, ("VN",)),
        (telehealth.id, ("TH",)),
    }
    with pytest.raises(ServiceError):
        services.TableFilter.from_args({"track": "abc"})
    with pytest.raises(ServiceError):
        services.TableFilter.from_args({"country": "XX"})


def test_follow_up_moves_through_the_statuses_with_dated_notes(db, mm):
    practice = offer(db, mm)
    possibility = interest(db, practice, mm.thai).interest
    organiser, owner = _u(db, mm.organiser), _u(db, mm.owner)
    services.follow_up(
        db, possibility, organiser, FollowUpIn(status="contacted", note="E-mailed the ministry")
    )
    services.follow_up(db, possibility, owner, FollowUpIn(status="in_progress"))
    services.follow_up(db, possibility, owner, FollowUpIn(note="Field visit in March"))
    services.follow_up(db, possibility, organiser, FollowUpIn(status="done"))
    notes = db.scalars(select(FollowUpNote).order_by(FollowUpNote.id)).all()
    assert [(n.from_status, n.to_status, n.text) for n in notes] == [
        ("proposed", "contacted", "E-mailed the ministry"),
        ("contacted", "in_progress", ""),
        (None, None, "Field visit in March"),
        ("in_progress", "done", ""),
    ]
    assert all(n.created_at is not None for n in notes)
    assert services.totals(db, _e(db, mm))["by_status"] == {
        "proposed": 0,
        "contacted": 0,
        "in_progress": 0,
        "done": 1,
        "dropped": 0,
    }


def test_follow_up_refuses_other_people_and_impossible_moves(db, mm):
    practice = offer(db, mm)
    possibility = interest(db, practice, mm.thai).interest
    for outsider in (mm.thai, mm.moderator, mm.other_organiser):
        with pytest.raises(ServiceError) as refused:
            services.follow_up(db, possibility, _u(db, outsider), FollowUpIn(status="contacted"))
        assert refused.value.code == "forbidden"
    with pytest.raises(ServiceError) as jump:
        services.follow_up(db, possibility, _u(db, mm.owner), FollowUpIn(status="done"))
    assert jump.value.code == "invalid_transition"
    with pytest.raises(InvalidPayload):
        parse(FollowUpIn, {})
    with pytest.raises(InvalidPayload):
        parse(FollowUpIn, {"status": "finished"})
    assert db.get(Interest, possibility.id).status == "proposed"


def test_two_people_moving_one_possibility_at_once_one_wins(app, mm):
    with app.app_context():
        db = _db.session
        possibility_id = interest(db, offer(db, mm), mm.thai).interest.id
    movers = [mm.organiser, mm.owner]

    def act(n):
        db = _db.session
        services.follow_up(
            db, db.get(Interest, possibility_id), _u(db, movers[n % 2]), FollowUpIn(status="contacted")
        )

    outcomes = run_together(app, act, 4)
    assert outcomes.count("ok") == 1, outcomes
    with app.app_context():
        notes = _db.session.scalars(select(FollowUpNote)).all()
        assert [(n.from_status, n.to_status) for n in notes] == [("proposed", "contacted")]


def test_csv_export_neutralises_formulas(db, mm):
    practice = offer(db, mm, title='=HYPERLINK("http://evil")', organisation="+1 Ministry")
    interest(db, practice, mm.thai)
    offer(db, mm, user=mm.viet, title="@nobody asked")
    text = table_csv(_e(db, mm), services.matchmaking_table(db, _e(db, mm)))
    lines = text.splitlines()
    assert lines[0].startswith("practice_id,practice,thematic_area,sharing_country")
    assert "'=HYPERLINK" in text and "'+1 Ministry" in text and "'@nobody asked" in text
    assert len(lines) == 3  # one possibility, one practice nobody asked for
    assert ",TH,Thailand,Study visit,1,Proposed," in text


# --- meetings -----------------------------------------------------------------------------------

SEOUL = ZoneInfo("Asia/Seoul")
SEOUL_10AM = datetime(2030, 5, 6, 10, 0, tzinfo=SEOUL)  # the first day of make_event's event


def ask(db, mm, requester, recipient, *, at=SEOUL_10AM, minutes=30, **fields):
    data = {
        "recipient_id": recipient.id,
        "starts_at": at.isoformat(),
        "duration_minutes": minutes,
        "mode": "in_person",
        "place": "Lounge B",
        **fields,
    }
    return meetings.request_meeting(db, _e(db, mm), _u(db, requester), parse(MeetingIn, data))


def answer(db, meeting, user, action, **fields):
    payload = {"revision": meeting.revision, **fields}
    if action == "propose":
        return meetings.propose(db, meeting, _u(db, user), parse(MeetingProposal, payload))
    return getattr(meetings, action)(db, meeting, _u(db, user), parse(MeetingAnswer, payload))


def test_a_meeting_is_asked_accepted_and_holds_both_peoples_time(db, mm):
    offer(db, mm)  # the owner takes requests
    meeting = ask(db, mm, mm.thai, mm.owner)
    assert (meeting.status, meeting.awaiting_id) == ("pending", mm.owner.id)
    assert meeting.starts_at == datetime(2030, 5, 6, 1, 0, tzinfo=UTC)
    with pytest.raises(ServiceError) as not_theirs:
        answer(db, meeting, mm.thai, "accept")
    assert not_theirs.value.code == "not_your_turn"
    answer(db, meeting, mm.owner, "accept")
    assert meeting.status == "accepted"
    slots = db.scalars(select(MeetingSlot)).all()
    assert len(slots) == 12  # 6 five-minute slots each
    agenda = meetings.meetings_of(db, _e(db, mm), _u(db, mm.owner), statuses=("accepted",))
    assert [m.id for m in agenda] == [meeting.id]


def test_only_owners_and_people_who_allow_it_may_be_asked(db, mm):
    with pytest.raises(ServiceError) as closed:
        ask(db, mm, mm.thai, mm.viet)
    assert closed.value.code == "not_open_to_meetings"
    meetings.set_open_to_meetings(db, _e(db, mm), _u(db, mm.viet), True)
    assert ask(db, mm, mm.thai, mm.viet).status == "pending"
    with pytest.raises(ServiceError) as stranger:
        ask(db, mm, mm.stranger, mm.viet)
    assert stranger.value.code == "not_registered"
    with pytest.raises(ServiceError) as unregistered:
        ask(db, mm, mm.thai, mm.stranger)
    assert unregistered.value.code == "person_not_found"
    with pytest.raises(ServiceError) as yourself:
        ask(db, mm, mm.viet, mm.viet)
    assert yourself.value.code == "own_meeting"


def test_meeting_times_and_places_are_checked(db, mm):
    offer(db, mm)
    with pytest.raises(ServiceError) as outside:
        ask(db, mm, mm.thai, mm.owner, at=datetime(2030, 6, 1, 10, 0, tzinfo=SEOUL))
    assert outside.value.code == "outside_event"
    for bad in (
        {"duration_minutes": 90},
        {"duration_minutes": 12},
        {"starts_at": "2030-05-06T10:03"},
        {"mode": "online"},  # without a link
        {"mode": "in_person", "place": ""},
        {"mode": "online", "link": "javascript:alert(1)"},
        {"note": "x" * 501},
        {"mode": "carrier pigeon"},
    ):
        data = {
            "recipient_id": mm.owner.id,
            "starts_at": "2030-05-06T10:00",
            "mode": "in_person",
            "place": "Hall",
            **bad,
        }
        with pytest.raises(InvalidPayload):
            parse(MeetingIn, data)


def test_slots_never_overlap_for_one_person(db, mm):
    offer(db, mm)
    first = ask(db, mm, mm.thai, mm.owner)
    answer(db, first, mm.owner, "accept")
    with pytest.raises(ServiceError) as busy:
        ask(db, mm, mm.viet, mm.owner, at=SEOUL_10AM + timedelta(minutes=15))
    assert busy.value.code == "slot_taken"
    # Back to back is fine.
    after = ask(db, mm, mm.viet, mm.owner, at=SEOUL_10AM + timedelta(minutes=30))
    # Two requests for the same time can both wait; only one can be accepted.
    meetings.set_open_to_meetings(db, _e(db, mm), _u(db, mm.viet), True)
    a = ask(db, mm, mm.thai2, mm.viet, at=SEOUL_10AM + timedelta(hours=2))
    b = ask(db, mm, mm.owner, mm.viet, at=SEOUL_10AM + timedelta(hours=2, minutes=10))
    answer(db, a, mm.viet, "accept")
    with pytest.raises(ServiceError) as taken:
        answer(db, b, mm.viet, "accept")
    assert taken.value.code == "slot_taken"
    assert db.get(Meeting, b.id).status == "pending"
    answer(db, after, mm.owner, "accept")
    meetings.cancel(db, first, _u(db, mm.thai))
    assert (
        db.scalar(select(func.count()).select_from(MeetingSlot).where(MeetingSlot.meeting_id == first.id))
        == 0
    )
    # Cancelled: the time is free again.
    again = ask(db, mm, mm.thai2, mm.owner, at=SEOUL_10AM)
    answer(db, again, mm.owner, "accept")


def test_overlapping_accepts_at_the_same_instant_one_wins(app, mm):
    with app.app_context():
        db = _db.session
        offer(db, mm)
        ids = [
            ask(db, mm, person, mm.owner, at=SEOUL_10AM + timedelta(minutes=5 * n)).id
            for n, person in enumerate((mm.thai, mm.thai2, mm.viet))
        ]

    def act(n):
        db = _db.session
        meeting = db.get(Meeting, ids[n])
        answer(db, meeting, mm.owner, "accept")

    outcomes = run_together(app, act, 3)
    assert outcomes.count("ok") == 1 and outcomes.count("slot_taken") == 2, outcomes
    with app.app_context():
        db = _db.session
        accepted = db.scalars(select(Meeting).where(Meeting.status == "accepted")).all()
        assert len(accepted) == 1
        starts = db.scalars(select(MeetingSlot.starts_at).where(MeetingSlot.user_id == mm.owner.id)).all()
        assert len(starts) == len(set(starts)) == 6


def test_propose_another_time_hands_the_turn_over(db, mm):
    offer(db, mm)
    meeting = ask(db, mm, mm.thai, mm.owner)
    old_revision = meeting.revision
    answer(
        db, meeting, mm.owner, "propose", starts_at="2030-05-06T15:00", duration_minutes=20, place="Booth 4"
    )
    assert (meeting.awaiting_id, meeting.place) == (mm.thai.id, "Booth 4")
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=20)
    with pytest.raises(ServiceError) as stale:
        meetings.accept(db, meeting, _u(db, mm.thai), MeetingAnswer(revision=old_revision))
    assert stale.value.code == "meeting_changed"
    answer(db, meeting, mm.thai, "accept")
    assert meeting.status == "accepted"
    with pytest.raises(ServiceError) as done:
        answer(db, meeting, mm.thai, "decline")
    assert done.value.code == "meeting_not_pending"


def test_declined_meetings_hold_no_time(db, mm):
    offer(db, mm)
    meeting = ask(db, mm, mm.thai, mm.owner)
    answer(db, meeting, mm.owner, "decline")
    assert meeting.status == "declined"
    assert db.scalar(select(func.count()).select_from(MeetingSlot)) == 0
    with pytest.raises(ServiceError) as outsider:
        meetings.get_meeting(db, _e(db, mm), meeting.id, _u(db, mm.viet))
    assert outsider.value.code == "meeting_not_found"


def test_each_step_of_a_meeting_tells_the_other_person_by_mail(db, mm):
    from conference.mail.models import OutboxMessage

    offer(db, mm)
    meeting = ask(db, mm, mm.thai, mm.owner, note="<b>About the portal</b>")
    answer(db, meeting, mm.owner, "propose", starts_at="2030-05-06T15:00", duration_minutes=20)
    answer(db, meeting, mm.thai, "accept")
    meetings.cancel(db, meeting, _u(db, mm.owner))
    sent = db.scalars(
        select(OutboxMessage).where(OutboxMessage.kind.startswith("meeting_")).order_by(OutboxMessage.id)
    ).all()
    assert [(m.kind, m.to_address) for m in sent] == [
        ("meeting_requested", mm.owner.email),
        ("meeting_proposed", mm.thai.email),
        ("meeting_accepted", mm.owner.email),
        ("meeting_cancelled", mm.thai.email),
    ]
    assert sent[0].subject.startswith("Thida Thai asks you for a meeting")
    assert "Monday 6 May, 10:00–10:30" in sent[0].text and "Lounge B" in sent[0].text
    assert "&lt;b&gt;About the portal&lt;/b&gt;" in sent[0].html
    assert "15:00–15:20" in sent[1].text and "/events/symposium/meetings" in sent[1].text


def test_a_refused_accept_sends_no_mail(db, mm):
    from conference.mail.models import OutboxMessage

    offer(db, mm)
    first, second = ask(db, mm, mm.thai, mm.owner), ask(db, mm, mm.viet, mm.owner)
    answer(db, first, mm.owner, "accept")
    with pytest.raises(ServiceError):
        answer(db, second, mm.owner, "accept")
    kinds = db.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.kind.startswith("meeting_")).order_by(OutboxMessage.id)
    ).all()
    assert kinds == ["meeting_requested", "meeting_requested", "meeting_accepted"]


def test_a_meeting_mail_speaks_its_recipients_language_not_the_senders(app, db, mm):
    """The owner reads Arabic (their account's choice); the Thai participant asks from an English page."""
    from flask_babel import force_locale

    from conference.mail.models import OutboxMessage

    offer(db, mm)
    _u(db, mm.owner).language = "ar"
    db.commit()
    with app.test_request_context(headers={"Accept-Language": "en"}), force_locale("en"):
        meeting = ask(db, mm, mm.thai, mm.owner)
        answer(db, meeting, mm.owner, "accept")
    requested, accepted = db.scalars(
        select(OutboxMessage).where(OutboxMessage.kind.startswith("meeting_")).order_by(OutboxMessage.id)
    ).all()
    assert requested.subject == f"Thida Thai يطلب اجتماعًا معك · {_e(db, mm).title}"
    assert (
        "يطلب Thida Thai (Test Org) اجتماعًا معك" in requested.text
        and "الاثنين، 6 مايو، 10:00–10:30" in requested.text
    )
    assert 'lang="ar" dir="rtl"' in requested.html
    assert accepted.subject == f"Kim Owner accepted your meeting · {_e(db, mm).title}"  # to Thida: English


def test_a_meeting_mail_names_the_event_and_the_practice_by_their_translations(app, db, mm, smtp_server):
    """The owner reads French: subject, text and HTML call the event and the practice by the French
    the organisers gave them; the requester, reading English, gets the originals back."""
    from mail_support import deliver, text_of

    practice = offer(db, mm, translations={"title": {"fr": "Numérisation rapide"}})
    _e(db, mm).translations = {"title": {"fr": "Le Colloque"}}
    _u(db, mm.owner).language = "fr"
    db.commit()
    original = _e(db, mm).title
    meeting = ask(db, mm, mm.thai, mm.owner, practice_id=practice.id)
    answer(db, meeting, mm.owner, "accept")
    deliver(app)

    def meeting_mails(user):  # (their registration's confirmation came before)
        return [m for m in smtp_server.mailbox.to(_u(db, user).email) if "· " in m["Subject"]]

    [requested] = meeting_mails(mm.owner)
    assert requested["Subject"] == "Thida Thai vous demande un rendez-vous · Le Colloque"
    text = text_of(requested)
    html = requested.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert "Le Colloque" in body and "au sujet de « Numérisation rapide »" in body
        assert original not in body and "Rapid Digitization" not in body
    [accepted] = meeting_mails(mm.thai)
    assert accepted["Subject"] == f"Kim Owner accepted your meeting · {original}"
