"""The attendance pages, CSV exports and JSON API: who may see them, and what they say."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from attendance.scripted_day import build_day

from conference.attendance import services
from conference.checkin.models import CheckinList, CheckinMovement
from conference.extensions import db as _db
from conference.registrations.models import Registration
from conference.rooms.models import RoomVisit

URL = "/events/symposium/attendance"
API = "/api/v1/events/symposium/attendance"
# The scripted day is in 2030; "now" for these requests is the real clock, long before it... so
# every record of the day lies in the future and nothing would count. Freeze the figures' clock
# at the end of the morning instead, through the services' `now` default.
AFTER_THE_MORNING = datetime(2030, 5, 6, 3, 30, tzinfo=UTC)


@pytest.fixture()
def day(app, make_event, make_user, make_registration, monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: AFTER_THE_MORNING)
    return build_day(app, make_event, make_user, make_registration)


@pytest.fixture()
def staff_client(make_user, logged_in_client):
    return logged_in_client(make_user("staff", name="Sam Staff"))


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("role", ["staff", "moderator", "admin"])
def test_organisers_see_the_dashboard_and_the_report(day, role, make_user, logged_in_client):
    client = logged_in_client(make_user(role))
    page = client.get(URL)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "7 participants from 4 countries: 6 online, 3 on site (2 both); 2 sessions" in text
    assert 'id="attendance-initial"' in text and "socket.io.min.js" in text
    report = client.get(URL + "/report")
    assert report.status_code == 200
    body = report.get_data(as_text=True)
    assert "7 participants from 4 countries" in body
    # Modes, regions, countries, and a timeline for the one day with records (the others say so).
    assert body.count("<svg") == 4 + 1 and body.count("No attendance recorded on this day") == 2
    paired = re.findall(r'data-label="([^"]+)" data-series="([^"]+)" data-value="(\d+)"', body)
    assert [bar for bar in paired if bar[0].endswith("Asia")] == [
        ("Eastern Asia", "Online", "3"),
        ("Eastern Asia", "On site", "2"),
        ("Southern Asia", "Online", "1"),
        ("Southern Asia", "On site", "1"),
    ]
    per_session = [bar for bar in paired if bar[0] in ("Opening session", "AI Ethics", "Regional breakouts")]
    assert per_session == [
        ("Opening session", "Online", "3"),
        ("Opening session", "On site", "0"),
        ("AI Ethics", "Online", "3"),
        ("AI Ethics", "On site", "1"),
        ("Regional breakouts", "Online", "0"),
        ("Regional breakouts", "On site", "0"),
    ]
    assert "<tr><td>South Korea</td><td>Eastern Asia</td><td>3</td><td>2</td><td>2</td></tr>" in body
    key_figures = dict(re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', body))
    assert key_figures == {
        "Participants": "7",
        "Online": "6",
        "On site": "3",
        "Both online and on site": "2",
        "Countries": "4 (and 1 without a country)",
        "Sessions attended": "2 of 3",
        "Peak present at once": "5 (3 online, 3 on site)",
        "Entry scans": "6",
    }


def test_attendees_and_strangers_are_kept_out(day, make_user, logged_in_client, client, make_token):
    attendee = make_user()
    browser = logged_in_client(attendee)
    for path in (
        URL,
        URL + "/report",
        URL + "/sessions.csv",
        URL + "/participants.csv",
        URL + "/stays.csv",
        URL + "/timeline.svg?day=2030-05-06",
    ):
        assert browser.get(path).status_code == 403, path
        assert client.get(path).status_code in (302, 401), path  # not signed in: to the login page
    api = client.get(API, headers={"Authorization": f"Bearer {make_token(attendee)}"})
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "forbidden"
    assert browser.get(API).status_code == 403
    anonymous = client.get(API)
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "unauthorized"


def test_the_api_reports_every_figure(day, make_user, make_token, client):
    token = make_token(make_user("staff"))
    response = client.get(API, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["as_of"] == "2030-05-06T03:30:00Z" and body["grace_seconds"] == 120
    assert body["summary"] == "7 participants from 4 countries: 6 online, 3 on site (2 both); 2 sessions"
    assert body["totals"] == {
        "participants": 7,
        "online": 6,
        "on_site": 3,
        "hybrid": 2,
        "entries": 6,
        "countries": 4,
        "unknown_country": 1,
        "sessions_attended": 2,
        "sessions_total": 3,
        "now": {"online": 1, "on_site": 0, "combined": 1},
        "peak": {"online": 3, "on_site": 3, "combined": 5},
    }
    assert body["countries"] == [
        {"code": "KR", "name": "South Korea", "count": 3, "online": 2, "on_site": 2},
        {"code": "FR", "name": "France", "count": 1, "online": 1, "on_site": 0},
        {"code": "IN", "name": "India", "count": 1, "online": 1, "on_site": 1},
        {"code": "JP", "name": "Japan", "count": 1, "online": 1, "on_site": 0},
    ]
    assert body["regions"] == [
        {"name": "Eastern Asia", "count": 4, "online": 3, "on_site": 2},
        {"name": "Southern Asia", "count": 1, "online": 1, "on_site": 1},
        {"name": "Western Europe", "count": 1, "online": 1, "on_site": 0},
        {"name": "Unknown", "count": 1, "online": 1, "on_site": 0},
    ]
    sessions = {s["id"]: s for s in body["sessions"]}
    assert [s["id"] for s in body["sessions"]] == [day.plenary, day.ethics, day.workshop]
    ethics = sessions[day.ethics]
    assert ethics == {
        "id": day.ethics,
        "title": "AI Ethics",
        "kind": "thematic",
        "parent_id": None,
        "starts_at": "2030-05-06T02:00:00Z",
        "ends_at": "2030-05-06T03:00:00Z",
        "has_door_list": True,
        "on_site": 1,
        "online": 3,
        "unique": 3,
        "hybrid": 1,
        "entries": 2,
        "online_seconds": 137 * 60,
        "now": {"online": 1, "on_site": 0, "combined": 1},
        "peak": {"online": 3, "on_site": 1, "combined": 3},
        "countries": [
            {"code": "FR", "name": "France", "count": 1, "online": 1, "on_site": 0},
            {"code": "IN", "name": "India", "count": 1, "online": 1, "on_site": 1},
            {"code": "KR", "name": "South Korea", "count": 1, "online": 1, "on_site": 0},
        ],
    }
    plenary = sessions[day.plenary]
    assert (plenary["on_site"], plenary["online"], plenary["unique"], plenary["peak"]) == (
        0,
        3,
        3,
        {"online": 2, "on_site": 0, "combined": 2},
    )
    assert plenary["countries"][-1] == {"code": "", "name": "Unknown", "count": 1, "online": 1, "on_site": 0}
    assert sessions[day.workshop]["unique"] == 0


def test_the_api_works_with_the_cookie_too_and_knows_unknown_events(day, staff_client):
    assert staff_client.get(API).get_json()["totals"]["participants"] == 7
    missing = staff_client.get("/api/v1/events/nope/attendance")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "event_not_found"


def test_sessions_csv(day, staff_client):
    response = staff_client.get(URL + "/sessions.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = rows_of(response.get_data(as_text=True))
    assert [r["title"] for r in rows] == ["Opening session", "AI Ethics", "Regional breakouts"]
    plenary, ethics, workshop = rows
    assert {
        k: plenary[k]
        for k in (
            "unique",
            "online",
            "on_site",
            "hybrid",
            "peak_online",
            "peak_combined",
            "online_minutes",
            "door_list",
            "countries",
            "starts_at_local",
        )
    } == {
        "unique": "3",
        "online": "3",
        "on_site": "0",
        "hybrid": "0",
        "peak_online": "2",
        "peak_combined": "2",
        "online_minutes": "61",
        "door_list": "no",
        "countries": "2",
        "starts_at_local": "2030-05-06 09:00",
    }
    assert {
        k: ethics[k]
        for k in (
            "unique",
            "online",
            "on_site",
            "hybrid",
            "peak_on_site",
            "entries",
            "online_minutes",
            "door_list",
            "countries",
        )
    } == {
        "unique": "3",
        "online": "3",
        "on_site": "1",
        "hybrid": "1",
        "peak_on_site": "1",
        "entries": "2",
        "online_minutes": "137",
        "door_list": "yes",
        "countries": "3",
    }
    assert workshop["unique"] == "0"


def test_participants_csv(day, staff_client):
    rows = rows_of(staff_client.get(URL + "/participants.csv").get_data(as_text=True))
    assert [r["name"] for r in rows] == [
        "Alice Kim",
        "Bob Tanaka",
        "Chitra Iyer",
        "Dae Park",
        "Emma Martin",
        "Faisal Noor",
        "Ivan Lee",
    ]
    chitra = rows[2]
    assert {
        k: chitra[k]
        for k in (
            "country",
            "country_name",
            "region",
            "registered_mode",
            "attended_online",
            "attended_on_site",
            "online_sessions",
            "online_minutes",
            "on_site_sessions",
            "on_site_minutes",
            "first_seen_local",
        )
    } == {
        "country": "IN",
        "country_name": "India",
        "region": "Southern Asia",
        "registered_mode": "in_person",
        "attended_online": "yes",
        "attended_on_site": "yes",
        "online_sessions": "1",
        "online_minutes": "7",
        "on_site_sessions": "1",
        "on_site_minutes": "210",
        "first_seen_local": "2030-05-06 08:50",
    }
    faisal = rows[5]
    assert (faisal["country"], faisal["region"], faisal["attended_on_site"], faisal["online_minutes"]) == (
        "",
        "",
        "no",
        "1",
    )
    assert "Hana Cho" not in {r["name"] for r in rows}  # her only entry was undone


def test_csv_cells_never_run_as_formulas(app, day, staff_client, make_user, make_registration):
    sneaky = make_user(name='=HYPERLINK("http://evil.example")', organisation="+cmd")
    registration = make_registration(sneaky, day.event, "online")
    with app.app_context():
        _db.session.add(
            RoomVisit(
                session_id=day.plenary,
                user_id=sneaky.id,
                sid="x1",
                joined_at=datetime(2030, 5, 6, 0, 1, tzinfo=UTC),
                left_at=datetime(2030, 5, 6, 0, 2, tzinfo=UTC),
            )
        )
        _db.session.commit()
    assert registration.id
    rows = rows_of(staff_client.get(URL + "/participants.csv").get_data(as_text=True))
    row = next(r for r in rows if "HYPERLINK" in r["name"])
    assert row["name"] == '\'=HYPERLINK("http://evil.example")' and row["organisation"] == "'+cmd"


def test_timeline_svg(day, staff_client):
    response = staff_client.get(URL + "/timeline.svg?day=2030-05-06")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and 'data-series="Online"' in svg
    five = staff_client.get(URL + "/timeline.svg?day=2030-05-06&step=5").get_data(as_text=True)

    def points(chart: str) -> int:
        return len(re.search(r'data-series="Online"[^>]* points="([^"]*)"', chart).group(1).split())

    assert (points(svg), points(five)) == (16, 48)  # 08:30–12:30 in quarter hours, then in 5 minutes
    assert staff_client.get(URL + "/timeline.svg?day=2030-05-06&step=7").status_code == 400
    assert staff_client.get(URL + "/timeline.svg?day=2030-05-06&step=x").status_code == 400
    assert staff_client.get(URL + "/timeline.svg?day=yesterday").status_code == 400
    assert staff_client.get(URL + "/timeline.svg?day=2031-01-01").status_code == 404


def test_the_event_page_links_organisers_to_attendance(day, staff_client, make_user, logged_in_client):
    assert URL in staff_client.get("/events/symposium").get_data(as_text=True)
    assert URL not in logged_in_client(make_user()).get("/events/symposium").get_data(as_text=True)


def test_an_automatic_check_out_is_an_exit(app, day, staff_client):
    """Check-in records automatic check-outs as "out" movements: attendance needs nothing more."""
    with app.app_context():
        entrance = _db.session.query(CheckinList).filter_by(event_id=day.event.id, name="Entrance").one()
        ivan = _db.session.query(Registration).filter_by(user_id=day.people["ivan"].id).one()
        _db.session.add(
            CheckinMovement(
                list_id=entrance.id,
                registration_id=ivan.id,
                direction="in",
                scanned_at=datetime(2030, 5, 6, 2, 0, tzinfo=UTC),
                uploaded_at=datetime(2030, 5, 6, 2, 0, tzinfo=UTC),
            )
        )
        _db.session.commit()
    before = staff_client.get(API).get_json()["totals"]["now"]["on_site"]
    with app.app_context():
        _db.session.add(
            CheckinMovement(
                list_id=entrance.id,
                registration_id=ivan.id,
                direction="out",
                automatic=True,
                scanned_at=datetime(2030, 5, 6, 3, 0, tzinfo=UTC),
                uploaded_at=datetime(2030, 5, 6, 3, 0, tzinfo=UTC),
            )
        )
        _db.session.commit()
    after = staff_client.get(API).get_json()["totals"]["now"]["on_site"]
    assert (before, after) == (1, 0)


def test_the_dashboard_marks_the_sessions_on_now(day, staff_client, monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: datetime(2030, 5, 6, 2, 35, tzinfo=UTC))
    page = staff_client.get(URL).get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-session-id="(\d+)" class="([^"]*)">', page))
    assert rows == {str(day.plenary): "", str(day.ethics): " current", str(day.workshop): ""}
    assert page.count("on now</span>") == 1


def test_stays_csv_says_who_attended_which_session_how_and_how_long(day, staff_client):
    response = staff_client.get(URL + "/stays.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = [
        (
            r["name"],
            r["session_title"],
            r["mode"],
            r["started_local"][-5:],
            r["ended_local"][-5:],
            r["minutes"],
            r["still_present"],
        )
        for r in rows_of(response.get_data(as_text=True))
    ]
    assert rows == [
        ("Alice Kim", "Opening session", "online", "09:00", "09:40", "40", "no"),  # one stay despite the drop
        ("Bob Tanaka", "Opening session", "online", "09:05", "09:15", "10", "no"),
        ("Bob Tanaka", "Opening session", "online", "09:20", "09:30", "10", "no"),
        ("Chitra Iyer", "AI Ethics", "on site", "10:55", "11:30", "35", "no"),
        ("Chitra Iyer", "AI Ethics", "online", "11:31", "11:38", "7", "no"),
        ("Chitra Iyer", "AI Ethics", "on site", "11:40", "12:05", "25", "no"),
        ("Dae Park", "AI Ethics", "online", "11:10", "12:30", "80", "yes"),
        ("Emma Martin", "AI Ethics", "online", "11:00", "11:50", "50", "no"),
        ("Faisal Noor", "Opening session", "online", "09:30", "09:31", "1", "no"),
    ]
