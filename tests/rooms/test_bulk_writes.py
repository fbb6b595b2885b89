"""The group commit's bulk writes (conference.group_commit.submit_bulk) on SQLite and PostgreSQL: the
votes and upvotes of one batch are stored by one INSERT ... ON CONFLICT DO NOTHING RETURNING, and a
second ballot or upvote of one person (sent before, or twice in the same batch) fails only its own
item with `already_voted`; a row that breaks another rule (a foreign key) makes the batch write its
items one by one, so that only that item fails."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from pg_support import postgres_app
from sqlalchemy import func, select, update

from conference import group_commit
from conference.accounts.models import User
from conference.accounts.services import create_user
from conference.errors import ServiceError
from conference.extensions import db
from conference.grants.services import grant
from conference.programme.models import Event, ProgrammeSession
from conference.registrations.services import register
from conference.rooms import hot
from conference.rooms import services as room_services
from conference.rooms.models import ChatMessage, Question, QuestionVote
from conference.rooms.polls import services as poll_services
from conference.rooms.polls.models import Poll, PollAnswer, PollBallot
from conference.rooms.polls.services import PollSpec, VoteRequest

PEOPLE = 7
FALLBACK = "writing them one by one"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    """(app, session id, moderator id, [attendee ids]) on SQLite, then on PostgreSQL; batches collect
    for half a second, so the items released together share one."""
    if request.param == "sqlite":
        app = request.getfixturevalue("app")
        yield (app, *_people(app))
        return
    with postgres_app("bulk") as app:
        yield (app, *_people(app))


@pytest.fixture(autouse=True)
def wide_window(monkeypatch):
    monkeypatch.setattr(group_commit, "QUIET_S", 0.5)


def _people(app) -> tuple[int, int, list[int]]:
    app.config["LIVE_WRITE_WINDOW_SECONDS"] = 0.5
    with app.app_context():
        start = datetime(2030, 5, 6, tzinfo=UTC)
        event = Event(
            slug="bulk", title="Bulk", timezone="UTC", starts_at=start, ends_at=start + timedelta(days=1)
        )
        db.session.add(event)
        db.session.flush()
        session = ProgrammeSession(
            event_id=event.id,
            title="Plenary",
            kind="plenary",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
        db.session.add(session)
        db.session.commit()
        moderator = create_user(db.session, email="mod@example.org", name="Mod")
        grant(db.session, event, moderator, "moderator")
        attendees = []
        for n in range(PEOPLE):
            user = create_user(db.session, email=f"b{n}@example.org", name=f"B {n}", role="attendee")
            register(db.session, user, event, "online")
            attendees.append(user.id)
        ids = session.id, moderator.id, attendees
        db.session.remove()
        return ids


def _open_poll(app, session_id: int, moderator_id: int, **fields):
    with app.app_context():
        moderator = db.session.get(User, moderator_id)
        spec = PollSpec(title="Bulk?", kind="single", options=["A", "B"], **fields)
        poll = poll_services.open_poll(
            db.session, moderator, poll_services.create_poll(db.session, moderator, session_id, spec).id
        )
        info = hot.poll_info(db.session, poll.id)
        option = poll.options[0].id
        db.session.remove()
        return info, option


def _in_one_batch(app, write, args) -> tuple[list, int]:
    """Submit every arg with `write` from threads released together; (results or errors, commits)."""
    writer = group_commit.writer(app)
    before = writer.commits
    barrier = threading.Barrier(len(args))
    results: list = [None] * len(args)

    def run(n):
        with app.app_context():
            barrier.wait()
            try:
                results[n] = group_commit.submit_bulk(write, args[n])
            except Exception as exc:  # noqa: BLE001 - the outcome under test
                results[n] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(args))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, writer.commits - before


def _code(result) -> str:
    return result.code if isinstance(result, ServiceError) else type(result).__name__


def _count(app, statement) -> int:
    with app.app_context():
        value = db.session.scalar(statement)
        db.session.remove()
        return value


def test_a_batch_of_votes_refuses_each_second_ballot_alone(backend, caplog):
    app, session_id, moderator_id, attendees = backend
    poll, option = _open_poll(app, session_id, moderator_id)
    answers = [{"option_id": option}]
    now = poll_services.utcnow()
    first, commits = _in_one_batch(
        app, poll_services.record_votes, [VoteRequest(attendees[1], poll, answers, now)]
    )
    assert first[0]["version"] == 1 and commits == 1
    caplog.set_level(logging.INFO, logger="conference.group_commit")

    # attendees[0] twice in the batch, attendees[1] again, four newcomers
    voters = [attendees[0], attendees[0], attendees[1], *attendees[2:6]]
    results, commits = _in_one_batch(
        app, poll_services.record_votes, [VoteRequest(v, poll, answers, now) for v in voters]
    )

    assert commits == 1
    assert sorted(_code(r) for r in results if isinstance(r, Exception)) == ["already_voted"] * 2
    stored = [r for r in results if not isinstance(r, Exception)]
    assert sorted(r["version"] for r in stored) == [2, 3, 4, 5, 6]  # one per stored ballot, after the first
    assert all(r["ballot"]["choices"] == [option] and r["changed"] is False for r in stored)
    assert FALLBACK not in caplog.text  # the duplicates were absorbed by the bulk INSERT itself
    assert _count(app, select(func.count()).select_from(PollBallot)) == 6
    assert _count(app, select(func.count()).select_from(PollAnswer)) == 6
    assert _count(app, select(Poll.votes_version).where(Poll.id == poll.id)) == 6


def test_a_batch_of_votes_on_a_poll_closed_meanwhile_stores_none(backend):
    app, session_id, moderator_id, attendees = backend
    poll, option = _open_poll(app, session_id, moderator_id)
    with app.app_context():  # closed behind the back of what the hot path knows
        db.session.execute(update(Poll).where(Poll.id == poll.id).values(status="closed"))
        db.session.commit()
        db.session.remove()
    now = poll_services.utcnow()
    results, _ = _in_one_batch(
        app,
        poll_services.record_votes,
        [VoteRequest(a, poll, [{"option_id": option}], now) for a in attendees[:3]],
    )
    assert [_code(r) for r in results] == ["poll_closed"] * 3
    assert _count(app, select(func.count()).select_from(PollBallot)) == 0
    assert _count(app, select(func.count()).select_from(PollAnswer)) == 0


def test_a_batch_of_changed_votes_replaces_the_ballots_where_changes_are_allowed(backend):
    app, session_id, moderator_id, attendees = backend
    app.config["ROOMS_RATE_LIMITS"] = {"poll_vote_change": (100, 10)}
    poll, option = _open_poll(app, session_id, moderator_id, allow_change=True)
    other = next(o for o in poll.option_ids if o != option)
    now = poll_services.utcnow()
    requests = [
        VoteRequest(attendees[0], poll, [{"option_id": option}], now),
        VoteRequest(attendees[0], poll, [{"option_id": other}], now),  # a change in the same batch
        VoteRequest(attendees[1], poll, [{"option_id": other}], now),
    ]
    results, commits = _in_one_batch(app, poll_services.record_votes, requests)
    assert commits == 1 and not any(isinstance(r, Exception) for r in results), results
    assert sorted(r["changed"] for r in results) == [False, False, True]
    with app.app_context():
        mine = db.session.scalars(
            select(PollAnswer.option_id).join(PollBallot).where(PollBallot.user_id == attendees[0])
        ).all()
        db.session.remove()
    assert sorted(mine) in ([option], [other])  # one ballot, one answer: never a mix of both
    assert _count(app, select(func.count()).select_from(PollAnswer)) == 2
    assert _count(app, select(Poll.votes_version).where(Poll.id == poll.id)) == 3


def _question(app, session_id: int, author_id: int) -> int:
    with app.app_context():
        question_id = room_services.store_question(db.session, author_id, session_id, "Bulk?", False, False)
        db.session.commit()
        db.session.remove()
        return question_id


def test_a_batch_of_upvotes_refuses_each_second_upvote_alone(backend, caplog):
    app, session_id, _moderator_id, attendees = backend
    question = _question(app, session_id, attendees[6])
    other = _question(app, session_id, attendees[6])
    earlier, _ = _in_one_batch(app, room_services.store_upvotes, [(attendees[1], question)])
    assert earlier == [1]
    caplog.set_level(logging.INFO, logger="conference.group_commit")

    upvotes = [
        (attendees[0], question),
        (attendees[0], question),  # twice in the batch
        (attendees[1], question),  # again
        (attendees[2], question),
        (attendees[0], other),  # the same person, another question: no conflict
        (attendees[3], other),
    ]
    results, commits = _in_one_batch(app, room_services.store_upvotes, upvotes)

    assert commits == 1
    assert [_code(r) if isinstance(r, Exception) else r for r in results].count("already_voted") == 2
    totals = {upvotes[n][1]: r for n, r in enumerate(results) if not isinstance(r, Exception)}
    assert totals == {question: 3, other: 2}  # the totals after the batch committed
    assert FALLBACK not in caplog.text
    assert (
        _count(
            app, select(func.count()).select_from(QuestionVote).where(QuestionVote.question_id == question)
        )
        == 3
    )
    assert (
        _count(app, select(func.count()).select_from(QuestionVote).where(QuestionVote.question_id == other))
        == 2
    )


def test_an_upvote_breaking_a_foreign_key_fails_alone(backend, caplog):
    app, session_id, _moderator_id, attendees = backend
    question = _question(app, session_id, attendees[6])
    caplog.set_level(logging.INFO, logger="conference.group_commit")
    upvotes = [(attendees[0], question), (attendees[1], 987654), (attendees[2], question)]
    results, commits = _in_one_batch(app, room_services.store_upvotes, upvotes)
    assert commits == 1
    assert sorted([results[0], results[2]]) == [1, 2]  # written one by one: each its total then
    assert _code(results[1]) == "IntegrityError"
    assert FALLBACK in caplog.text
    assert _count(app, select(func.count()).select_from(QuestionVote)) == 2


def test_a_flooding_upvoter_is_refused_and_the_upvote_not_kept(backend):
    app, session_id, _moderator_id, attendees = backend
    app.config["ROOMS_RATE_LIMITS"] = {"vote": (1, 3600)}
    questions = [_question(app, session_id, attendees[6]) for _ in range(2)]
    results, commits = _in_one_batch(
        app, room_services.store_upvotes, [(attendees[0], questions[0]), (attendees[0], questions[1])]
    )
    assert commits == 1
    assert sorted(_code(r) if isinstance(r, Exception) else "ok" for r in results) == ["ok", "rate_limited"]
    assert _count(app, select(func.count()).select_from(QuestionVote)) == 1


def test_a_batch_of_questions_and_chat_lines_maps_each_row_to_its_sender(backend):
    app, session_id, _moderator_id, attendees = backend
    app.config["ROOMS_RATE_LIMITS"] = {"question": (1, 3600), "chat": (1, 3600)}
    people = attendees[:5]
    asked = [
        room_services.NewQuestion(p, f"B {n}", session_id, f"Question of {p}", n % 2 == 0, n == 1)
        for n, p in enumerate(people)
    ]
    asked.append(room_services.NewQuestion(people[0], "B 0", session_id, "A second one", False, False))
    results, commits = _in_one_batch(app, room_services.store_questions, asked)
    assert commits == 1
    assert [_code(r) for r in results if isinstance(r, Exception)] == ["rate_limited"]
    stored = [r for r in results if not isinstance(r, Exception)]
    assert len(stored) == 5
    with app.app_context():
        rows = {q.id: q for q in db.session.scalars(select(Question))}
        db.session.remove()
    assert len(rows) == 5
    for info in stored:  # each id is the row of that sender's question
        row = rows[info.id]
        assert (row.user_id, row.text, row.anonymous, row.status) == (
            info.user_id,
            info.text,
            info.anonymous,
            info.status,
        )
        assert info.text in (f"Question of {info.user_id}", "A second one")

    lines = [room_services.NewChat(p, f"B {n}", session_id, f"Line of {p}") for n, p in enumerate(people)]
    lines.insert(2, room_services.NewChat(people[3], "B 3", session_id, "Flooding"))
    results, commits = _in_one_batch(app, room_services.store_chats, lines)
    assert commits == 1
    assert [_code(r) for r in results if isinstance(r, Exception)] == ["rate_limited"]
    with app.app_context():
        stored_lines = {m.id: (m.user_id, m.text) for m in db.session.scalars(select(ChatMessage))}
        db.session.remove()
    sent = [r for r in results if not isinstance(r, Exception)]
    assert len(stored_lines) == len(sent) == 5
    for body in sent:  # each id is the row of that sender's line
        assert stored_lines[body["id"]] == (body["author"]["id"], body["text"])
        assert body["text"] in (f"Line of {body['author']['id']}", "Flooding")


def test_an_item_is_written_after_those_that_arrived_before_it_in_its_batch(backend):
    """An upvote (a bulk item) and then its unvote (one by one) from another tab, in one batch."""
    app, session_id, _moderator_id, attendees = backend
    question = _question(app, session_id, attendees[6])
    writer = group_commit.writer(app)
    before = writer.commits
    outcomes: dict[str, object] = {}

    def send(name, submit):
        with app.app_context():
            try:
                outcomes[name] = submit()
            except Exception as exc:  # noqa: BLE001 - the outcome under test
                outcomes[name] = exc
            finally:
                db.session.remove()

    upvote = threading.Thread(
        target=send,
        args=(
            "upvote",
            lambda: group_commit.submit_bulk(room_services.store_upvotes, (attendees[0], question)),
        ),
    )
    unvote = threading.Thread(
        target=send,
        args=(
            "unvote",
            lambda: group_commit.submit(
                lambda session: room_services.remove_upvote(session, attendees[0], question)
            ),
        ),
    )
    upvote.start()
    time.sleep(0.1)  # well inside the batch's half-second window
    unvote.start()
    upvote.join()
    unvote.join()
    assert writer.commits - before == 1
    assert outcomes == {"upvote": 1, "unvote": 0}, outcomes
    assert _count(app, select(func.count()).select_from(QuestionVote)) == 0


def test_a_batch_of_joins_is_written_with_a_few_statements_whatever_its_size(backend, caplog):
    """Seven joins of one batch: one rate-limit upsert, one read of the sockets' rooms, one INSERT of
    the presence rows and one of the visits, one count of the people online (not one of each per
    join); a socket switching rooms leaves its old one, a flooding person is refused alone."""
    from statements_support import statements

    from conference.rooms.models import RoomPresence, RoomVisit
    from conference.rooms.presence import Entry

    app, session_id, _moderator_id, attendees = backend
    app.config["ROOMS_RATE_LIMITS"] = {"join": (2, 3600)}
    with app.app_context():
        other = ProgrammeSession(
            event_id=db.session.get_one(ProgrammeSession, session_id).event_id,
            title="Workshop",
            kind="workshop",
            starts_at=datetime(2030, 5, 6, tzinfo=UTC),
            ends_at=datetime(2030, 5, 6, 1, tzinfo=UTC),
        )
        db.session.add(other)
        db.session.commit()
        other_id, engine = other.id, db.engine
        db.session.remove()
    first, _ = _in_one_batch(
        app,
        room_services.store_entries,
        [
            Entry(attendees[0], other_id, "switcher"),
            *(Entry(attendees[6], other_id, f"flood-{n}") for n in (1, 2)),
        ],
    )
    assert sorted(first, key=str) == [room_services.Entered(None, 2)] * 3
    caplog.set_level(logging.INFO, logger="conference.group_commit")

    entries = [Entry(person, session_id, f"sid-{person}") for person in attendees[1:6]]
    entries += [
        Entry(attendees[0], session_id, "switcher"),  # from the workshop into the plenary
        Entry(attendees[6], session_id, "flood-3"),  # over the limit of 2 joins
        Entry(attendees[1], session_id, "projector", screen=True),  # counts nobody
    ]
    with statements(engine) as seen:
        results, commits = _in_one_batch(app, room_services.store_entries, entries)

    assert commits == 1
    people = 6  # attendees[0:6] are in the plenary now, the switcher included
    assert results[:5] == [room_services.Entered(None, people)] * 5
    assert results[5] == room_services.Entered(other_id, people)
    assert _code(results[6]) == "rate_limited"
    assert results[7] == room_services.Entered(None, people)
    assert FALLBACK not in caplog.text
    writes = [s for s in seen if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert len([s for s in writes if s.startswith("INSERT INTO room_presence")]) == 2  # batch + switch
    assert len([s for s in writes if s.startswith("INSERT INTO room_visits")]) == 2
    assert len([s for s in seen if "count(distinct(room_presence.user_id))" in s]) == 1
    # one for the people named once, one per join of the person named twice (ratelimit.hit_many)
    assert len([s for s in seen if s.startswith("INSERT INTO rate_counters")]) == 3
    rooms = dict(
        zip(
            ["switcher", "flood-3", "projector"],
            [
                _count(app, select(RoomPresence.session_id).where(RoomPresence.sid == s))
                for s in ("switcher", "flood-3", "projector")
            ],
            strict=True,
        )
    )
    assert rooms == {"switcher": session_id, "flood-3": None, "projector": session_id}
    assert _count(app, select(func.count()).select_from(RoomVisit).where(RoomVisit.left_at.is_not(None))) == 1
    assert _count(app, select(func.count()).select_from(RoomVisit)) == 3 + 6  # none for the screen


def test_a_batch_counts_its_flood_limits_in_one_statement_as_one_by_one_would(backend):
    """ratelimit.consume_many (store_questions, store_chats, store_upvotes): the keys named once
    share one upsert and one clean-up of their old windows; a key named several times is counted hit
    by hit; the answers and the counters are those of the same hits one by one."""
    from statements_support import statements

    from conference.rooms import ratelimit
    from conference.rooms.models import RateCounter

    app = backend[0]
    window = 10**6
    limiter = ratelimit.DatabaseRateLimiter()
    with app.app_context():
        assert limiter.hit(db.session, "full", 2, window) and limiter.hit(db.session, "full", 2, window)
        assert limiter.hit(db.session, "twice", 2, window)
        db.session.add(RateCounter(key="old", window_start=0, hits=9))  # an earlier window
        db.session.commit()
        keys = ["fresh", "full", "twice", "old", "twice", "twice", "other"]
        with statements(db.engine) as seen:
            allowed = limiter.hit_many(db.session, keys, 2, window)
        db.session.commit()
        assert allowed == [True, False, True, True, False, False, True]
        assert len([s for s in seen if s.upper().startswith("INSERT")]) == 1 + 3  # "twice" hit by hit
        assert len([s for s in seen if s.upper().startswith("DELETE")]) == 1  # "fresh", "old", "other"
        counters = dict(db.session.execute(select(RateCounter.key, RateCounter.hits)).all())
        assert counters == {"fresh": 1, "full": 2, "twice": 2, "old": 1, "other": 1}
        db.session.remove()
