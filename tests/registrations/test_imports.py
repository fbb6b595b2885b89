"""The organisers' CSV: a plan that writes nothing and lists every bad row, then applying it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from conference.accounts.models import User
from conference.errors import Conflict
from conference.extensions import db
from conference.hooks import registration_changed
from conference.programme.models import Event
from conference.registrations import services
from conference.registrations.imports import apply_import, plan_import
from conference.registrations.models import Registration, RegistrationField
from conference.registrations.services import ImportError_

HEADER = "email,name,organisation,country,mode,gender,topics\n"


@pytest.fixture()
def event(app, make_event):
    event = make_event()
    with app.app_context():
        db.session.add_all(
            [
                RegistrationField(
                    event_id=event.id,
                    key="gender",
                    label="Gender",
                    kind="choice",
                    choices=["Woman", "Man"],
                    position=0,
                ),
                RegistrationField(
                    event_id=event.id,
                    key="topics",
                    label="Topics",
                    kind="multi",
                    choices=["AI", "Data"],
                    position=1,
                ),
            ]
        )
        row = db.session.get(Event, event.id)
        row.in_person_capacity = 2
        db.session.commit()
    return event


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_every_bad_row_is_reported_by_line_and_nothing_is_written(app, event):
    text = HEADER + (
        "a@example.org,Ana,Org,BR,in_person,Woman,AI\n"
        "not-an-email,Bo,Org,CN,online,,\n"
        "c@example.org,,Org,XX,hybrid,Robot,AI;Space\n"
        "a@example.org,Ana twice,Org,BR,online,,\n"
        "d@example.org,Di,Org,KR,online,,,extra\n"
    )
    with app.app_context():
        plan = plan_import(db.session, db.session.get(Event, event.id), text)
        assert plan.messages == [
            "line 3: 'not-an-email' is not a valid e-mail address",
            "line 4: 'XX' is not an ISO 3166-1 alpha-2 country code",
            "line 4: a name of 1 to 200 characters is required",
            "line 4: mode must be in_person or online, not 'hybrid'",
            "line 4: gender: 'Robot' is not one of the choices",
            "line 4: topics: 'Space' is not one of the choices",
            "line 5: a@example.org already appears on line 2",
            "line 6: too many fields",
        ]
        with pytest.raises(ImportError_) as exc:
            apply_import(db.session, db.session.get(Event, event.id), text)
        assert exc.value.details["line"] == 3 and len(exc.value.details["problems"]) == 8
        assert count(User) == 0 and count(Registration) == 0


def sign_up(app, user, event, mode):
    """Register through the service with the event as stored (make_registration merges a stale copy)."""
    with app.app_context():
        registration = services.register(
            db.session, db.session.merge(user), db.session.get(Event, event.id), mode
        )
        return registration.id


def test_the_plan_says_what_is_created_changed_and_waitlisted_then_apply_does_it(app, event, make_user):
    existing = make_user(email="known@example.org", name="Known Person")
    registered = make_user(email="reg@example.org", name="Registered Person")
    sign_up(app, registered, event, "online")
    gone = make_user(email="gone@example.org", name="Gone Person")
    cancelled = sign_up(app, gone, event, "online")
    with app.app_context():
        services.cancel_registration(db.session, db.session.get(Registration, cancelled))
    text = HEADER + (
        "new1@example.org,New One,Org,BR,in_person,woman,AI; data\n"
        "known@example.org,Known Renamed,Org,KR,in_person,Man,\n"
        "reg@example.org,Registered Person,Org,KR,online,Woman,\n"
        "gone@example.org,Gone Person,Org,KR,online,,\n"
        "new2@example.org,New Two,Org,FR,in_person,,\n"
    )
    signals = []

    def receiver(registration, db, change, **_):
        return signals.append((registration.user_id, change))

    registration_changed.connect(receiver)
    try:
        with app.app_context():
            e = db.session.get(Event, event.id)
            plan = plan_import(db.session, e, text)
            db.session.rollback()
            assert plan.ok and count(User) == 3  # the plan wrote nothing
            assert [(r.line, r.action, r.status, r.changes) for r in plan.rows] == [
                (2, "create", "confirmed", []),
                (3, "register", "confirmed", []),
                (4, "change", "confirmed", ["answers: gender"]),
                (5, "change", "confirmed", ["registered again (was cancelled)"]),
                (6, "create", "waitlisted", []),  # the two in-person places went to lines 2 and 3
            ]
            assert plan.rows[0].answers == {"gender": "Woman", "topics": ["AI", "Data"]}
            result = apply_import(db.session, e, text, expected_digest=plan.digest())
            assert (
                result.rows,
                result.users_created,
                result.registrations_created,
                result.already_registered,
                result.changed,
                result.waitlisted,
            ) == (5, 2, 3, 2, 2, 1)
            assert db.session.get(User, existing.id).name == "Known Person"  # accounts keep their details
            rows = dict(db.session.execute(select(User.email, Registration.status).join(User)).all())
            assert rows == {
                "new1@example.org": "confirmed",
                "known@example.org": "confirmed",
                "reg@example.org": "confirmed",
                "gone@example.org": "confirmed",
                "new2@example.org": "waitlisted",
            }
            again = plan_import(db.session, e, text)
            assert [r.action for r in again.rows] == ["unchanged"] * 5
    finally:
        registration_changed.disconnect(receiver)
    by_user = dict(signals)
    assert len(signals) == 4 and by_user[gone.id] == "confirmed"
    assert sorted(by_user.values()) == ["confirmed", "confirmed", "confirmed", "waitlisted"]


def test_a_plan_that_changed_since_the_preview_is_not_applied(app, event, make_user):
    text = HEADER + "a@example.org,Ana,Org,BR,in_person,,\nb@example.org,Bo,Org,BR,in_person,,\n"
    with app.app_context():
        e = db.session.get(Event, event.id)
        digest = plan_import(db.session, e, text).digest()
        db.session.rollback()
    # Meanwhile someone takes an in-person place: Bo would now wait.
    taker = make_user()
    with app.app_context():
        services.register(db.session, db.session.merge(taker), db.session.get(Event, event.id), "in_person")
        with pytest.raises(Conflict) as exc:
            apply_import(db.session, db.session.get(Event, event.id), text, expected_digest=digest)
        assert exc.value.code == "plan_changed"
        assert count(Registration) == 1


def test_online_capacity_makes_a_bad_row(app, event):
    with app.app_context():
        db.session.get(Event, event.id).online_capacity = 1
        db.session.commit()
        plan = plan_import(
            db.session,
            db.session.get(Event, event.id),
            HEADER + "a@example.org,A,O,KR,online,,\nb@example.org,B,O,KR,online,,\n",
        )
        assert plan.messages == ["line 3: the 1 online places are taken"]


def test_the_command_lists_every_bad_row_and_imports_the_fixed_file(app, event, runner, tmp_path):
    with app.app_context():
        slug = db.session.get(Event, event.id).slug
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "a@example.org,A,O,KR,maybe,,\nb@example.org,B,O,KR,online,Robot,\n")
    result = runner.invoke(args=["import-participants", str(bad), slug])
    assert result.exit_code == 1
    assert "error: line 2: mode must be in_person or online, not 'maybe'" in result.output
    assert "error: line 3: gender: 'Robot' is not one of the choices" in result.output
    assert "nothing was imported" in result.output
    good = tmp_path / "good.csv"
    good.write_text(
        HEADER + "a@example.org,A,O,KR,in_person,,\nb@example.org,B,O,KR,in_person,Man,\n"
        "c@example.org,C,O,KR,in_person,,\n"
    )
    result = runner.invoke(args=["import-participants", str(good), slug])
    assert result.exit_code == 0
    assert result.output.strip() == (
        "imported 3 rows: 3 new users, 3 new registrations, 0 already registered; 1 on the waiting list"
    )
