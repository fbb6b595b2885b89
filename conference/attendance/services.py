"""Attendance figures of an event: who was there, online and on site, per session and in total.

Every figure is counted in SQL from the records (`RoomVisit`, `CheckinMovement`) each time it is
asked for; there is no counter to drift. See docs/attendance.md for the definitions, in short:

- A *participant* is a person registered for the event who attended at least once: one online
  stay in any of the event's sessions, or one accepted (not undone) entry on any of its check-in
  lists. A hybrid participant is counted once among participants and once in each mode.
- *Online* figures of a session come from its live room; *on-site* figures of a session from its
  door lists (check-in lists with scope "session"). Event-wide on-site figures use every list.
- *Now* means a socket in the room (online) or inside on a list (last movement "in").
- *Peak* is the largest number of distinct people present at the same instant.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, func, literal, select, union_all

from ..accounts.models import User
from ..checkin.models import CheckinList
from ..countries import country_name, m49_subregion, region_names
from ..database import off_hub
from ..db_session import DbSession
from ..db_types import utcnow
from ..errors import ServiceError
from ..programme.models import Event, ProgrammeSession
from ..registrations.models import Registration
from ..wire import isoformat_utc
from . import intervals as iv
from .wording import summary_sentence

DEFAULT_GRACE_SECONDS = 120
ONLINE, ON_SITE = "online", "on_site"


def to_ms(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


@dataclass
class Clock:
    """The instant figures are computed for, and the reconnection grace period."""

    now_ms: int
    grace_ms: int

    @classmethod
    def at(cls, now: datetime | None = None, grace_seconds: int = DEFAULT_GRACE_SECONDS) -> Clock:
        if grace_seconds < 0:
            raise ServiceError("invalid_grace", "the grace period cannot be negative")
        return cls(to_ms(now or utcnow()), int(grace_seconds * 1000))


@dataclass
class CountryCount:
    code: str
    name: str
    count: int  # unique attendees from this country
    online: int = 0
    on_site: int = 0


@dataclass
class RegionCount:
    name: str  # UN M49 sub-region
    count: int
    online: int = 0
    on_site: int = 0


@dataclass
class ModeNumbers:
    online: int = 0
    on_site: int = 0
    combined: int = 0


@dataclass
class SessionFigures:
    id: int
    title: str
    kind: str
    parent_id: int | None
    starts_at: datetime
    ends_at: datetime
    has_door_list: bool
    online: int = 0  # unique online attendees
    on_site: int = 0  # unique on-site attendees (door lists)
    unique: int = 0  # unique attendees, either mode
    hybrid: int = 0  # attended this session both ways
    entries: int = 0  # accepted entry scans on the door lists (re-entries included)
    online_seconds: int = 0  # time spent in the room online, all stays together
    now: ModeNumbers = field(default_factory=ModeNumbers)
    peak: ModeNumbers = field(default_factory=ModeNumbers)
    countries: list[CountryCount] = field(default_factory=list)


@dataclass
class EventFigures:
    participants: int
    online: int
    on_site: int
    hybrid: int
    entries: int
    sessions_attended: int
    sessions_total: int
    now: ModeNumbers
    peak: ModeNumbers
    countries: list[CountryCount]
    unknown_country: int
    regions: list[RegionCount]

    @property
    def summary(self) -> str:
        return summary_sentence(
            participants=self.participants,
            countries=len(self.countries),
            online=self.online,
            on_site=self.on_site,
            hybrid=self.hybrid,
            sessions=self.sessions_attended,
        )


@dataclass
class Report:
    event: Event
    as_of: datetime
    grace_seconds: int
    totals: EventFigures
    sessions: list[SessionFigures]


# ---- building blocks ---------------------------------------------------------------------------


def _online_stays(event_id: int, clock: Clock):
    """Online stays per (person, session), visits merged within the grace period."""
    return iv.merge(
        iv.online_visits(event_id, clock.now_ms), ["person_id", "session_id"], clock.grace_ms, "online_stays"
    )


def _door_stays(event_id: int, clock: Clock):
    """On-site stays per (person, session) from the sessions' door lists."""
    raw = iv.on_site_stays(event_id, clock.now_ms)
    door = select(raw.c.person_id, raw.c.session_id, raw.c.start_ms, raw.c.end_ms, raw.c.is_open).where(
        raw.c.session_id.is_not(None)
    )
    return iv.merge(door, ["person_id", "session_id"], 0, "door_stays")


def _venue_stays(event_id: int, clock: Clock):
    """On-site stays per person on any of the event's lists (entrance, day or door)."""
    raw = iv.on_site_stays(event_id, clock.now_ms)
    return iv.merge(
        select(raw.c.person_id, raw.c.start_ms, raw.c.end_ms, raw.c.is_open), ["person_id"], 0, "venue_stays"
    )


def _online_person_stays(event_id: int, clock: Clock):
    """Online presence per person across all sessions (two rooms at once count once)."""
    stays = _online_stays(event_id, clock)
    return iv.merge(
        select(stays.c.person_id, stays.c.start_ms, stays.c.end_ms, stays.c.is_open),
        ["person_id"],
        0,
        "online_person_stays",
    )


def _tagged(mode: str, stays, *extra: str):
    columns = [
        stays.c.person_id,
        *(stays.c[name] for name in extra),
        stays.c.start_ms,
        stays.c.end_ms,
        stays.c.is_open,
    ]
    return select(literal(mode).label("mode"), *columns)


def _attendees(
    db: DbSession, pairs, keys: list[str]
) -> tuple[dict[tuple, dict], dict[tuple, list[CountryCount]]]:
    """Per key: unique attendees by mode, and by country, from (mode, person, keys...) rows, in one query.

    Each person has one country, so the per-country groups add up to the key's totals."""
    per_person = (
        select(
            *(pairs.c[k] for k in keys),
            pairs.c.person_id,
            func.max(case((pairs.c.mode == ONLINE, 1), else_=0)).label("is_online"),
            func.max(case((pairs.c.mode == ON_SITE, 1), else_=0)).label("is_on_site"),
        )
        .group_by(*(pairs.c[k] for k in keys), pairs.c.person_id)
        .cte("per_person")
    )
    p = per_person
    rows = db.execute(
        select(
            *(p.c[k] for k in keys),
            User.country,
            func.count(),
            func.sum(p.c.is_online),
            func.sum(p.c.is_on_site),
            func.sum(p.c.is_online * p.c.is_on_site),
        )
        .select_from(p)
        .join(User, User.id == p.c.person_id)
        .group_by(*(p.c[k] for k in keys), User.country)
    ).all()
    width = len(keys)
    totals: dict[tuple, dict] = defaultdict(lambda: {"online": 0, "on_site": 0, "unique": 0, "hybrid": 0})
    countries: dict[tuple, list[CountryCount]] = defaultdict(list)
    for row in rows:
        key, code = tuple(row[:width]), row[width]
        count, online, on_site, hybrid = (int(v or 0) for v in row[width + 1 :])
        for name, value in (("unique", count), ("online", online), ("on_site", on_site), ("hybrid", hybrid)):
            totals[key][name] += value
        countries[key].append(
            CountryCount(code or "", country_name(code) if code else "Unknown", count, online, on_site)
        )
    for found in countries.values():
        found.sort(key=lambda c: (-c.count, c.name))
    return totals, countries


def _peaks(db: DbSession, stays, keys: list[str]) -> dict[tuple, int]:
    width = len(keys)
    return {tuple(row[:width]): int(row[width] or 0) for row in db.execute(iv.peaks(stays, keys)).all()}


def _now_and_peaks(db: DbSession, online, on_site, combined, keys: list[str]) -> tuple[dict, dict]:
    """Now and peak per key for the three views at once (one query each: the stays are computed once).

    Returns ({key: ModeNumbers now}, {key: ModeNumbers peak})."""
    views = union_all(
        *(
            _tagged(mode, stays, *keys)
            for mode, stays in ((ONLINE, online), (ON_SITE, on_site), ("combined", combined))
        )
    ).cte("views")
    tagged = ["mode", *keys]
    peaks, nows = _peaks(db, views, tagged), _open_people(db, views, tagged)
    found_keys = {k[1:] for k in peaks} | {k[1:] for k in nows}

    def numbers(source: dict, key: tuple) -> ModeNumbers:
        return ModeNumbers(*(source.get((mode, *key), 0) for mode in (ONLINE, ON_SITE, "combined")))

    return ({k: numbers(nows, k) for k in found_keys}, {k: numbers(peaks, k) for k in found_keys})


def _open_people(db: DbSession, stays, keys: list[str]) -> dict[tuple, int]:
    rows = db.execute(
        select(*(stays.c[k] for k in keys), func.count(func.distinct(stays.c.person_id)))
        .where(stays.c.is_open == 1)
        .group_by(*(stays.c[k] for k in keys))
    ).all()
    width = len(keys)
    return {tuple(row[:width]): int(row[width]) for row in rows}


# ---- per session -------------------------------------------------------------------------------


def _with_breakouts(stays, name: str):
    """Per (person, session) stays where a session with breakout rooms also holds its rooms' stays:
    the parent counts everyone in any of its breakouts, someone moving between rooms once."""
    own = select(stays.c.person_id, stays.c.session_id, stays.c.start_ms, stays.c.end_ms, stays.c.is_open)
    in_parent = (
        select(
            stays.c.person_id,
            ProgrammeSession.parent_id.label("session_id"),
            stays.c.start_ms,
            stays.c.end_ms,
            stays.c.is_open,
        )
        .select_from(stays)
        .join(ProgrammeSession, ProgrammeSession.id == stays.c.session_id)
        .where(ProgrammeSession.parent_id.is_not(None))
    )
    return iv.merge(union_all(own, in_parent), ["person_id", "session_id"], 0, name)


def session_figures(db: DbSession, event: Event, clock: Clock) -> list[SessionFigures]:
    """Figures for every session of the event (breakouts included), in programme order."""
    sessions = list(
        db.scalars(
            select(ProgrammeSession)
            .where(ProgrammeSession.event_id == event.id)
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
        )
    )
    door_sessions = set(
        db.scalars(
            select(CheckinList.session_id).where(
                CheckinList.event_id == event.id, CheckinList.session_id.is_not(None)
            )
        )
    )
    door_sessions |= {s.parent_id for s in sessions if s.id in door_sessions and s.parent_id}
    online = _with_breakouts(_online_stays(event.id, clock), "online_session_stays")
    door = _with_breakouts(_door_stays(event.id, clock), "door_session_stays")
    both = union_all(_tagged(ONLINE, online, "session_id"), _tagged(ON_SITE, door, "session_id")).cte("both")
    keys = ["session_id"]
    uniques, countries = _attendees(db, both, keys)
    combined = iv.merge(
        select(both.c.person_id, both.c.session_id, both.c.start_ms, both.c.end_ms, both.c.is_open),
        ["person_id", "session_id"],
        0,
        "session_combined",
    )
    nows, peaks = _now_and_peaks(db, online, door, combined, keys)
    door_entries = iv.entry_movements(event.id, clock.now_ms)
    in_sessions = union_all(
        select(door_entries.c.session_id).where(door_entries.c.session_id.is_not(None)),
        select(ProgrammeSession.parent_id.label("session_id"))
        .select_from(door_entries)
        .join(ProgrammeSession, ProgrammeSession.id == door_entries.c.session_id)
        .where(ProgrammeSession.parent_id.is_not(None)),
    ).cte("session_entries")
    entries: dict[int, int] = dict(
        db.execute(select(in_sessions.c.session_id, func.count()).group_by(in_sessions.c.session_id)).all()
    )
    seconds: dict[int, int | None] = dict(
        db.execute(
            select(online.c.session_id, func.sum(online.c.end_ms - online.c.start_ms)).group_by(
                online.c.session_id
            )
        ).all()
    )
    figures = []
    for s in sessions:
        key = (s.id,)
        counts = uniques.get(key, {})
        figures.append(
            SessionFigures(
                id=s.id,
                title=s.title,
                kind=s.kind,
                parent_id=s.parent_id,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                has_door_list=s.id in door_sessions,
                online=counts.get("online", 0),
                on_site=counts.get("on_site", 0),
                unique=counts.get("unique", 0),
                hybrid=counts.get("hybrid", 0),
                entries=int(entries.get(s.id, 0)),
                online_seconds=int(seconds.get(s.id) or 0) // 1000,
                now=nows.get(key, ModeNumbers()),
                peak=peaks.get(key, ModeNumbers()),
                countries=countries.get(key, []),
            )
        )
    return figures


# ---- the whole event ---------------------------------------------------------------------------


def event_figures(
    db: DbSession, event: Event, clock: Clock, sessions: list[SessionFigures] | None = None
) -> EventFigures:
    """The event's totals: participants, each mode, hybrids, now, peaks, countries and regions."""
    online = _online_person_stays(event.id, clock)
    venue = _venue_stays(event.id, clock)
    both = union_all(_tagged(ONLINE, online), _tagged(ON_SITE, venue)).cte("event_both")
    all_counts, all_countries = _attendees(db, both, [])
    counts, by_country = all_counts.get((), {}), all_countries.get((), [])
    combined = iv.merge(
        select(both.c.person_id, both.c.start_ms, both.c.end_ms, both.c.is_open),
        ["person_id"],
        0,
        "event_combined",
    )
    nows, peaks = _now_and_peaks(db, online, venue, combined, [])
    now, peak = nows.get((), ModeNumbers()), peaks.get((), ModeNumbers())
    entries_sq = iv.entry_movements(event.id, clock.now_ms)
    entries = db.scalar(select(func.count()).select_from(entries_sq)) or 0
    if sessions is None:
        sessions = session_figures(db, event, clock)
    known = [c for c in by_country if c.code]
    unknown = sum(c.count for c in by_country if not c.code)
    return EventFigures(
        participants=counts.get("unique", 0),
        online=counts.get("online", 0),
        on_site=counts.get("on_site", 0),
        hybrid=counts.get("hybrid", 0),
        entries=int(entries),
        sessions_attended=sum(1 for s in sessions if s.unique),
        sessions_total=len(sessions),
        now=now,
        peak=peak,
        countries=known,
        unknown_country=unknown,
        regions=regions_of(by_country),
    )


def regions_of(countries: list[CountryCount]) -> list[RegionCount]:
    """Participants per UN M49 sub-region, largest first; regions without anyone are left out."""
    totals: dict[str, RegionCount] = {}
    for c in countries:
        name = m49_subregion(c.code)
        region = totals.setdefault(name, RegionCount(name, 0))
        region.count += c.count
        region.online += c.online
        region.on_site += c.on_site
    order = {name: i for i, name in enumerate(region_names())}
    return sorted(totals.values(), key=lambda r: (-r.count, order.get(r.name, 99)))


def report(
    db: DbSession, event: Event, *, now: datetime | None = None, grace_seconds: int = DEFAULT_GRACE_SECONDS
) -> Report:
    """Everything the dashboard, the report page, the CSV and the API show, as of `now`."""
    clock = Clock.at(now, grace_seconds)
    sessions = session_figures(db, event, clock)
    totals = event_figures(db, event, clock, sessions)
    return Report(
        event=event,
        as_of=from_ms(clock.now_ms),
        grace_seconds=grace_seconds,
        totals=totals,
        sessions=sessions,
    )


def report_off_hub(event: Event, *, grace_seconds: int = DEFAULT_GRACE_SECONDS) -> Report:
    """`report(...)` built in a real thread under eventlet or gevent (database.off_hub): SQLAlchemy
    takes most of a second of pure Python to build its queries for a few hundred people, which would
    freeze every socket of the worker meanwhile. The same in place otherwise."""
    built = off_hub(report, event, grace_seconds=grace_seconds)
    return replace(built, event=event)  # the caller's own copy, not the thread's detached one


# ---- over time ---------------------------------------------------------------------------------


@dataclass
class TimeSeries:
    day: date
    starts_at: datetime
    step_minutes: int
    labels: list[str]  # local "HH:MM" of each bucket's start
    online: list[int]
    on_site: list[int]


def event_days(event: Event) -> list[date]:
    first = event.starts_at.astimezone(event.tz).date()
    last = event.ends_at.astimezone(event.tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def day_window(db: DbSession, event: Event, day: date) -> tuple[datetime, datetime]:
    """From half an hour before the day's first session to half an hour after its last (08:00–18:00
    local when the day has no session), in whole quarter hours."""
    tz = event.tz
    day_start = datetime.combine(day, time(0), tzinfo=tz)
    day_end = day_start + timedelta(days=1)
    bounds = db.execute(
        select(func.min(ProgrammeSession.starts_at), func.max(ProgrammeSession.ends_at)).where(
            ProgrammeSession.event_id == event.id,
            ProgrammeSession.starts_at >= day_start,
            ProgrammeSession.starts_at < day_end,
        )
    ).one()
    if bounds[0] is None:
        return datetime.combine(day, time(8), tzinfo=tz), datetime.combine(day, time(18), tzinfo=tz)
    start = bounds[0].astimezone(tz) - timedelta(minutes=30)
    start = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    end = bounds[1].astimezone(tz) + timedelta(minutes=30)
    return start, end


def time_series(
    db: DbSession,
    event: Event,
    day: date,
    *,
    step_minutes: int = 15,
    now: datetime | None = None,
    grace_seconds: int = DEFAULT_GRACE_SECONDS,
) -> TimeSeries:
    """People present online and on site in each bucket of a day (present at any moment of it)."""
    if step_minutes not in (5, 10, 15, 30, 60):
        raise ServiceError("invalid_step", "the step must be 5, 10, 15, 30 or 60 minutes")
    clock = Clock.at(now, grace_seconds)
    start, end = day_window(db, event, day)
    step_ms = step_minutes * 60_000
    buckets = max(1, -(-(to_ms(end) - to_ms(start)) // step_ms))
    online = dict(
        db.execute(
            iv.bucket_counts(_online_person_stays(event.id, clock), to_ms(start), step_ms, buckets)
        ).all()
    )
    on_site = dict(
        db.execute(iv.bucket_counts(_venue_stays(event.id, clock), to_ms(start), step_ms, buckets)).all()
    )
    labels = [
        (start + timedelta(minutes=step_minutes * i)).astimezone(event.tz).strftime("%H:%M")
        for i in range(buckets)
    ]
    return TimeSeries(
        day=day,
        starts_at=start,
        step_minutes=step_minutes,
        labels=labels,
        online=[int(online.get(i, 0)) for i in range(buckets)],
        on_site=[int(on_site.get(i, 0)) for i in range(buckets)],
    )


def stay_counts(
    db: DbSession, event: Event, *, now: datetime | None = None, grace_seconds: int = DEFAULT_GRACE_SECONDS
) -> dict[tuple[int, int], int]:
    """Number of online stays per (user id, session id), after merging within the grace period."""
    stays = _online_stays(event.id, Clock.at(now, grace_seconds))
    rows = db.execute(
        select(stays.c.person_id, stays.c.session_id, func.count()).group_by(
            stays.c.person_id, stays.c.session_id
        )
    ).all()
    return {(person, session): int(count) for person, session, count in rows}


# ---- per participant ---------------------------------------------------------------------------


@dataclass
class ParticipantRow:
    user_id: int
    name: str
    email: str
    organisation: str
    country: str
    registered_mode: str
    online: bool
    on_site: bool
    online_sessions: int
    online_seconds: int
    on_site_sessions: int
    on_site_seconds: int
    first_seen: datetime | None


def participant_rows(
    db: DbSession, event: Event, *, now: datetime | None = None, grace_seconds: int = DEFAULT_GRACE_SECONDS
) -> list[ParticipantRow]:
    """One row per participant (people who attended at least once), by name."""
    clock = Clock.at(now, grace_seconds)
    online = _online_stays(event.id, clock)
    door = _door_stays(event.id, clock)
    venue = _venue_stays(event.id, clock)
    online_rows = {
        row[0]: row[1:]
        for row in db.execute(
            select(
                online.c.person_id,
                func.count(func.distinct(online.c.session_id)),
                func.sum(online.c.end_ms - online.c.start_ms),
                func.min(online.c.start_ms),
            ).group_by(online.c.person_id)
        ).all()
    }
    door_rows: dict[int, int] = dict(
        db.execute(
            select(door.c.person_id, func.count(func.distinct(door.c.session_id))).group_by(door.c.person_id)
        ).all()
    )
    venue_rows = {
        row[0]: row[1:]
        for row in db.execute(
            select(
                venue.c.person_id, func.sum(venue.c.end_ms - venue.c.start_ms), func.min(venue.c.start_ms)
            ).group_by(venue.c.person_id)
        ).all()
    }
    people = set(online_rows) | set(venue_rows)
    if not people:
        return []
    users = db.execute(
        select(User, Registration.mode)
        .join(Registration, (Registration.user_id == User.id) & (Registration.event_id == event.id))
        .where(User.id.in_(people))
        .order_by(User.name, User.id)
    ).all()
    rows = []
    for user, mode in users:
        sessions_online, online_ms, first_online = online_rows.get(user.id, (0, 0, None))
        on_site_ms, first_entry = venue_rows.get(user.id, (0, None))
        firsts = [ms for ms in (first_online, first_entry) if ms is not None]
        rows.append(
            ParticipantRow(
                user_id=user.id,
                name=user.name,
                email=user.email,
                organisation=user.organisation,
                country=user.country or "",
                registered_mode=mode,
                online=user.id in online_rows,
                on_site=user.id in venue_rows,
                online_sessions=int(sessions_online),
                online_seconds=int(online_ms or 0) // 1000,
                on_site_sessions=int(door_rows.get(user.id, 0)),
                on_site_seconds=int(on_site_ms or 0) // 1000,
                first_seen=from_ms(min(firsts)) if firsts else None,
            )
        )
    return rows


@dataclass
class StayRow:
    user_id: int
    name: str
    email: str
    country: str
    session_id: int
    session_title: str
    mode: str  # "online" (live room) or "on_site" (door list)
    started_at: datetime
    ended_at: datetime
    still_present: bool

    @property
    def seconds(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds())


def stay_rows(
    db: DbSession, event: Event, *, now: datetime | None = None, grace_seconds: int = DEFAULT_GRACE_SECONDS
) -> list[StayRow]:
    """Every stay of every participant in every session, online (merged within the grace period) and
    on site (door lists), by participant then time: who attended which session, how, and how long."""
    clock = Clock.at(now, grace_seconds)
    stays = union_all(
        _tagged(ONLINE, _online_stays(event.id, clock), "session_id"),
        _tagged(ON_SITE, _door_stays(event.id, clock), "session_id"),
    ).cte("all_stays")
    rows = db.execute(
        select(
            User.id,
            User.name,
            User.email,
            User.country,
            ProgrammeSession.id,
            ProgrammeSession.title,
            stays.c.mode,
            stays.c.start_ms,
            stays.c.end_ms,
            stays.c.is_open,
        )
        .select_from(stays)
        .join(User, User.id == stays.c.person_id)
        .join(ProgrammeSession, ProgrammeSession.id == stays.c.session_id)
        .order_by(User.name, User.id, stays.c.start_ms, stays.c.mode)
    ).all()
    return [
        StayRow(
            user_id,
            name,
            email,
            country or "",
            session_id,
            title,
            mode,
            from_ms(start),
            from_ms(end),
            bool(is_open),
        )
        for user_id, name, email, country, session_id, title, mode, start, end, is_open in rows
    ]


def attended_sessions(
    db: DbSession,
    event: Event,
    *,
    user_id: int | None = None,
    now: datetime | None = None,
    grace_seconds: int = DEFAULT_GRACE_SECONDS,
) -> dict[int, set[int]]:
    """{person id: ids of the sessions they attended}, from the records: an online stay in the session's
    room (or one of its breakout rooms) or an entry on its door list. One person with `user_id`.
    For other features (feedback, certificates)."""
    clock = Clock.at(now, grace_seconds)
    online = _with_breakouts(_online_stays(event.id, clock), "attended_online")
    door = _door_stays(event.id, clock)
    pairs = union_all(
        select(online.c.person_id, online.c.session_id), select(door.c.person_id, door.c.session_id)
    ).subquery("attended")
    query = select(pairs.c.person_id, pairs.c.session_id).distinct()
    if user_id is not None:
        query = query.where(pairs.c.person_id == user_id)
    found: dict[int, set[int]] = defaultdict(set)
    for person_id, session_id in db.execute(query).all():
        found[person_id].add(session_id)
    return dict(found)


# ---- JSON --------------------------------------------------------------------------------------


def _countries_json(countries: list[CountryCount]) -> list[dict]:
    return [asdict(c) for c in countries]


def session_json(s: SessionFigures) -> dict:
    return {
        "id": s.id,
        "title": s.title,
        "kind": s.kind,
        "parent_id": s.parent_id,
        "starts_at": isoformat_utc(s.starts_at),
        "ends_at": isoformat_utc(s.ends_at),
        "has_door_list": s.has_door_list,
        "on_site": s.on_site,
        "online": s.online,
        "unique": s.unique,
        "hybrid": s.hybrid,
        "entries": s.entries,
        "online_seconds": s.online_seconds,
        "now": asdict(s.now),
        "peak": asdict(s.peak),
        "countries": _countries_json(s.countries),
    }


def report_json(r: Report) -> dict:
    t = r.totals
    return {
        "event": {"slug": r.event.slug, "title": r.event.title, "timezone": r.event.timezone},
        "as_of": isoformat_utc(r.as_of),
        "grace_seconds": r.grace_seconds,
        "summary": t.summary,
        "totals": {
            "participants": t.participants,
            "online": t.online,
            "on_site": t.on_site,
            "hybrid": t.hybrid,
            "entries": t.entries,
            "countries": len(t.countries),
            "unknown_country": t.unknown_country,
            "sessions_attended": t.sessions_attended,
            "sessions_total": t.sessions_total,
            "now": asdict(t.now),
            "peak": asdict(t.peak),
        },
        "countries": _countries_json(t.countries),
        "regions": [asdict(r) for r in t.regions],
        "sessions": [session_json(s) for s in r.sessions],
    }
