"""The report's figures by a registration field, on the scripted day (see scripted_day.py)."""

from __future__ import annotations

import pytest
from attendance.scripted_day import at, build_day
from sqlalchemy import select

from conference.attendance.breakdown import breakdown
from conference.errors import ServiceError
from conference.extensions import db as _db
from conference.registrations.models import Registration, RegistrationField

GENDERS = {
    "alice": "Woman",
    "bob": "Man",
    "emma": "Woman",
    "dae": "Man",
    "chitra": "Woman",
    "ivan": "Man",
    "hana": "Woman",
}  # Faisal left it empty


@pytest.fixture()
def day(app, make_event, make_user, make_registration):
    day = build_day(app, make_event, make_user, make_registration)
    with app.app_context():
        db = _db.session
        db.add(
            RegistrationField(
                event_id=day.event.id,
                key="gender",
                label="Gender",
                kind="choice",
                choices=["Woman", "Man", "Prefer not to say"],
                position=0,
            )
        )
        db.add(
            RegistrationField(
                event_id=day.event.id, key="position", label="Position", kind="text", position=1
            )
        )
        for who, gender in GENDERS.items():
            registration = db.scalar(select(Registration).where(Registration.user_id == day.people[who].id))
            registration.answers = {"gender": gender}
        db.commit()
    return day


def figures(result):
    return [(g.value, g.registered, g.participants, g.online, g.on_site, g.hybrid) for g in result.groups]


def test_the_figures_by_gender_add_up_to_the_totals(app, day):
    with app.app_context():
        result = breakdown(_db.session, _db.session.merge(day.event), "gender", now=at(3, 30))
    # Women: Alice and Emma online, Chitra both ways (Hana registered, never came in: her entry was undone).
    # Men: Bob online, Dae both ways, Ivan on site. No answer: Faisal, online.
    assert figures(result) == [
        ("Woman", 4, 3, 3, 1, 1),
        ("Man", 3, 3, 2, 2, 1),
        ("Prefer not to say", 0, 0, 0, 0, 0),
        ("No answer", 1, 1, 1, 0, 0),
    ]
    assert sum(g.participants for g in result.groups) == 7  # the report's participants


def test_a_text_or_unknown_field_cannot_break_figures_down(app, day):
    with app.app_context():
        for key in ("position", "nope"):
            with pytest.raises(ServiceError) as exc:
                breakdown(_db.session, _db.session.merge(day.event), key)
            assert exc.value.code == "unknown_field"


def test_the_report_page_and_the_api_by_gender(app, day, make_user, logged_in_client):
    admin = logged_in_client(make_user("admin"))
    page = admin.get("/events/symposium/attendance/report?by=gender")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<option value="gender" selected>Gender</option>' in html
    assert '<th scope="row">Woman</th><td>4</td><td>' in html
    assert "Position</option>" not in html  # free text gives no groups
    api = admin.get("/api/v1/events/symposium/attendance?by=gender").get_json()
    groups = {g["value"]: g for g in api["breakdown"]["groups"]}
    assert groups["Man"]["registered"] == 3 and groups["No answer"]["registered"] == 1
    assert sum(g["registered"] for g in groups.values()) == 8
    bad = admin.get("/api/v1/events/symposium/attendance?by=position")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "unknown_field"
    assert "breakdown" not in admin.get("/api/v1/events/symposium/attendance").get_json()
