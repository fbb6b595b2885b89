"""The doors page (/manage/events/<slug>/doors) and its JSON API: forms with errors beside the
fields, the permission table, and junk payloads answered with 4xx JSON."""

from __future__ import annotations

import uuid

import pytest
from cast_support import MANAGERS, ROLES, client_for
from conftest import csrf_token
from sqlalchemy import select

from conference.accounts.models import User
from conference.checkin import doors, scanning
from conference.checkin.badges import badge_token
from conference.checkin.models import CheckinList
from conference.checkin.schemas import CheckinListIn
from conference.extensions import db as _db
from conference.grants import checks
from conference.programme.models import Event, ProgrammeSession
from conference.registrations.models import Registration

PAGE = "/manage/events/symposium/doors"
API_LISTS = "/api/v1/events/symposium/checkin-lists"


def lists(app) -> list[CheckinList]:
    with app.app_context():
        rows = list(_db.session.scalars(select(CheckinList).order_by(CheckinList.id)))
        _db.session.expunge_all()
        return rows


def make_list(app, cast, **fields) -> int:
    with app.app_context():
        event = _db.session.get(Event, cast.event.id)
        return doors.create_list(
            _db.session, event, CheckinListIn.model_validate({"name": "Hall", **fields})
        ).id


def thematic_id(app, slug="symposium") -> int:
    with app.app_context():
        return _db.session.scalar(
            select(ProgrammeSession.id)
            .join(Event)
            .where(Event.slug == slug, ProgrammeSession.title == "AI Ethics")
        )


def scan_attendee(app, cast, list_id):
    with app.app_context():
        registration = _db.session.scalar(
            select(Registration).where(Registration.user_id == cast.attendee.id)
        )
        code = badge_token(_db.session, registration)
        return scanning.scan(
            _db.session,
            _db.session.get(User, cast.admin.id),
            scanning.ScanRequest(code=code, list_id=list_id, scan_id=str(uuid.uuid4())),
        )


@pytest.fixture()
def organiser(app, cast, login):
    return client_for(app, login, cast.organiser)


def form(client, **fields) -> dict:
    return {"csrf_token": csrf_token(client), **fields}


def test_an_organiser_creates_a_session_door_from_the_page(app, cast, organiser):
    session_id = thematic_id(app)
    response = organiser.post(
        f"{PAGE}/lists",
        data=form(
            organiser,
            name="Door AI Ethics",
            scope="session",
            session_id=str(session_id),
            capacity="40",
            auto_checkout_at="2030-05-06T13:00",
            allow_reentry="1",
        ),
    )
    assert response.status_code == 303
    (door,) = lists(app)
    assert (
        door.name,
        door.scope,
        door.session_id,
        door.capacity,
        door.allow_reentry,
        door.admits_online,
    ) == ("Door AI Ethics", "session", session_id, 40, True, False)
    assert door.auto_checkout_at.isoformat() == "2030-05-06T04:00:00+00:00"
    page = organiser.get(PAGE).get_data(as_text=True)
    assert "Door AI Ethics" in page and 'value="2030-05-06T13:00"' in page  # shown back in Seoul time


def test_form_errors_are_shown_beside_the_fields_and_keep_what_was_typed(app, cast, organiser):
    response = organiser.post(
        f"{PAGE}/lists", data=form(organiser, name="Day nine", scope="day", day="2030-05-09", capacity="0")
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="capacity-error"' in page and "greater than 0" in page
    assert 'value="Day nine"' in page and 'value="2030-05-09"' in page
    response = organiser.post(
        f"{PAGE}/lists", data=form(organiser, name="Day nine", scope="day", day="2030-05-09")
    )
    assert response.status_code == 400
    assert "Choose a day of the event, from 2030-05-06 to 2030-05-08." in response.get_data(as_text=True)
    foreign = thematic_id(app, "other-forum")
    response = organiser.post(
        f"{PAGE}/lists", data=form(organiser, name="Elsewhere", scope="session", session_id=str(foreign))
    )
    assert response.status_code == 400 and "Choose a session of this event." in response.get_data(
        as_text=True
    )
    make_list(app, cast)
    response = organiser.post(f"{PAGE}/lists", data=form(organiser, name="Hall"))
    assert response.status_code == 409 and "already has a list called" in response.get_data(as_text=True)
    assert [c.name for c in lists(app)] == ["Hall"]


def test_a_list_with_people_inside_can_shrink_to_them_but_not_be_removed(app, cast, organiser, make_token):
    list_id = make_list(app, cast)
    assert scan_attendee(app, cast, list_id)["result"] == "ok"
    response = organiser.post(
        f"{PAGE}/lists/{list_id}",
        data=form(organiser, name="Hall", scope="event", capacity="1", allow_reentry="1"),
    )
    assert response.status_code == 303
    # A list with records cannot be removed, and the page does not offer it.
    page = organiser.get(PAGE).get_data(as_text=True)
    assert "keeps its records and cannot be removed" in page
    refused = organiser.post(f"{PAGE}/lists/{list_id}/delete", data=form(organiser))
    assert refused.status_code == 409 and "cannot be removed" in refused.get_data(as_text=True)
    assert len(lists(app)) == 1
    assert lists(app)[0].capacity == 1
    response = app.test_client().delete(
        f"/api/v1/checkin-lists/{list_id}", headers={"Authorization": f"Bearer {make_token(cast.organiser)}"}
    )
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "list_in_use"


def test_capacity_below_inside_over_the_page(app, cast, organiser, make_user, make_registration):
    list_id = make_list(app, cast)
    scan_attendee(app, cast, list_id)
    other = make_user()
    make_registration(other, cast.event, "in_person")
    with app.app_context():
        registration = _db.session.scalar(select(Registration).where(Registration.user_id == other.id))
        scanning.scan(
            _db.session,
            _db.session.get(User, cast.admin.id),
            scanning.ScanRequest(
                code=badge_token(_db.session, registration), list_id=list_id, scan_id=str(uuid.uuid4())
            ),
        )
    response = organiser.post(
        f"{PAGE}/lists/{list_id}", data=form(organiser, name="Hall", scope="event", capacity="1")
    )
    assert response.status_code == 409
    assert "2 people are inside now: the capacity cannot be lower than that" in response.get_data(
        as_text=True
    )
    assert lists(app)[0].capacity is None


def test_default_lists_button_and_removing_an_unused_list(app, cast, organiser):
    assert organiser.post(f"{PAGE}/defaults", data=form(organiser)).status_code == 303
    created = lists(app)
    assert any(c.name == "Entrance" for c in created) and any(c.scope == "session" for c in created)
    assert organiser.post(f"{PAGE}/defaults", data=form(organiser)).status_code == 303
    assert len(lists(app)) == len(created)
    entrance = next(c for c in created if c.name == "Entrance")
    assert organiser.post(f"{PAGE}/lists/{entrance.id}/delete", data=form(organiser)).status_code == 303
    assert "Entrance" not in [c.name for c in lists(app)]


def test_staff_are_added_and_removed_from_the_page(app, cast, organiser, make_user):
    helper = make_user(email="door.helper@example.org", name="Door Helper")
    response = organiser.post(f"{PAGE}/staff", data=form(organiser, email="door.helper@example.org"))
    assert response.status_code == 303
    page = organiser.get(PAGE).get_data(as_text=True)
    assert "Door Helper (door.helper@example.org)" in page
    with app.app_context():
        event = _db.session.get(Event, cast.event.id)
        assert checks.can_scan(_db.session, _db.session.get(User, helper.id), event)
        grant_id = next(g.id for g in doors.staff_of(_db.session, event) if g.user_id == helper.id)
    unknown = organiser.post(f"{PAGE}/staff", data=form(organiser, email="ghost@example.org"))
    assert unknown.status_code == 404
    assert "No account has this e-mail address" in unknown.get_data(as_text=True)
    assert 'value="ghost@example.org"' in unknown.get_data(as_text=True)
    assert organiser.post(f"{PAGE}/staff/{grant_id}/delete", data=form(organiser)).status_code == 303
    with app.app_context():
        event = _db.session.get(Event, cast.event.id)
        assert not checks.can_scan(_db.session, _db.session.get(User, helper.id), event)


def test_names_are_shown_as_text(app, cast, organiser):
    make_list(app, cast, name="<img src=x onerror=alert(1)>")
    page = organiser.get(PAGE).get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page


# --- permission table -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_doors_page_permission_table(app, cast, login, role, make_user):
    list_id = make_list(app, cast)
    make_user(email="someone@example.org")
    client = client_for(app, login, cast.users[role])
    responses = {
        "page": client.get(PAGE),
        "create": client.post(f"{PAGE}/lists", data=form(client, name="New")),
        "edit": client.post(f"{PAGE}/lists/{list_id}", data=form(client, name="Renamed")),
        "defaults": client.post(f"{PAGE}/defaults", data=form(client)),
        "staff": client.post(f"{PAGE}/staff", data=form(client, email="someone@example.org")),
    }
    with app.app_context():
        event = _db.session.get(Event, cast.event.id)
        staff_grant = next(g.id for g in doors.staff_of(_db.session, event) if g.user_id == cast.staff.id)
    responses["remove_staff"] = client.post(f"{PAGE}/staff/{staff_grant}/delete", data=form(client))
    responses["delete"] = client.post(f"{PAGE}/lists/{list_id}/delete", data=form(client))
    statuses = {name: r.status_code for name, r in responses.items()}
    if role in MANAGERS:
        assert statuses == {
            "page": 200,
            "create": 303,
            "edit": 303,
            "defaults": 303,
            "staff": 303,
            "remove_staff": 303,
            "delete": 303,
        }
        assert "Renamed" not in [c.name for c in lists(app)] and "New" in [c.name for c in lists(app)]
    else:
        expected = 302 if role == "anonymous" else 403
        assert set(statuses.values()) == {expected}
        assert [c.name for c in lists(app)] == ["Hall"]
        with app.app_context():
            event = _db.session.get(Event, cast.event.id)
            assert {g.user.email for g in doors.staff_of(_db.session, event)} == {cast.staff.email}


@pytest.mark.parametrize("role", ROLES)
def test_doors_api_permission_table(app, cast, make_token, role):
    list_id = make_list(app, cast)
    user = cast.users[role]
    headers = {"Authorization": f"Bearer {make_token(user) if user else 'not-a-token'}"}
    api = app.test_client()
    listing = api.get(API_LISTS, headers=headers)
    created = api.post(
        API_LISTS, headers=headers, json={"name": "Day 1", "scope": "day", "day": "2030-05-06"}
    )
    changed = api.patch(f"/api/v1/checkin-lists/{list_id}", headers=headers, json={"capacity": 10})
    deleted = api.delete(f"/api/v1/checkin-lists/{list_id}", headers=headers)
    if role in MANAGERS:
        assert listing.status_code == 200 and [c["name"] for c in listing.get_json()["lists"]] == ["Hall"]
        assert created.status_code == 201 and created.get_json()["day"] == "2030-05-06"
        assert changed.status_code == 200 and changed.get_json()["capacity"] == 10
        assert deleted.status_code == 204
        assert [c.name for c in lists(app)] == ["Day 1"]
    else:
        expected = 401 if role == "anonymous" else 403
        for response in (listing, created, changed, deleted):
            assert response.status_code == expected, response.get_json()
            assert response.get_json()["error"]["code"] in ("unauthorized", "forbidden")
        assert [(c.name, c.capacity) for c in lists(app)] == [("Hall", None)]


def test_an_api_list_of_another_event_is_refused_to_this_events_organiser(app, cast, make_token):
    with app.app_context():
        other = _db.session.get(Event, cast.other_event.id)
        foreign_id = doors.create_list(_db.session, other, CheckinListIn(name="Theirs")).id
    headers = {"Authorization": f"Bearer {make_token(cast.organiser)}"}
    api = app.test_client()
    assert (
        api.patch(f"/api/v1/checkin-lists/{foreign_id}", headers=headers, json={"name": "Mine"}).status_code
        == 403
    )
    assert api.delete(f"/api/v1/checkin-lists/{foreign_id}", headers=headers).status_code == 403
    assert [c.name for c in lists(app)] == ["Theirs"]


def test_the_api_patch_keeps_what_it_does_not_name(app, cast, make_token):
    session_id = thematic_id(app)
    list_id = make_list(
        app,
        cast,
        scope="session",
        session_id=session_id,
        capacity=30,
        auto_checkout_at="2030-05-06T14:00",
        admits_online=True,
    )
    headers = {"Authorization": f"Bearer {make_token(cast.organiser)}"}
    body = (
        app.test_client()
        .patch(f"/api/v1/checkin-lists/{list_id}", headers=headers, json={"name": "Door"})
        .get_json()
    )
    assert (body["name"], body["scope"], body["session_id"], body["capacity"], body["admits_online"]) == (
        "Door",
        "session",
        session_id,
        30,
        True,
    )
    assert body["auto_checkout_local"] == "2030-05-06T14:00"
    cleared = (
        app.test_client()
        .patch(
            f"/api/v1/checkin-lists/{list_id}",
            headers=headers,
            json={"capacity": None, "auto_checkout_at": None},
        )
        .get_json()
    )
    assert (cleared["capacity"], cleared["auto_checkout_at"]) == (None, None)


@pytest.mark.parametrize(
    ("method", "body", "status", "code"),
    [
        ("post", {}, 400, "invalid_request"),
        ("post", {"name": ""}, 400, "invalid_request"),
        ("post", {"name": "   "}, 400, "invalid_request"),
        ("post", {"name": "x" * 201}, 400, "invalid_request"),
        ("post", {"name": "A", "scope": "building"}, 400, "invalid_request"),
        ("post", {"name": "A", "capacity": 0}, 400, "invalid_request"),
        ("post", {"name": "A", "capacity": -5}, 400, "invalid_request"),
        ("post", {"name": "A", "capacity": "many"}, 400, "invalid_request"),
        ("post", {"name": "A", "capacity": 10**12}, 400, "invalid_request"),
        ("post", {"name": "A", "scope": "day", "day": "tomorrow"}, 400, "invalid_request"),
        ("post", {"name": "A", "scope": "day"}, 400, "day_required"),
        ("post", {"name": "A", "scope": "day", "day": "2031-01-01"}, 400, "day_outside_event"),
        ("post", {"name": "A", "scope": "session", "session_id": 2**31}, 400, "invalid_request"),
        ("post", {"name": "A", "scope": "session", "session_id": 999999}, 400, "session_not_in_event"),
        ("post", {"name": "A", "auto_checkout_at": "soon"}, 400, "invalid_request"),
        ("post", {"name": "A", "allow_reentry": "perhaps"}, 400, "invalid_request"),
        ("post", {"name": "A", "extra": 1}, 400, "invalid_request"),
        ("post", {"name": "Hall"}, 409, "name_taken"),
        ("post", [1, 2], 400, "invalid_json"),
        ("post", "{not json", 400, "invalid_json"),
        ("patch", {"capacity": 0}, 400, "invalid_request"),
        ("patch", {"scope": "session"}, 400, "session_required"),
        ("patch", {"name": None}, 400, "invalid_request"),
        ("patch", "[]", 400, "invalid_json"),
    ],
)
def test_junk_api_payloads_get_4xx_json(app, cast, make_token, method, body, status, code):
    list_id = make_list(app, cast)
    headers = {"Authorization": f"Bearer {make_token(cast.organiser)}"}
    url = API_LISTS if method == "post" else f"/api/v1/checkin-lists/{list_id}"
    send = getattr(app.test_client(), method)
    if isinstance(body, str):
        response = send(url, headers=headers, data=body, content_type="application/json")
    else:
        response = send(url, headers=headers, json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert [(c.name, c.scope, c.capacity) for c in lists(app)] == [("Hall", "event", None)]


def test_unknown_and_out_of_range_lists_are_404(app, cast, make_token):
    headers = {"Authorization": f"Bearer {make_token(cast.organiser)}"}
    api = app.test_client()
    for url in ("/api/v1/checkin-lists/424242", f"/api/v1/checkin-lists/{2**40}"):
        assert api.patch(url, headers=headers, json={"name": "x"}).status_code == 404
        assert api.delete(url, headers=headers).status_code == 404
    assert api.get("/api/v1/events/nowhere/checkin-lists", headers=headers).status_code == 404
