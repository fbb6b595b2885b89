"""The demo event: a three-day regional symposium in Incheon with 450 participants from 70 countries.

Modelled on the 8th Regional Symposium on Effective Governance and AI Transformation for the 2030
Agenda. Loading is idempotent: every record is found by its natural key before it is created, and
participants go through the same bulk import organisers use.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from .accounts.models import User
from .accounts.services import create_user, find_user_by_email
from .db_session import DbSession
from .grants.models import GRANT_ROLES
from .grants.services import grant
from .programme.models import Event, ProgrammeSession, Speaker, Track
from .registrations.models import Registration
from .registrations.services import find_registration, import_participants, register

SLUG = "governance-ai-2030"
TZ = ZoneInfo("Asia/Seoul")
PARTICIPANTS = 450
IN_PERSON_SHARE = 0.31  # roughly 140 in the hall, 310 online

# (e-mail, name, what they do, password): "admin" is the platform role; "organiser", "moderator"
# and "staff" are grants on the demo event; "attendee" is a registered participant.
DEMO_ACCOUNTS = [
    ("admin@symposium.example", "Amina Diallo", "admin", "demo-admin-2030"),
    ("organiser@symposium.example", "Grace Mensah", "organiser", "demo-organiser-2030"),
    ("moderator1@symposium.example", "Ji-woo Park", "moderator", "demo-moderator-2030"),
    ("moderator2@symposium.example", "Layla Haddad", "moderator", "demo-moderator-2030"),
    ("staff1@symposium.example", "Min-jun Kim", "staff", "demo-staff-2030"),
    ("staff2@symposium.example", "Seo-yeon Lee", "staff", "demo-staff-2030"),
    ("staff3@symposium.example", "Dong-hyun Choi", "staff", "demo-staff-2030"),
    ("participant@symposium.example", "Ravi Menon", "attendee", "demo-participant-2030"),
]

TRACKS = [
    ("Plenary", "Opening, scene-setting and closing sessions for all participants", "#1f4e79"),
    ("Public administration", "AI-driven innovation in government", "#2e7d32"),
    ("Inclusion", "Digital inclusion and equitable innovation", "#8e24aa"),
    ("Resilience", "Early warning systems and resilient communities", "#c62828"),
    ("Ethics", "Responsible AI in the public sector", "#ef6c00"),
    ("Partnerships", "Matchmaking and regional cooperation", "#00838f"),
]

SPEAKERS = [
    ("Dr. Hye-jin Yoon", "Vice-Minister", "Ministry of the Interior and Safety", "KR"),
    ("Mr. Tomás Alvarez", "Director, Division for Public Institutions", "UN DESA", "US"),
    ("Ms. Nadia Rahman", "Chief Digital Officer", "a2i Programme", "BD"),
    ("Prof. Kenji Watanabe", "Professor of Public Policy", "University of Tokyo", "JP"),
    (
        "Dr. Fatima Al-Mansouri",
        "Director of Digital Government",
        "Telecommunications and Digital Government Regulatory Authority",
        "AE",
    ),
    ("Mr. Arjun Pillai", "Joint Secretary, e-Governance", "Ministry of Electronics and IT", "IN"),
    ("Ms. Siosaia Tupou", "Director, Disaster Management", "National Emergency Management Office", "TO"),
    ("Dr. Omar Khalil", "Head of AI Policy", "Ministry of Communications and IT", "EG"),
    ("Ms. Maria Santos", "Undersecretary for E-Government", "Department of ICT", "PH"),
    ("Dr. Aigerim Bekova", "Head, Digital Development Centre", "Astana Civil Service Hub", "KZ"),
    ("Mr. Lars Eriksen", "Senior Adviser", "OECD Observatory of Public Sector Innovation", "DK"),
    ("Dr. Rania Aziz", "Regional Adviser", "UN ESCWA", "JO"),
]

# (day, start, end, title, kind, track, room, capacity, language, speakers, moderated-by-default noted by kind)
SESSIONS = [
    (0, "09:00", "09:45", "Opening session", "plenary", "Plenary", "Grand Ballroom", 500, "en", [0, 1]),
    (
        0,
        "10:00",
        "11:15",
        "Artificial Intelligence and the SDGs - Paving the Way for Accelerating Action",
        "keynote",
        "Plenary",
        "Grand Ballroom",
        500,
        "en",
        [1, 3, 10],
    ),
    (
        0,
        "11:30",
        "13:00",
        "Revolutionizing Public Administration: AI-Driven Innovation and Transformation",
        "thematic",
        "Public administration",
        "Room Songdo 1",
        180,
        "en",
        [2, 5, 8],
    ),
    (
        0,
        "14:30",
        "16:00",
        "Digital Inclusion and AI: Fostering Equitable Innovation and Inclusive Governance",
        "thematic",
        "Inclusion",
        "Room Songdo 1",
        180,
        "en",
        [2, 9, 11],
    ),
    (
        1,
        "09:30",
        "11:00",
        "Resilient Communities: AI for Early Warning Systems and Resilience",
        "thematic",
        "Resilience",
        "Room Songdo 1",
        180,
        "en",
        [6, 3],
    ),
    (
        1,
        "11:30",
        "13:00",
        "AI Ethics: Responsible Use of Artificial Intelligence in the Public Sector",
        "thematic",
        "Ethics",
        "Room Songdo 1",
        180,
        "en",
        [10, 7, 4],
    ),
    (
        1,
        "14:30",
        "16:30",
        "Regional breakout sessions",
        "workshop",
        "Partnerships",
        "Breakout wing",
        240,
        "en",
        [],
    ),
    (
        2,
        "09:30",
        "12:00",
        "Matchmaking workshop: partnering for AI in government",
        "workshop",
        "Partnerships",
        "Room Songdo 2",
        60,
        "en",
        [9, 5],
    ),
    (
        2,
        "14:00",
        "15:00",
        "Reports from the regional breakouts",
        "plenary",
        "Plenary",
        "Grand Ballroom",
        500,
        "en",
        [11],
    ),
    (2, "15:30", "16:15", "Closing session", "plenary", "Plenary", "Grand Ballroom", 500, "en", [0, 1]),
]

BREAKOUTS = [
    ("Asia-Pacific — English", "Room Yeonsu A", 60, "en", [2, 8]),
    ("Central and North Asia — English", "Room Yeonsu B", 40, "en", [9]),
    ("Pacific Islands — English", "Room Yeonsu C", 30, "en", [6]),
    ("Western Asia and North Africa — Arabic", "Room Yeonsu D", 60, "ar", [4, 7, 11]),
]

# 70 countries: the region's member states first, then partners from elsewhere.
COUNTRIES = [
    "KR",
    "JP",
    "CN",
    "MN",
    "IN",
    "BD",
    "PK",
    "LK",
    "NP",
    "BT",
    "MV",
    "AF",
    "ID",
    "MY",
    "SG",
    "TH",
    "VN",
    "PH",
    "KH",
    "LA",
    "MM",
    "BN",
    "TL",
    "KZ",
    "KG",
    "TJ",
    "UZ",
    "TM",
    "AZ",
    "AM",
    "GE",
    "TR",
    "IR",
    "FJ",
    "PG",
    "WS",
    "TO",
    "VU",
    "SB",
    "KI",
    "TV",
    "NR",
    "PW",
    "MH",
    "FM",
    "AU",
    "NZ",
    "AE",
    "SA",
    "QA",
    "KW",
    "BH",
    "OM",
    "JO",
    "LB",
    "IQ",
    "YE",
    "EG",
    "MA",
    "TN",
    "DZ",
    "SD",
    "US",
    "GB",
    "FR",
    "DE",
    "DK",
    "KE",
    "NG",
    "ZA",
]

FIRST_NAMES = {
    "east": ["Min-ji", "Hiroshi", "Wei", "Bat-Erdene", "Yuki", "Seung-ho", "Li", "Haruka", "Jun", "Mei"],
    "south": ["Priya", "Ahmed", "Nimal", "Sita", "Karma", "Aishath", "Farhan", "Anjali", "Rahul", "Zainab"],
    "southeast": ["Siti", "Nguyen", "Arjun", "Dewi", "Somchai", "Maria", "Sokha", "Aung", "Putri", "Jose"],
    "central": ["Aigerim", "Timur", "Dilnoza", "Rustam", "Gulnara", "Nodir", "Ani", "Giorgi", "Elif", "Reza"],
    "pacific": ["Sione", "Mele", "Tevita", "Losa", "Ioane", "Salote", "Kalani", "Aroha", "Jack", "Olivia"],
    "arab": ["Omar", "Fatima", "Youssef", "Layla", "Khalid", "Noor", "Hassan", "Mariam", "Tariq", "Salma"],
    "other": ["Emma", "James", "Sophie", "Lukas", "Amara", "Chidi", "Thabo", "Lucas", "Ana", "Wanjiru"],
}
LAST_NAMES = {
    "east": ["Kim", "Tanaka", "Wang", "Batbayar", "Sato", "Lee", "Zhang", "Suzuki", "Park", "Chen"],
    "south": ["Sharma", "Rahman", "Perera", "Thapa", "Dorji", "Ibrahim", "Khan", "Gupta", "Iyer", "Hussain"],
    "southeast": ["Abdullah", "Tran", "Santos", "Wijaya", "Srisuk", "Reyes", "Chan", "Win", "Lim", "Cruz"],
    "central": [
        "Nurlanovna",
        "Abdullaev",
        "Karimova",
        "Saidov",
        "Aliyeva",
        "Petrosyan",
        "Beridze",
        "Yilmaz",
        "Tehrani",
        "Mammadov",
    ],
    "pacific": [
        "Tupou",
        "Fifita",
        "Taufa",
        "Sopoaga",
        "Tuilagi",
        "Vaai",
        "Kealoha",
        "Ngata",
        "Smith",
        "Brown",
    ],
    "arab": [
        "Al-Sayed",
        "Haddad",
        "Mansour",
        "Khoury",
        "Al-Farsi",
        "Nasser",
        "Saleh",
        "Aziz",
        "Hamdan",
        "Jaber",
    ],
    "other": ["Martin", "Smith", "Dubois", "Müller", "Okafor", "Mwangi", "Nkosi", "Silva", "Jensen", "Brown"],
}
REGION_OF = {}
for _codes, _region in (
    ("KR JP CN MN", "east"),
    ("IN BD PK LK NP BT MV AF", "south"),
    ("ID MY SG TH VN PH KH LA MM BN TL", "southeast"),
    ("KZ KG TJ UZ TM AZ AM GE TR IR", "central"),
    ("FJ PG WS TO VU SB KI TV NR PW MH FM AU NZ", "pacific"),
    ("AE SA QA KW BH OM JO LB IQ YE EG MA TN DZ SD", "arab"),
    ("US GB FR DE DK KE NG ZA", "other"),
):
    for _code in _codes.split():
        REGION_OF[_code] = _region

ORGANISATIONS = [
    "Ministry of the Interior",
    "Ministry of Digital Affairs",
    "National Planning Commission",
    "Office of the Prime Minister",
    "Civil Service Commission",
    "National Statistics Office",
    "Disaster Management Authority",
    "Ministry of Education",
    "City Government",
    "University",
    "Civil society network",
    "Development bank",
    "UN Country Team",
    "Youth council",
    "Tech start-up",
]


@dataclass
class DemoSummary:
    event_slug: str
    event_title: str
    sessions: int
    participants: int
    countries: int
    in_person: int
    online: int
    accounts: list[tuple[str, str, str]] = field(default_factory=list)


def _at(day0: datetime, day: int, hhmm: str) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    local = datetime.combine((day0 + timedelta(days=day)).date(), time(hours, minutes), tzinfo=TZ)
    return local


def _event(db: DbSession) -> Event:
    event = db.scalar(select(Event).where(Event.slug == SLUG))
    if event is not None:
        return event
    day0 = datetime.now(TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    event = Event(
        slug=SLUG,
        title="8th Regional Symposium on Effective Governance and AI Transformation for the 2030 Agenda",
        venue="Songdo Convensia",
        city="Incheon",
        country="KR",
        timezone="Asia/Seoul",
        starts_at=_at(day0, 0, "08:30"),
        ends_at=_at(day0, 2, "17:00"),
        description=(
            "Three days on how artificial intelligence can make public institutions more effective, "
            "inclusive and accountable, and accelerate progress on the Sustainable Development Goals. "
            "Plenaries, four thematic sessions, regional breakouts in English and in Arabic, and a "
            "matchmaking workshop, in the hall in Incheon and online."
        ),
    )
    db.add(event)
    db.flush()
    return event


def _tracks(db: DbSession, event: Event) -> dict[str, Track]:
    existing = {t.name: t for t in event.tracks}
    for position, (name, description, colour) in enumerate(TRACKS):
        if name not in existing:
            track = Track(
                event_id=event.id, name=name, description=description, colour=colour, position=position
            )
            db.add(track)
            existing[name] = track
    db.flush()
    return existing


def _speakers(db: DbSession, event: Event) -> list[Speaker]:
    existing = {s.name: s for s in event.speakers}
    speakers = []
    for name, title, organisation, country in SPEAKERS:
        speaker = existing.get(name)
        if speaker is None:
            speaker = Speaker(
                event_id=event.id, name=name, title=title, organisation=organisation, country=country
            )
            db.add(speaker)
        speakers.append(speaker)
    db.flush()
    return speakers


def _sessions(db: DbSession, event: Event, tracks: dict[str, Track], speakers: list[Speaker]) -> None:
    existing = {
        s.title: s for s in db.scalars(select(ProgrammeSession).where(ProgrammeSession.event_id == event.id))
    }
    day0 = event.starts_at.astimezone(TZ).replace(hour=0, minute=0)
    for day, start, end, title, kind, track, room, capacity, language, speaker_ids in SESSIONS:
        if title in existing:
            continue
        session = ProgrammeSession(
            event_id=event.id,
            track_id=tracks[track].id,
            title=title,
            kind=kind,
            starts_at=_at(day0, day, start),
            ends_at=_at(day0, day, end),
            room=room,
            capacity=capacity,
            language=language,
            description=_describe(title),
            stream_url="https://www.youtube.com/embed/live_stream?channel=UCdemo2030"
            if capacity >= 180
            else None,
        )
        session.speakers = [speakers[i] for i in speaker_ids]
        db.add(session)
        existing[title] = session
    db.flush()
    parent = existing["Regional breakout sessions"]
    for name, room, capacity, language, speaker_ids in BREAKOUTS:
        title = f"Regional breakout: {name}"
        if title in existing:
            continue
        child = ProgrammeSession(
            event_id=event.id,
            track_id=parent.track_id,
            parent_id=parent.id,
            title=title,
            kind="breakout",
            starts_at=parent.starts_at,
            ends_at=parent.ends_at,
            room=room,
            capacity=capacity,
            language=language,
            description=f"Peer exchange among the region's delegations, held in {'Arabic' if language == 'ar' else 'English'}.",
        )
        child.speakers = [speakers[i] for i in speaker_ids]
        db.add(child)
        existing[title] = child
    db.flush()


def _describe(title: str) -> str:
    return (
        f"{title}. Panellists from governments, the United Nations system, academia and civil society share "
        "what has worked, what has not, and what comes next; questions from the hall and from online "
        "participants are taken through the live Q&A."
    )


def _participants_csv() -> str:
    rng = random.Random(2030)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "name", "organisation", "country", "mode"])
    for n in range(PARTICIPANTS):
        # Every country appears at least once; the host country and neighbours send larger delegations.
        country = COUNTRIES[n] if n < len(COUNTRIES) else rng.choice(COUNTRIES[:12] * 3 + COUNTRIES)
        region = REGION_OF[country]
        first, last = rng.choice(FIRST_NAMES[region]), rng.choice(LAST_NAMES[region])
        in_person = rng.random() < (0.6 if country == "KR" else IN_PERSON_SHARE)
        writer.writerow(
            [
                f"participant{n + 1:03d}@symposium.example",
                f"{first} {last}",
                rng.choice(ORGANISATIONS),
                country,
                "in_person" if in_person else "online",
            ]
        )
    return out.getvalue()


def _accounts(db: DbSession, event: Event) -> list[tuple[str, str, str]]:
    printed = []
    for email, name, role, password in DEMO_ACCOUNTS:
        user = find_user_by_email(db, email)
        if user is None:
            user = create_user(
                db,
                email=email,
                name=name,
                role="admin" if role == "admin" else "attendee",
                password=password,
                organisation="Symposium secretariat" if role != "attendee" else "Government of India",
                country="KR" if role != "attendee" else "IN",
                commit=False,
            )
        if role in GRANT_ROLES:
            grant(db, event, user, role, commit=False)
        if role == "attendee" and find_registration(db, user.id, event.id) is None:
            db.commit()
            register(db, user, event, "online")
        printed.append((email, password, role))
    db.commit()
    return printed


def load_demo(db: DbSession) -> DemoSummary:
    """Create whatever of the demo is missing and return what is there."""
    event = _event(db)
    tracks = _tracks(db, event)
    speakers = _speakers(db, event)
    _sessions(db, event, tracks, speakers)
    db.commit()
    accounts = _accounts(db, event)
    import_participants(db, event, _participants_csv())
    _checkin(db, event)
    from .rooms.breakouts.demo import prepare_demo_round

    prepare_demo_round(db, event)  # the regional breakouts, ready for a moderator to start
    _attendance(db, event)
    from .rooms.polls.demo import add_demo_polls

    add_demo_polls(db, event)
    from .certificates.demo import add_demo_rule

    add_demo_rule(db, event)  # certificates for 60 % of the sessions attended
    from .matchmaking.demo import add_demo_matchmaking

    add_demo_matchmaking(db, event)
    from .interpretation.demo import add_demo_channels

    add_demo_channels(db, event)  # the opening session in Arabic and French
    return summarise(db, event, accounts)


def _checkin(db: DbSession, event: Event) -> None:
    """Check-in lists (entrance, each day, each session's door) and the badge key."""
    from .checkin.badges import signing_key_row
    from .checkin.lists import ensure_default_lists

    ensure_default_lists(db, event)
    signing_key_row(db, event.id)


def _attendance(db: DbSession, event: Event) -> None:
    """Room visits and door scans for the sessions that are over (none dated in the future)."""
    from .attendance.demo import load_demo_attendance

    load_demo_attendance(db, event)


def summarise(db: DbSession, event: Event, accounts: list[tuple[str, str, str]]) -> DemoSummary:
    confirmed = (Registration.event_id == event.id, Registration.status == "confirmed")
    by_mode = dict(
        db.execute(
            select(Registration.mode, func.count()).where(*confirmed).group_by(Registration.mode)
        ).all()
    )
    countries = db.execute(
        select(func.count(func.distinct(User.country)))
        .join(Registration, Registration.user_id == User.id)
        .where(*confirmed)
    ).scalar_one()
    sessions = db.execute(
        select(func.count()).select_from(ProgrammeSession).where(ProgrammeSession.event_id == event.id)
    ).scalar_one()
    return DemoSummary(
        event_slug=event.slug,
        event_title=event.title,
        sessions=sessions,
        participants=sum(by_mode.values()),
        countries=countries,
        in_person=by_mode.get("in_person", 0),
        online=by_mode.get("online", 0),
        accounts=accounts,
    )
