"""Poll rules at the service level: drafting, opening, closing, voting, tallies, visibility, export."""

from __future__ import annotations

from datetime import timedelta

import pytest
from concurrency_support import run_together
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from conference.db_types import utcnow
from conference.errors import ServiceError
from conference.extensions import db as _db
from conference.programme.models import ProgrammeSession
from conference.rooms.polls import services
from conference.rooms.polls.models import Poll, PollAnswer, PollBallot, PollOption
from conference.rooms.polls.services import PollSpec, Vote


@pytest.fixture()
def room(db, make_user, make_event, make_registration):
    """A session with a moderator, two registered attendees and one unregistered attendee."""
    event = make_event()
    moderator, alice, bob, stranger = (make_user("moderator"), make_user(), make_user(), make_user())
    make_registration(alice, event)
    make_registration(bob, event)
    session = db.scalar(
        select(ProgrammeSession).where(
            ProgrammeSession.event_id == event.id, ProgrammeSession.kind == "plenary"
        )
    )

    class Room:
        session_id = session.id
        mod = db.merge(moderator)
        a = db.merge(alice)
        b = db.merge(bob)
        outsider = db.merge(stranger)

    return Room


def spec(kind="single", **fields) -> PollSpec:
    defaults = {"single": ["Yes", "No", "Abstain"], "multiple": ["Health", "Education", "Climate", "Trade"]}
    fields.setdefault("options", defaults.get(kind, []))
    return PollSpec(title=fields.pop("title", "What matters most?"), kind=kind, **fields)


def opened(db, room, kind="single", **fields) -> Poll:
    poll = services.create_poll(db, room.mod, room.session_id, spec(kind, **fields))
    return services.open_poll(db, room.mod, poll.id)


def code_of(call) -> str:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value.code


def ballots(db, poll_id) -> int:
    return db.scalar(select(func.count()).select_from(PollBallot).where(PollBallot.poll_id == poll_id))


def option_ids(poll) -> list[int]:
    return [o.id for o in poll.options]


# ------------------------------------------------------------------ drafting


def test_a_moderator_creates_a_draft_with_its_options_in_order(db, room):
    poll = services.create_poll(db, room.mod, room.session_id, spec("multiple", max_choices=2))
    assert poll.status == "draft" and poll.max_choices == 2
    assert [o.text for o in poll.options] == ["Health", "Education", "Climate", "Trade"]
    assert services.poll_dict(poll)["options"][0] == {
        "id": poll.options[0].id,
        "text": "Health",
        "translations": {},
    }


def test_defaults_fill_in_per_kind(db, room):
    rating = services.create_poll(db, room.mod, room.session_id, spec("rating"))
    multiple = services.create_poll(db, room.mod, room.session_id, spec("multiple"))
    assert rating.scale == 5 and rating.results_visibility == "live" and rating.allow_change is False
    assert multiple.max_choices == 4


def test_an_attendee_cannot_create_open_close_update_or_delete_polls(db, room):
    poll = services.create_poll(db, room.mod, room.session_id, spec())
    assert code_of(lambda: services.create_poll(db, room.a, room.session_id, spec())) == "forbidden"
    assert code_of(lambda: services.update_poll(db, room.a, poll.id, spec(title="Hijacked"))) == "forbidden"
    assert code_of(lambda: services.open_poll(db, room.a, poll.id)) == "forbidden"
    assert code_of(lambda: services.delete_poll(db, room.a, poll.id)) == "forbidden"
    services.open_poll(db, room.mod, poll.id)
    assert code_of(lambda: services.close_poll(db, room.a, poll.id)) == "forbidden"
    db.expire_all()
    assert db.get(Poll, poll.id).status == "open" and db.get(Poll, poll.id).title == "What matters most?"
    assert db.scalar(select(func.count()).select_from(Poll)) == 1


@pytest.mark.parametrize(
    "bad, code",
    [
        ({"title": "   "}, "title_required"),
        ({"title": "x" * 301}, "title_too_long"),
        ({"kind": "ranking"}, "invalid_kind"),
        ({"results": "sometimes"}, "invalid_results"),
        ({"options": ["Only one"]}, "invalid_options"),
        ({"options": [f"o{i}" for i in range(21)]}, "invalid_options"),
        ({"options": ["Yes", "  "]}, "invalid_options"),
        ({"options": ["Yes", "yes"]}, "duplicate_options"),
        ({"options": ["Yes", "n" * 201]}, "option_too_long"),
        ({"max_choices": 2}, "max_choices_not_allowed"),
        ({"kind": "multiple", "max_choices": 5}, "invalid_max_choices"),
        ({"kind": "multiple", "max_choices": 0}, "invalid_max_choices"),
        ({"kind": "rating", "scale": 7}, "invalid_scale"),
        ({"kind": "rating", "options": ["a", "b"]}, "options_not_allowed"),
        ({"kind": "word_cloud", "options": ["a", "b"]}, "options_not_allowed"),
        ({"scale": 5}, "scale_not_allowed"),
        ({"duration_s": 0}, "invalid_duration"),
        ({"duration_s": 86401}, "invalid_duration"),
    ],
)
def test_bad_poll_specs_are_refused_and_nothing_is_stored(db, room, bad, code):
    kind = bad.pop("kind", "single")
    assert code_of(lambda: services.create_poll(db, room.mod, room.session_id, spec(kind, **bad))) == code
    assert db.scalar(select(func.count()).select_from(Poll)) == 0


def test_a_poll_in_an_unknown_session_is_refused(db, room):
    assert code_of(lambda: services.create_poll(db, room.mod, 9999, spec())) == "session_not_found"


def test_a_draft_can_be_rewritten_but_not_an_opened_poll(db, room):
    poll = services.create_poll(db, room.mod, room.session_id, spec())
    services.update_poll(db, room.mod, poll.id, spec("multiple", title="Pick two", max_choices=2))
    db.expire_all()
    poll = db.get(Poll, poll.id)
    assert (poll.title, poll.kind, len(poll.options)) == ("Pick two", "multiple", 4)
    assert db.scalar(select(func.count()).select_from(PollOption)) == 4
    services.open_poll(db, room.mod, poll.id)
    assert (
        code_of(lambda: services.update_poll(db, room.mod, poll.id, spec(title="Changed"))) == "not_a_draft"
    )
    db.expire_all()
    assert db.get(Poll, poll.id).title == "Pick two"


def test_delete_removes_a_draft_or_a_closed_poll_with_its_ballots_but_not_an_open_one(db, room):
    draft = services.create_poll(db, room.mod, room.session_id, spec())
    services.delete_poll(db, room.mod, draft.id)
    poll = opened(db, room)
    services.cast_vote(db, room.a, poll.id, Vote(choices=[poll.options[0].id]))
    assert code_of(lambda: services.delete_poll(db, room.mod, poll.id)) == "poll_open"
    services.close_poll(db, room.mod, poll.id)
    services.delete_poll(db, room.mod, poll.id)
    for model in (Poll, PollOption, PollBallot, PollAnswer):
        assert db.scalar(select(func.count()).select_from(model)) == 0
    assert code_of(lambda: services.delete_poll(db, room.mod, 9999)) == "poll_not_found"


# ------------------------------------------------------------------ opening and closing


def test_open_then_close_moves_through_the_statuses_once(db, room):
    poll = services.create_poll(db, room.mod, room.session_id, spec())
    assert code_of(lambda: services.close_poll(db, room.mod, poll.id)) == "poll_not_open"
    poll = services.open_poll(db, room.mod, poll.id)
    assert poll.status == "open" and poll.opened_at is not None and poll.closes_at is None
    assert code_of(lambda: services.open_poll(db, room.mod, poll.id)) == "not_a_draft"
    poll = services.close_poll(db, room.mod, poll.id)
    assert poll.status == "closed" and poll.closed_at is not None
    assert code_of(lambda: services.close_poll(db, room.mod, poll.id)) == "poll_not_open"
    assert code_of(lambda: services.open_poll(db, room.mod, poll.id)) == "not_a_draft"


def test_a_timed_poll_gets_a_deadline_and_closes_itself_at_it(db, room):
    start = utcnow()
    poll = services.create_poll(db, room.mod, room.session_id, spec(duration_s=30))
    poll = services.open_poll(db, room.mod, poll.id, now=start)
    assert poll.closes_at == start + timedelta(seconds=30)
    assert services.poll_dict(poll, now=start + timedelta(seconds=10))["remaining_s"] == 20
    assert services.close_if_due(db, poll.id, now=start + timedelta(seconds=29)) is None
    assert services.close_due_polls(db, session_id=room.session_id, now=start + timedelta(seconds=29)) == []
    # Noticed late (say, after a restart): it still closes at its deadline.
    closed = services.close_due_polls(db, session_id=room.session_id, now=start + timedelta(minutes=5))
    assert [p.id for p in closed] == [poll.id]
    assert closed[0].status == "closed" and closed[0].closed_at == poll.closes_at
    assert services.close_due_polls(db, now=start + timedelta(minutes=6)) == []


def test_a_vote_after_the_deadline_is_refused_even_before_the_timer_ran(db, room):
    start = utcnow() - timedelta(seconds=60)
    poll = services.create_poll(db, room.mod, room.session_id, spec(duration_s=30))
    poll = services.open_poll(db, room.mod, poll.id, now=start)
    assert (
        code_of(lambda: services.cast_vote(db, room.a, poll.id, Vote(choices=[poll.options[0].id])))
        == "poll_closed"
    )
    assert ballots(db, poll.id) == 0


# ------------------------------------------------------------------ voting


def test_single_choice_vote_is_counted_by_the_tally(db, room):
    poll = opened(db, room)
    yes, no, _ = option_ids(poll)
    first = services.cast_vote(db, room.a, poll.id, Vote(choices=[yes]))
    second = services.cast_vote(db, room.b, poll.id, Vote(choices=[no]))
    assert (first.changed, first.version, second.version) == (False, 1, 2)
    tally = services.tally(db, poll)
    assert tally["counts"] == {str(yes): 1, str(no): 1, str(poll.options[2].id): 0}
    assert tally["total"] == 2 and tally["version"] == 2


def test_a_multiple_choice_ballot_is_one_vote_with_several_choices(db, room):
    poll = opened(db, room, "multiple", max_choices=2)
    health, education, climate, _ = option_ids(poll)
    services.cast_vote(db, room.a, poll.id, Vote(choices=[health, climate]))
    services.cast_vote(db, room.b, poll.id, Vote(choices=[climate]))
    tally = services.tally(db, poll)
    assert tally["total"] == 2
    assert tally["counts"][str(climate)] == 2 and tally["counts"][str(health)] == 1
    assert tally["counts"][str(education)] == 0
    assert ballots(db, poll.id) == 2


def test_rating_tally_counts_each_value_and_the_mean(db, room):
    poll = opened(db, room, "rating", scale=10)
    services.cast_vote(db, room.a, poll.id, Vote(rating=10))
    services.cast_vote(db, room.b, poll.id, Vote(rating=7))
    tally = services.tally(db, poll)
    assert len(tally["counts"]) == 10 and tally["counts"]["10"] == 1 and tally["counts"]["7"] == 1
    assert tally["counts"]["1"] == 0 and tally["mean"] == 8.5 and tally["total"] == 2


def test_word_cloud_counts_words_case_insensitively_once_per_ballot(db, room):
    poll = opened(db, room, "word_cloud")
    services.cast_vote(db, room.a, poll.id, Vote(words=["Trust", "  open   data ", "trust"]))
    services.cast_vote(db, room.b, poll.id, Vote(text="TRUST"))
    tally = services.tally(db, poll)
    assert tally["words"] == {"trust": 2, "open data": 1} and tally["total"] == 2


def test_open_text_lists_the_answers_newest_first(db, room):
    poll = opened(db, room, "open_text")
    services.cast_vote(db, room.a, poll.id, Vote(text="<script>alert(1)</script> more capacity building"))
    services.cast_vote(db, room.b, poll.id, Vote(text="Data sharing"))
    tally = services.tally(db, poll)
    assert tally["texts"] == ["Data sharing", "<script>alert(1)</script> more capacity building"]
    assert tally["total"] == 2


def test_a_second_vote_is_refused_when_changes_are_off(db, room):
    poll = opened(db, room)
    yes, no, _ = option_ids(poll)
    services.cast_vote(db, room.a, poll.id, Vote(choices=[yes]))
    assert code_of(lambda: services.cast_vote(db, room.a, poll.id, Vote(choices=[no]))) == "already_voted"
    assert ballots(db, poll.id) == 1
    assert services.tally(db, poll)["counts"][str(yes)] == 1 and services.tally(db, poll)["version"] == 1


def test_changing_a_ballot_replaces_it_when_allowed(db, room):
    poll = opened(db, room, "multiple", allow_change=True)
    health, education, climate, trade = option_ids(poll)
    services.cast_vote(db, room.a, poll.id, Vote(choices=[health, education]))
    receipt = services.cast_vote(db, room.a, poll.id, Vote(choices=[trade]))
    assert receipt.changed and receipt.ballot.revision == 2 and receipt.ballot.changed_at is not None
    tally = services.tally(db, poll)
    assert tally["total"] == 1 and tally["counts"] == {
        str(health): 0,
        str(education): 0,
        str(climate): 0,
        str(trade): 1,
    }
    assert services.ballot_dict(receipt.ballot)["choices"] == [trade]


def test_no_vote_on_a_closed_poll_not_even_a_change(db, room):
    poll = opened(db, room, allow_change=True)
    yes, no, _ = option_ids(poll)
    services.cast_vote(db, room.a, poll.id, Vote(choices=[yes]))
    services.close_poll(db, room.mod, poll.id)
    assert code_of(lambda: services.cast_vote(db, room.b, poll.id, Vote(choices=[yes]))) == "poll_closed"
    assert code_of(lambda: services.cast_vote(db, room.a, poll.id, Vote(choices=[no]))) == "poll_closed"
    assert services.tally(db, poll)["counts"][str(yes)] == 1 and ballots(db, poll.id) == 1


def test_a_closed_room_takes_no_more_ballots(db, room):
    from conference.rooms import services as rooms

    poll = opened(db, room)
    yes = option_ids(poll)[0]
    services.cast_vote(db, room.a, poll.id, Vote(choices=[yes]))
    rooms.close_room(db, room.mod, room.session_id)
    assert code_of(lambda: services.cast_vote(db, room.b, poll.id, Vote(choices=[yes]))) == "room_closed"
    assert ballots(db, poll.id) == 1
    rooms.reopen_room(db, room.mod, room.session_id)
    services.cast_vote(db, room.b, poll.id, Vote(choices=[yes]))
    assert ballots(db, poll.id) == 2


def test_unknown_and_draft_polls_are_not_found_for_participants(db, room):
    draft = services.create_poll(db, room.mod, room.session_id, spec())
    assert code_of(lambda: services.cast_vote(db, room.a, 9999, Vote(choices=[1]))) == "poll_not_found"
    assert (
        code_of(lambda: services.cast_vote(db, room.a, draft.id, Vote(choices=[draft.options[0].id])))
        == "poll_not_found"
    )
    assert (
        code_of(lambda: services.cast_vote(db, room.mod, draft.id, Vote(choices=[draft.options[0].id])))
        == "poll_not_open"
    )
    assert db.scalar(select(func.count()).select_from(PollBallot)) == 0


def test_only_registered_participants_and_organisers_vote(db, room):
    poll = opened(db, room)
    assert (
        code_of(lambda: services.cast_vote(db, room.outsider, poll.id, Vote(choices=[poll.options[0].id])))
        == "not_registered"
    )
    services.cast_vote(db, room.mod, poll.id, Vote(choices=[poll.options[0].id]))
    assert ballots(db, poll.id) == 1


def test_an_option_of_another_poll_is_refused(db, room):
    poll = opened(db, room)
    other = opened(db, room, title="Another question")
    assert (
        code_of(lambda: services.cast_vote(db, room.a, poll.id, Vote(choices=[other.options[0].id])))
        == "unknown_option"
    )
    assert ballots(db, poll.id) == 0


def test_the_database_itself_refuses_an_answer_naming_another_polls_option(db, room):
    poll, other = opened(db, room), opened(db, room, title="Another question")
    ballot = PollBallot(poll_id=poll.id, user_id=room.a.id)
    ballot.answers = [PollAnswer(poll_id=poll.id, option_id=other.options[0].id)]
    db.add(ballot)
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    assert ballots(db, poll.id) == 0


@pytest.mark.parametrize(
    "kind, vote, code",
    [
        ("single", Vote(choices=[]), "invalid_choices"),
        ("single", "two options", "too_many_choices"),
        ("single", "same option twice", "invalid_choices"),
        ("single", Vote(rating=3), "invalid_answer"),
        ("single", Vote(), "invalid_answer"),
        ("multiple", "three options", "too_many_choices"),
        ("rating", Vote(rating=0), "rating_out_of_range"),
        ("rating", Vote(rating=6), "rating_out_of_range"),
        ("rating", Vote(rating=-1), "rating_out_of_range"),
        ("rating", Vote(choices=[1]), "invalid_answer"),
        ("rating", Vote(rating=3, text="and a comment"), "invalid_answer"),
        ("word_cloud", Vote(words=["w" * 41]), "word_too_long"),
        ("word_cloud", Vote(text="w" * 41), "word_too_long"),
        ("word_cloud", Vote(words=["  "]), "empty_answer"),
        ("word_cloud", Vote(words=[]), "empty_answer"),
        ("word_cloud", Vote(words=["a", "b", "c", "d"]), "too_many_words"),
        ("open_text", Vote(text="   "), "empty_answer"),
        ("open_text", Vote(text="t" * 501), "text_too_long"),
        ("open_text", Vote(words=["hello"]), "invalid_answer"),
    ],
)
def test_bad_ballots_get_a_clear_error_and_change_nothing(db, room, kind, vote, code):
    poll = opened(db, room, kind, max_choices=2) if kind == "multiple" else opened(db, room, kind)
    ids = option_ids(poll)
    if isinstance(vote, str):
        vote = {
            "two options": Vote(choices=ids[:2]),
            "same option twice": Vote(choices=[ids[0], ids[0]]),
            "three options": Vote(choices=ids[:3]),
        }[vote]
    assert code_of(lambda: services.cast_vote(db, room.a, poll.id, vote)) == code
    assert ballots(db, poll.id) == 0
    assert db.get(Poll, poll.id).votes_version == 0


def test_a_word_of_exactly_40_characters_is_accepted(db, room):
    poll = opened(db, room, "word_cloud")
    services.cast_vote(db, room.a, poll.id, Vote(words=["w" * 40]))
    assert services.tally(db, poll)["words"] == {"w" * 40: 1}


def test_simultaneous_votes_of_one_person_leave_one_ballot(app, room):
    with app.app_context():
        poll = opened(_db.session, room)
        poll_id, choice, user_id = poll.id, poll.options[0].id, room.a.id
    user_type = type(room.a)
    outcomes = run_together(
        app,
        lambda _n: services.cast_vote(
            _db.session, _db.session.get(user_type, user_id), poll_id, Vote(choices=[choice])
        ),
        8,
    )
    assert outcomes == ["already_voted"] * 7 + ["ok"]
    with app.app_context():
        assert ballots(_db.session, poll_id) == 1
        assert _db.session.get(Poll, poll_id).votes_version == 1


# ------------------------------------------------------------------ visibility and join state


@pytest.mark.parametrize(
    "visibility, while_open, after_close",
    [
        ("live", True, True),
        ("after_close", False, True),
        ("hidden", False, False),
    ],
)
def test_participants_see_results_per_the_polls_visibility(db, room, visibility, while_open, after_close):
    poll = opened(db, room, results=visibility)
    assert services.may_see_results(db, room.a, poll) is while_open
    assert services.may_see_results(db, room.mod, poll) is True
    poll = services.close_poll(db, room.mod, poll.id)
    assert services.may_see_results(db, room.a, poll) is after_close
    assert services.may_see_results(db, room.mod, poll) is True


def join_polls(db, user, session_id) -> dict:
    """The polls part of the state `join` hands this user, by title."""
    services.close_due_polls(db, session_id=session_id)
    state = services.polls_state(db, user, db.get(ProgrammeSession, session_id))
    return {p["title"]: p for p in state["polls"]}


def test_join_state_gives_participants_open_polls_their_ballot_and_only_visible_results(db, room):
    services.create_poll(db, room.mod, room.session_id, spec(title="Draft"))
    live = opened(db, room, title="Live")
    after = opened(db, room, title="After close", results="after_close")
    hidden = opened(db, room, title="Hidden", results="hidden")
    hidden_closed = opened(db, room, title="Hidden closed", results="hidden")
    after_closed = opened(db, room, title="After closed", results="after_close")
    for poll in (live, after, hidden, hidden_closed, after_closed):
        services.cast_vote(db, room.a, poll.id, Vote(choices=[poll.options[1].id]))
    services.close_poll(db, room.mod, hidden_closed.id)
    services.close_poll(db, room.mod, after_closed.id)

    seen = join_polls(db, room.a, room.session_id)
    assert set(seen) == {"Live", "After close", "Hidden", "After closed"}
    assert seen["Live"]["tally"]["counts"][str(live.options[1].id)] == 1
    assert seen["After close"]["tally"] is None and seen["Hidden"]["tally"] is None
    assert seen["After closed"]["tally"]["total"] == 1 and seen["After closed"]["status"] == "closed"
    assert seen["Hidden"]["my_ballot"]["choices"] == [hidden.options[1].id]

    other = join_polls(db, room.b, room.session_id)
    assert other["Live"]["my_ballot"] is None

    moderator = join_polls(db, room.mod, room.session_id)
    assert set(moderator) == {"Draft", "Live", "After close", "Hidden", "Hidden closed", "After closed"}
    assert all(p["tally"] is not None for title, p in moderator.items() if title != "Draft")


def test_join_state_closes_polls_whose_time_ran_out(db, room):
    poll = services.create_poll(db, room.mod, room.session_id, spec(duration_s=10))
    services.open_poll(db, room.mod, poll.id, now=utcnow() - timedelta(seconds=11))
    seen = join_polls(db, room.a, room.session_id)
    assert seen["What matters most?"]["status"] == "closed"
    db.expire_all()
    assert db.get(Poll, poll.id).status == "closed"


# ------------------------------------------------------------------ export


def test_csv_export_has_counts_totals_and_defuses_formulas(db, room):
    poll = opened(db, room, "word_cloud")
    services.cast_vote(db, room.a, poll.id, Vote(words=["=HYPERLINK(1)", "trust"]))
    services.cast_vote(db, room.b, poll.id, Vote(words=["trust"]))
    lines = services.export_csv(db, room.mod, poll.id).splitlines()
    assert lines[0] == "poll_id,poll_title,kind,status,answer,count,total_voters"
    assert lines[1] == f"{poll.id},What matters most?,word_cloud,open,trust,2,2"
    assert lines[2] == f"{poll.id},What matters most?,word_cloud,open,'=hyperlink(1),1,2"


def test_csv_export_lists_every_option_and_is_for_organisers_only(db, room):
    poll = opened(db, room)
    services.cast_vote(db, room.a, poll.id, Vote(choices=[poll.options[0].id]))
    lines = services.export_csv(db, room.mod, poll.id).splitlines()
    assert [line.split(",")[4:] for line in lines[1:]] == [
        ["Yes", "1", "1"],
        ["No", "0", "1"],
        ["Abstain", "0", "1"],
    ]
    assert code_of(lambda: services.export_csv(db, room.a, poll.id)) == "forbidden"
    assert code_of(lambda: services.export_csv(db, room.mod, 9999)) == "poll_not_found"
