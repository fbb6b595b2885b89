"""Presence intervals computed in SQL from the records: online stays and on-site stays.

Everything works in integer milliseconds since the Unix epoch (`epoch_ms`), so interval arithmetic
is exact and identical on SQLite and PostgreSQL. Window functions (SQLite ≥ 3.25, PostgreSQL) do
the "gaps and islands" merging; nothing here loads rows into Python.

Who is counted: people with a registration for the event (any status). An organiser who opens a
room without being registered is not an attendee, so their visits are left out; on-site movements
always belong to a registration.

- Online: `RoomVisit` rows (one per socket stay) of the event's sessions. A visit still open
  (left_at NULL) lasts until `now`. Visits of one person in one session are merged into one *stay*
  when the next one starts no later than `grace` after the end of everything before it (a dropped
  connection that comes back, or a second tab).
- On site: `CheckinMovement` rows that were not undone. On each list, a person is inside from an
  "in" (when they were outside) to the next "out"; repeated "in"s and stray "out"s change nothing.
  Automatic check-outs are recorded by check-in as "out" movements, so nothing else is needed.
- `now` bounds everything: records after it are ignored and open stays end there, so figures can
  be computed "as of" any instant.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, and_, case, func, literal, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.sql.selectable import CTE

from ..checkin.models import CheckinList, CheckinMovement
from ..programme.models import ProgrammeSession
from ..registrations.models import Registration
from ..rooms.models import RoomVisit


class epoch_ms(FunctionElement):
    """An instant (a UTCDateTime column, stored as naive UTC) as integer milliseconds since 1970."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_ms, "sqlite")
def _epoch_ms_sqlite(element, compiler, **kw):
    # julianday() is computed from whole milliseconds; rounding restores them exactly.
    return f"CAST(ROUND((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400000.0) AS INTEGER)"


@compiles(epoch_ms)
def _epoch_ms_default(element, compiler, **kw):
    return f"CAST(ROUND(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) * 1000) AS BIGINT)"


def _bigint(value: int) -> ColumnElement:
    return literal(int(value), BigInteger)


def _not_after(expr: ColumnElement, now_ms: int) -> ColumnElement:
    return case((expr > _bigint(now_ms), _bigint(now_ms)), else_=expr)


def online_visits(event_id: int, now_ms: int) -> CTE:
    """Raw visits: person_id, session_id, start_ms, end_ms, is_open (1 while the socket is inside)."""
    left_ms = epoch_ms(RoomVisit.left_at)
    joined_ms = epoch_ms(RoomVisit.joined_at)
    still_inside = or_(RoomVisit.left_at.is_(None), left_ms > _bigint(now_ms))
    return (
        select(
            RoomVisit.user_id.label("person_id"),
            RoomVisit.session_id.label("session_id"),
            joined_ms.label("start_ms"),
            # A left_at before joined_at (a clock step on the server) makes an empty visit, not a negative one.
            case((still_inside, _bigint(now_ms)), (left_ms < joined_ms, joined_ms), else_=left_ms).label(
                "end_ms"
            ),
            case((still_inside, 1), else_=0).label("is_open"),
        )
        .join(ProgrammeSession, ProgrammeSession.id == RoomVisit.session_id)
        .join(
            Registration,
            and_(
                Registration.user_id == RoomVisit.user_id, Registration.event_id == ProgrammeSession.event_id
            ),
        )
        .where(ProgrammeSession.event_id == event_id, epoch_ms(RoomVisit.joined_at) <= _bigint(now_ms))
        .cte("online_visits")
    )


def on_site_stays(event_id: int, now_ms: int) -> CTE:
    """Inside intervals per list: person_id, list_id, session_id (door lists), start_ms, end_ms, is_open."""
    scanned_ms = epoch_ms(CheckinMovement.scanned_at)
    moves = (
        select(
            Registration.user_id.label("person_id"),
            CheckinMovement.list_id.label("list_id"),
            CheckinList.session_id.label("session_id"),
            CheckinMovement.direction.label("direction"),
            CheckinMovement.id.label("movement_id"),
            scanned_ms.label("t"),
        )
        .join(CheckinList, CheckinList.id == CheckinMovement.list_id)
        .join(Registration, Registration.id == CheckinMovement.registration_id)
        .where(
            CheckinList.event_id == event_id,
            CheckinMovement.undone_at.is_(None),
            scanned_ms <= _bigint(now_ms),
        )
        .cte("moves")
    )
    order = [moves.c.t, moves.c.movement_id]
    previous = func.lag(moves.c.direction).over(
        partition_by=[moves.c.person_id, moves.c.list_id], order_by=order
    )
    with_previous = select(moves, previous.label("previous")).cte("moves_with_previous")
    m = with_previous
    # Keep only the movements that change the state: an entry from outside, an exit from inside.
    edges = (
        select(m.c.person_id, m.c.list_id, m.c.session_id, m.c.direction, m.c.movement_id, m.c.t)
        .where(
            or_(
                and_(m.c.direction == "in", or_(m.c.previous.is_(None), m.c.previous == "out")),
                and_(m.c.direction == "out", m.c.previous == "in"),
            )
        )
        .cte("edges")
    )
    following = func.lead(edges.c.t).over(
        partition_by=[edges.c.person_id, edges.c.list_id], order_by=[edges.c.t, edges.c.movement_id]
    )
    paired = select(edges, following.label("next_t")).cte("paired")
    return (
        select(
            paired.c.person_id,
            paired.c.list_id,
            paired.c.session_id,
            paired.c.t.label("start_ms"),
            func.coalesce(paired.c.next_t, _bigint(now_ms)).label("end_ms"),
            case((paired.c.next_t.is_(None), 1), else_=0).label("is_open"),
        )
        .where(paired.c.direction == "in")
        .cte("on_site_stays")
    )


def entry_movements(event_id: int, now_ms: int):
    """Accepted entries ("in" movements not undone) up to now: person_id, session_id (door lists)."""
    return (
        select(Registration.user_id.label("person_id"), CheckinList.session_id.label("session_id"))
        .select_from(CheckinMovement)
        .join(CheckinList, CheckinList.id == CheckinMovement.list_id)
        .join(Registration, Registration.id == CheckinMovement.registration_id)
        .where(
            CheckinList.event_id == event_id,
            CheckinMovement.undone_at.is_(None),
            CheckinMovement.direction == "in",
            epoch_ms(CheckinMovement.scanned_at) <= _bigint(now_ms),
        )
        .cte("entries")
    )


def merge(rows, keys: list[str], gap_ms: int, name: str) -> CTE:
    """Merge intervals per `keys` when one starts within `gap_ms` after the end of all earlier ones.

    Returns keys + start_ms, end_ms, is_open (1 if any merged interval is open). Intervals of one key
    never overlap afterwards, so counting rows at an instant counts distinct keys.
    """
    r = rows if isinstance(rows, CTE) else rows.cte(f"{name}_in")
    part = [r.c[k] for k in keys]
    order = [r.c.start_ms, r.c.end_ms]
    earlier_end = func.max(r.c.end_ms).over(partition_by=part or None, order_by=order, rows=(None, -1))
    starts_island = case(
        (earlier_end.is_(None), 1), (r.c.start_ms > earlier_end + _bigint(gap_ms), 1), else_=0
    )
    flagged = select(*part, r.c.start_ms, r.c.end_ms, r.c.is_open, starts_island.label("new_island")).cte(
        f"{name}_flagged"
    )
    f = flagged
    fpart = [f.c[k] for k in keys]
    island = func.sum(f.c.new_island).over(
        partition_by=fpart or None, order_by=[f.c.start_ms, f.c.end_ms], rows=(None, 0)
    )
    numbered = select(*fpart, f.c.start_ms, f.c.end_ms, f.c.is_open, island.label("island")).cte(
        f"{name}_numbered"
    )
    n = numbered
    npart = [n.c[k] for k in keys]
    return (
        select(
            *npart,
            func.min(n.c.start_ms).label("start_ms"),
            func.max(n.c.end_ms).label("end_ms"),
            func.max(n.c.is_open).label("is_open"),
        )
        .group_by(*npart, n.c.island)
        .cte(name)
    )


def peaks(intervals: CTE, keys: list[str]):
    """Max number of intervals open at once per `keys` (a sweep over start/end events).

    At one instant, ends are counted before starts, so someone moving from one room to the next
    is not counted twice. Intervals must be merged per person first (see `merge`).
    """
    i = intervals
    part = [i.c[k] for k in keys]
    events = union_all(
        select(*part, i.c.start_ms.label("t"), literal(1, Integer).label("delta")).where(
            i.c.end_ms > i.c.start_ms
        ),
        select(*part, i.c.end_ms.label("t"), literal(-1, Integer).label("delta")).where(
            i.c.end_ms > i.c.start_ms
        ),
    ).cte("sweep_events")
    e = events
    epart = [e.c[k] for k in keys]
    level = func.sum(e.c.delta).over(partition_by=epart or None, order_by=[e.c.t, e.c.delta], rows=(None, 0))
    levels = select(*epart, level.label("level")).cte("sweep_levels")
    lpart = [levels.c[k] for k in keys]
    return select(*lpart, func.max(levels.c.level).label("peak")).group_by(*lpart)


def bucket_counts(intervals: CTE, start_ms: int, step_ms: int, buckets: int):
    """Distinct people present at any moment of each bucket [start + i·step, start + (i+1)·step)."""
    series = select(literal(0, Integer).label("i"), _bigint(start_ms).label("bucket_start")).cte(
        "buckets", recursive=True
    )
    series = series.union_all(
        select(
            (series.c.i + 1).label("i"), (series.c.bucket_start + _bigint(step_ms)).label("bucket_start")
        ).where(series.c.i + 1 < buckets)
    )
    i = intervals
    return (
        select(series.c.i, func.count(func.distinct(i.c.person_id)).label("present"))
        .select_from(series)
        .join(
            i,
            and_(i.c.start_ms < series.c.bucket_start + _bigint(step_ms), i.c.end_ms > series.c.bucket_start),
        )
        .group_by(series.c.i)
    )
