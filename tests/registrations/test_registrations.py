"""Registration rules, the forms, and the organisers' bulk import."""

from __future__ import annotations

import pytest
from conftest import post_form
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from conference.accounts.models import User
from conference.errors import Conflict
from conference.extensions import db
from conference.registrations.models import Registration
from conference.registrations.services import ImportError_, import_participants, register


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_database_refuses_a_second_registration(app, make_user, make_event):
    user, event = make_user(), make_event()
    with app.app_context():
        db.session.add(Registration(user_id=user.id, event_id=event.id, mode="online"))
        db.session.commit()
        db.session.add(Registration(user_id=user.id, event_id=event.id, mode="in_person"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert count(Registration) == 1


def test_the_database_refuses_an_unknown_mode(app, make_user, make_event):
    user, event = make_user(), make_event()
    with app.app_context():
        db.session.add(Registration(user_id=user.id, event_id=event.id, mode="hologram"))
        with pytest.raises(IntegrityError):
            db.session.commit()


def test_register_twice_conflicts_and_a_cancelled_one_is_reconfirmed(app, make_user, make_event):
    user, event = make_user(), make_event()
    with app.app_context():
        user, event = db.session.merge(user), db.session.merge(event)
        first = register(db.session, user, event, "online")
        with pytest.raises(Conflict) as exc:
            register(db.session, user, event, "in_person")
        assert exc.value.code == "already_registered"
        first.status = "cancelled"
        db.session.commit()
        again = register(db.session, user, event, "in_person")
        assert again.id == first.id and again.status == "confirmed" and again.mode == "in_person"
        assert count(Registration) == 1


def test_register_form_requires_a_mode_and_then_registers(app, client, login, make_user, make_event):
    event = make_event("symposium")
    login(client, make_user())
    missing = post_form(client, "/events/symposium/register", {})
    assert missing.status_code == 400 and "Choose in person or online." in missing.get_data(as_text=True)
    bogus = post_form(client, "/events/symposium/register", {"mode": "hologram"})
    assert bogus.status_code == 400
    with app.app_context():
        assert count(Registration) == 0
    assert post_form(client, "/events/symposium/register", {"mode": "in_person"}).status_code == 303
    mine = client.get("/me/registrations").get_data(as_text=True)
    assert event.title in mine and "In person" in mine
    # Registering again changes the mode rather than failing.
    assert post_form(client, "/events/symposium/register", {"mode": "online"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Registration.mode)) == "online"


def test_register_needs_sign_in(client, make_event):
    make_event("symposium")
    response = client.get("/events/symposium/register")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_cancel_own_registration_only(app, client, login, make_user, make_event, make_registration):
    event = make_event()
    owner, other = make_user(), make_user()
    registration = make_registration(owner, event)
    login(client, other)
    assert post_form(client, f"/me/registrations/{registration.id}/cancel", {}).status_code == 404
    login(client, owner)
    assert post_form(client, f"/me/registrations/{registration.id}/cancel", {}).status_code == 303
    with app.app_context():
        assert db.session.get(Registration, registration.id).status == "cancelled"


def test_participants_page_filters(logged_in_client, make_user, make_event, make_registration):
    event = make_event()
    make_registration(make_user(name="Aigerim Bekova", country="KZ"), event, "in_person")
    make_registration(make_user(name="Omar Khalil", country="EG"), event, "online")
    staff = logged_in_client(make_user("staff"))
    page = staff.get(f"/events/{event.slug}/participants?mode=in_person", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Aigerim Bekova" in page and "Omar Khalil" not in page
    page = staff.get(f"/events/{event.slug}/participants?country=eg", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Omar Khalil" in page and "Aigerim Bekova" not in page
    page = staff.get(f"/events/{event.slug}/participants?q=bekova", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Aigerim Bekova" in page


CSV_OK = """email,name,organisation,country,mode
a@example.org,Ana Silva,City Hall,BR,in_person
B@example.org,Bo Chen,Ministry,CN,online
"""


def test_import_creates_users_and_registrations(app, make_event, make_user):
    event = make_event()
    existing = make_user(email="b@example.org", name="Bo Chen (existing)")
    with app.app_context():
        result = import_participants(db.session, db.session.merge(event), CSV_OK)
        assert (result.rows, result.users_created, result.registrations_created) == (2, 1, 2)
        assert db.session.get(User, existing.id).name == "Bo Chen (existing)"
        again = import_participants(db.session, db.session.merge(event), CSV_OK)
        assert (again.users_created, again.registrations_created, again.already_registered) == (0, 0, 2)


@pytest.mark.parametrize(
    "bad_line, expected",
    [
        ("c@example.org,Cy,Org,ZZ,online", "line 4: 'ZZ' is not an ISO 3166-1 alpha-2 country code"),
        ("not-an-email,Cy,Org,KR,online", "line 4:"),
        ("c@example.org,,Org,KR,online", "line 4: a name of 1 to 200 characters is required"),
        ("c@example.org,Cy,Org,KR,hybrid", "line 4: mode must be in_person or online"),
        ("a@example.org,Ana again,Org,KR,online", "line 4: a@example.org already appears on line 2"),
        ("c@example.org,Cy,Org,KR,online,extra", "line 4: too many fields"),
    ],
)
def test_a_bad_row_is_reported_by_line_and_nothing_is_imported(app, make_event, bad_line, expected):
    event = make_event()
    with app.app_context():
        with pytest.raises(ImportError_) as exc:
            import_participants(db.session, db.session.merge(event), CSV_OK + bad_line + "\n")
        assert expected in exc.value.message
        assert count(User) == 0 and count(Registration) == 0


def test_import_refuses_a_file_without_the_columns(app, make_event):
    event = make_event()
    with app.app_context():
        with pytest.raises(ImportError_) as exc:
            import_participants(db.session, db.session.merge(event), "mail,name\nx@example.org,X\n")
        assert "missing column(s): email, organisation, country, mode" in exc.value.message
