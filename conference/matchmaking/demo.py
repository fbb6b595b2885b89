"""The demo symposium's matchmaking: the workshop follows it live, a few practices of the kind the
network's workshops collect, the countries interested in them, and some follow-up under way."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from ..accounts.models import User
from ..db_session import DbSession
from ..programme.models import Event, ProgrammeSession, Track
from ..registrations.models import Registration
from .models import FollowUpNote, Interest, InterestMember, MatchmakingSession, Practice

# (title, thematic area, summary, countries interested, follow-up status of the first possibilities)
PRACTICES = [
    (
        "Rapid Digitization",
        "Public administration",
        "Paper files of land, civil and court records scanned and indexed in three years, with a "
        "citizen portal on top.",
        4,
        ["contacted", "in_progress"],
    ),
    (
        "Nation-wide Telehealth Services",
        "Inclusion",
        "Rural clinics connected to district hospitals for consultations by video and phone.",
        3,
        ["done"],
    ),
    (
        "Common Assessment Framework as a TQM tool",
        "Public administration",
        "Self-assessment of public organisations with the CAF model, and the improvement plans it led to.",
        3,
        ["contacted"],
    ),
    (
        "Community early warning by SMS",
        "Resilience",
        "Flood and cyclone warnings sent in local languages to every phone in the area at risk.",
        2,
        [],
    ),
    (
        "Algorithmic impact assessment for ministries",
        "Ethics",
        "A questionnaire every ministry fills in before an AI system goes live, published online.",
        2,
        ["dropped"],
    ),
]
WANTS_CYCLE = [
    ["study_visit"],
    ["documents", "expert_exchange"],
    ["adaptation"],
    ["study_visit", "documents"],
]


def add_demo_matchmaking(db: DbSession, event: Event) -> None:
    """Idempotent: nothing happens when the event already has practices."""
    if db.scalar(select(Practice.id).where(Practice.event_id == event.id).limit(1)) is not None:
        return
    workshop = db.scalar(
        select(ProgrammeSession).where(
            ProgrammeSession.event_id == event.id, ProgrammeSession.title.startswith("Matchmaking workshop")
        )
    )
    if workshop is not None and db.get(MatchmakingSession, workshop.id) is None:
        db.add(MatchmakingSession(session_id=workshop.id, event_id=event.id))
    tracks = {t.name: t.id for t in db.scalars(select(Track).where(Track.event_id == event.id))}
    people = db.scalars(
        select(User)
        .join(Registration, Registration.user_id == User.id)
        .where(
            Registration.event_id == event.id, Registration.status == "confirmed", User.country.is_not(None)
        )
        .order_by(User.id)
    )
    by_country: dict[str, list[User]] = defaultdict(list)
    for person in people:
        if person.country:
            by_country[person.country].append(person)
    countries = sorted(by_country, key=lambda c: -len(by_country[c]))
    if len(countries) < 8:
        return
    for n, (title, track, summary, interested, statuses) in enumerate(PRACTICES):
        sharing = countries[n]
        owner = by_country[sharing][0]
        practice = Practice(
            event_id=event.id,
            owner_id=owner.id,
            created_by_id=owner.id,
            title=title,
            summary=summary,
            country=sharing,
            organisation=owner.organisation,
            track_id=tracks.get(track),
            session_id=workshop.id if workshop else None,
            links=[],
        )
        db.add(practice)
        db.flush()
        others = [c for c in countries if c != sharing]
        for k in range(interested):
            country = others[(n * 3 + k) % len(others)]
            status = statuses[k] if k < len(statuses) else "proposed"
            interest = Interest(practice_id=practice.id, event_id=event.id, country=country, status=status)
            db.add(interest)
            db.flush()
            member = by_country[country][-1]
            db.add(InterestMember(interest_id=interest.id, user_id=member.id, wants=WANTS_CYCLE[(n + k) % 4]))
            if status != "proposed":
                db.add(
                    FollowUpNote(
                        interest_id=interest.id,
                        author_id=None,  # the secretariat, not one account
                        text="Moved by the secretariat after the workshop.",
                        from_status="proposed",
                        to_status=status,
                    )
                )
    db.commit()
