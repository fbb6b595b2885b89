"""The event's registration rules: window, modes offered, capacities, the waiting list, approval, and the signal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from concurrency_support import run_together
from sqlalchemy import select

from conference.db_types import utcnow
from conference.errors import Conflict, ServiceError
from conference.extensions import db
from conference.hooks import registration_changed
from conference.programme.models import Event
from conference.registrations import services
from conference.registrations.models import Registration


@pytest.fixture()
def settings(app, make_event):
    """An event whose registration settings a test sets: settings(**columns) -> the event id."""

    def apply(**columns) -> int:
        event = make_event()
        with app.app_context():
            row = db.session.get(Event, event.id)
            for name, value in columns.items():
                setattr(row, name, value)
            db.session.commit()
            return row.id

    return apply


@pytest.fixture()
def signals():
    """Every registration_changed signal: (user id, change, whether the session was still uncommitted)."""
    received = []

    def receiver(registration, db, change, **_):
        received.append((registration.user_id, change, registration in db and db().in_transaction()))

    registration_changed.connect(receiver)
    yield received
    registration_changed.disconnect(receiver)


def sign_up(user, event_id, mode="in_person", **kwargs):
    return services.register(
        db.session, db.session.merge(user), db.session.get(Event, event_id), mode, **kwargs
    )


def status_of(user, event_id) -> str:
    db.session.expire_all()
    return db.session.scalar(
        select(Registration.status).where(Registration.user_id == user.id, Registration.event_id == event_id)
    )


def test_the_window_refuses_too_early_and_too_late_but_not_organisers(app, settings, make_user):
    early = settings(registration_opens_at=utcnow() + timedelta(days=1))
    late = settings(registration_closes_at=utcnow() - timedelta(minutes=1))
    user = make_user()
    with app.app_context():
        with pytest.raises(ServiceError) as too_early:
            sign_up(user, early)
        assert too_early.value.code == "registration_not_open"
        with pytest.raises(ServiceError) as too_late:
            sign_up(user, late)
        assert too_late.value.code == "registration_closed"
        assert db.session.scalar(select(Registration.id)) is None
        assert sign_up(user, late, by_organiser=True).status == "confirmed"


def test_a_mode_the_event_does_not_offer_is_refused(app, settings, make_user):
    online_only = settings(modes_offered="online")
    user = make_user()
    with app.app_context():
        with pytest.raises(ServiceError) as exc:
            sign_up(user, online_only, "in_person")
        assert exc.value.code == "mode_not_offered" and "online only" in exc.value.message
        assert sign_up(user, online_only, "online").status == "confirmed"


def test_online_full_is_refused(app, settings, make_user):
    event_id = settings(online_capacity=1)
    first, second = make_user(), make_user()
    with app.app_context():
        sign_up(first, event_id, "online")
        with pytest.raises(Conflict) as exc:
            sign_up(second, event_id, "online")
        assert exc.value.code == "online_full"
        assert status_of(second, event_id) is None
        assert sign_up(second, event_id, "in_person").status == "confirmed"


def test_in_person_full_goes_to_the_waiting_list_promoted_in_order(app, settings, make_user, signals):
    event_id = settings(in_person_capacity=2)
    a, b, c, d, e = (make_user() for _ in range(5))
    with app.app_context():
        assert [sign_up(u, event_id).status for u in (a, b, c, d)] == [
            "confirmed",
            "confirmed",
            "waitlisted",
            "waitlisted",
        ]
        registration_a = services.find_registration(db.session, a.id, event_id)
        services.cancel_registration(db.session, registration_a)
        assert status_of(c, event_id) == "confirmed" and status_of(d, event_id) == "waitlisted"
        # A confirmed participant moving online frees a place too; the next in line gets it.
        services.change_mode(db.session, services.find_registration(db.session, b.id, event_id), "online")
        assert status_of(d, event_id) == "confirmed"
        # Full again: a newcomer waits even though someone left the queue.
        assert sign_up(e, event_id).status == "waitlisted"
    assert signals == [
        (a.id, "confirmed", True),
        (b.id, "confirmed", True),
        (c.id, "waitlisted", True),
        (d.id, "waitlisted", True),
        (a.id, "cancelled", True),
        (c.id, "confirmed", True),
        (d.id, "confirmed", True),
        (e.id, "waitlisted", True),
    ]


def test_declining_a_waiting_person_lets_the_next_one_keep_order(app, settings, make_user):
    event_id = settings(in_person_capacity=1)
    a, b, c = make_user(), make_user(), make_user()
    with app.app_context():
        for user in (a, b, c):
            sign_up(user, event_id)
        services.decline(db.session, services.find_registration(db.session, b.id, event_id))
        services.cancel_registration(db.session, services.find_registration(db.session, a.id, event_id))
        assert (status_of(b, event_id), status_of(c, event_id)) == ("declined", "confirmed")


def test_moving_in_person_needs_a_free_place(app, settings, make_user):
    event_id = settings(in_person_capacity=1)
    a, b = make_user(), make_user()
    with app.app_context():
        sign_up(a, event_id)
        online = sign_up(b, event_id, "online")
        with pytest.raises(Conflict) as exc:
            services.change_mode(db.session, online, "in_person")
        assert exc.value.code == "in_person_full"
        assert status_of(b, event_id) == "confirmed"
        assert db.session.get(Registration, online.id).mode == "online"


def test_a_waiting_person_moving_online_is_confirmed_online(app, settings, make_user):
    event_id = settings(in_person_capacity=1)
    a, b = make_user(), make_user()
    with app.app_context():
        sign_up(a, event_id)
        waiting = sign_up(b, event_id)
        services.change_mode(db.session, waiting, "online")
        assert (
            status_of(b, event_id) == "confirmed"
            and db.session.get(Registration, waiting.id).mode == "online"
        )


def test_approval_pending_then_confirmed_waitlisted_or_declined(app, settings, make_user, signals):
    event_id = settings(requires_approval=True, in_person_capacity=1)
    a, b, c = make_user(), make_user(), make_user()
    with app.app_context():
        assert [sign_up(u, event_id).status for u in (a, b, c)] == ["pending"] * 3
        services.approve(db.session, services.find_registration(db.session, a.id, event_id))
        services.approve(db.session, services.find_registration(db.session, b.id, event_id))
        services.decline(db.session, services.find_registration(db.session, c.id, event_id))
        assert [status_of(u, event_id) for u in (a, b, c)] == ["confirmed", "waitlisted", "declined"]
        with pytest.raises(Conflict) as again:
            services.approve(db.session, services.find_registration(db.session, a.id, event_id))
        assert again.value.code == "not_pending"
        with pytest.raises(Conflict) as declined:
            sign_up(c, event_id)
        assert declined.value.code == "registration_declined"
        # An organiser may still add a declined person; their word is the approval.
        assert sign_up(c, event_id, "online", by_organiser=True).status == "confirmed"
    assert [change for _, change, _ in signals] == [
        "pending",
        "pending",
        "pending",
        "confirmed",
        "waitlisted",
        "declined",
        "confirmed",
    ]
    assert all(uncommitted for _, _, uncommitted in signals)


def test_raising_the_capacity_promotes_the_waiting_list(app, settings, make_user):
    event_id = settings(in_person_capacity=1)
    a, b, c = make_user(), make_user(), make_user()
    with app.app_context():
        for user in (a, b, c):
            sign_up(user, event_id)
        event = db.session.get(Event, event_id)
        event.in_person_capacity = 2
        db.session.commit()
        promoted = services.promote_waiting_list(db.session, event)
        assert [r.user_id for r in promoted] == [b.id]
        assert status_of(c, event_id) == "waitlisted"


def test_a_receiver_writes_in_the_same_transaction_as_the_change(app, settings, make_user):
    """A failing commit loses the receiver's row too: it is written with the registration or not at all."""
    event_id = settings()
    user = make_user()
    seen_ids = []

    def receiver(registration, db, change, **_):
        seen_ids.append(registration.id)  # the row has its id: flushed, not yet committed
        assert db().in_transaction()

    registration_changed.connect(receiver)
    try:
        with app.app_context():
            registration = sign_up(user, event_id)
    finally:
        registration_changed.disconnect(receiver)
    assert seen_ids == [registration.id]


@pytest.mark.parametrize("threads", [8])
def test_two_people_for_the_last_place_at_once_get_one_place(app, settings, make_user, threads):
    event_id = settings(in_person_capacity=1)
    users = [make_user() for _ in range(threads)]

    def attempt(n):
        registration = sign_up(users[n], event_id)
        if registration.status != "confirmed":
            raise ServiceError(registration.status)

    outcomes = run_together(app, attempt, threads)
    assert outcomes == ["ok"] + ["waitlisted"] * (threads - 1)
    with app.app_context():
        statuses = db.session.scalars(
            select(Registration.status).where(Registration.event_id == event_id)
        ).all()
        assert sorted(statuses) == ["confirmed"] + ["waitlisted"] * (threads - 1)


def test_cancellations_at_once_promote_each_waiting_person_once(app, settings, make_user):
    event_id = settings(in_person_capacity=3)
    users = [make_user() for _ in range(6)]
    with app.app_context():
        for user in users:
            sign_up(user, event_id)

    def cancel(n):
        services.cancel_registration(
            db.session, services.find_registration(db.session, users[n].id, event_id)
        )

    assert run_together(app, cancel, 3) == ["ok"] * 3
    with app.app_context():
        assert [status_of(u, event_id) for u in users] == ["cancelled"] * 3 + ["confirmed"] * 3
