"""Matchmaking over HTTP: pages and forms, the JSON API, rights, bad input, exports, the personal
agenda and its .ics, the back-office section, and the live page of a matchmaking session."""

from __future__ import annotations

import csv
import io
import re

import pytest
from conftest import csrf_token, post_form
from icalendar import Calendar
from rooms.support import call, received
from sqlalchemy import func, select

from conference.extensions import db as _db
from conference.matchmaking.models import FollowUpNote, Interest, InterestMember, Meeting, Practice

API = "/api/v1/events/symposium/matchmaking"


@pytest.fixture()
def clients(app, mm, logged_in_client):
    return {
        name: logged_in_client(getattr(mm, name))
        for name in ("organiser", "owner", "thai", "thai2", "viet", "stranger", "other_organiser")
    }


@pytest.fixture()
def bearer(mm, make_token):
    def headers(user):
        return {"Authorization": f"Bearer {make_token(user)}"}

    return headers


def offer_form(client, **fields):
    data = {"title": "Rapid Digitization", "summary": "Line one\nLine two", "country": "KR", **fields}
    return post_form(client, "/events/symposium/matchmaking/practices/new", data)


def practice_id(app, title="Rapid Digitization") -> int:
    with app.app_context():
        return _db.session.scalar(select(Practice.id).where(Practice.title == title))


def count(app, model) -> int:
    with app.app_context():
        return _db.session.scalar(select(func.count()).select_from(model))


def test_a_participant_offers_a_practice_and_another_country_expresses_interest(app, mm, clients):
    response = offer_form(
        clients["owner"], track_id=str(mm.track_id), links="Report | https://example.org/r.pdf"
    )
    assert response.status_code == 303
    pid = practice_id(app)
    page = clients["thai"].get(response.headers["Location"]).get_data(as_text=True)
    assert "Rapid Digitization" in page and "Express your country" in page and "Report" in page
    first = post_form(
        clients["thai"],
        f"/events/symposium/matchmaking/practices/{pid}/interest",
        {"wants": ["study_visit", "documents"], "note": "Keen"},
    )
    assert first.status_code == 303
    second = post_form(
        clients["thai2"],
        f"/events/symposium/matchmaking/practices/{pid}/interest",
        {"wants": "expert_exchange"},
        follow_redirects=True,
    )
    assert "added to your country" in second.get_data(as_text=True)
    assert count(app, Interest) == 1 and count(app, InterestMember) == 2
    table = clients["viet"].get("/events/symposium/matchmaking").get_data(as_text=True)
    assert "Thailand" in table and 'id="mm-total">1<' in table


def test_offering_refuses_the_unregistered_and_asks_anonymous_people_to_sign_in(app, mm, clients):
    assert offer_form(clients["stranger"]).status_code == 403
    anonymous = app.test_client().get("/events/symposium/matchmaking/practices/new")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert count(app, Practice) == 0


def test_bad_form_input_shows_the_messages_and_keeps_what_was_typed(app, mm, clients):
    response = offer_form(clients["owner"], title="x" * 201, links="not an address", country="ZZ")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "was not saved" in page and "https://" in page and "not an address" in page
    assert count(app, Practice) == 0


def test_user_text_is_escaped(app, mm, clients):
    offer_form(clients["owner"], title="<script>alert(1)</script>")
    page = clients["thai"].get("/events/symposium/matchmaking").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_only_the_owner_or_organisers_edit_a_practice(app, mm, clients):
    offer_form(clients["owner"])
    pid = practice_id(app)
    url = f"/events/symposium/matchmaking/practices/{pid}/edit"
    assert clients["thai"].get(url).status_code == 403
    assert post_form(clients["thai"], url, {"title": "Taken", "country": "TH"}).status_code == 403
    assert post_form(clients["other_organiser"], url, {"title": "Taken", "country": "KR"}).status_code == 403
    assert post_form(clients["owner"], url, {"title": "Renamed", "country": "KR"}).status_code == 303
    assert (
        post_form(clients["organiser"], url, {"title": "Renamed again", "country": "KR"}).status_code == 303
    )
    assert practice_id(app, "Renamed again") == pid


def test_organisers_hide_a_practice_and_then_nobody_else_finds_it(app, mm, clients):
    offer_form(clients["owner"])
    pid = practice_id(app)
    assert (
        post_form(
            clients["owner"],
            f"/events/symposium/matchmaking/practices/{pid}/visibility",
            {"status": "hidden"},
        ).status_code
        == 403
    )
    assert (
        post_form(
            clients["organiser"],
            f"/events/symposium/matchmaking/practices/{pid}/visibility",
            {"status": "hidden"},
        ).status_code
        == 303
    )
    assert clients["thai"].get(f"/events/symposium/matchmaking/practices/{pid}").status_code == 404
    assert clients["owner"].get(f"/events/symposium/matchmaking/practices/{pid}").status_code == 200
    assert "Rapid Digitization" not in clients["thai"].get("/events/symposium/matchmaking").get_data(
        as_text=True
    )
    shown = post_form(
        clients["organiser"],
        f"/events/symposium/matchmaking/practices/{pid}/visibility",
        {"status": "published", "next_page": "manage"},
    )
    assert shown.headers["Location"].endswith("/manage/events/symposium/matchmaking")
    assert clients["thai"].get(f"/events/symposium/matchmaking/practices/{pid}").status_code == 200


def test_follow_up_by_form_and_totals_on_the_event_page(app, mm, clients):
    offer_form(clients["owner"])
    pid = practice_id(app)
    post_form(
        clients["thai"], f"/events/symposium/matchmaking/practices/{pid}/interest", {"wants": "study_visit"}
    )
    with app.app_context():
        iid = _db.session.scalar(select(Interest.id))
    url = f"/events/symposium/matchmaking/possibilities/{iid}/follow-up"
    assert post_form(clients["thai"], url, {"status": "contacted"}).status_code == 403
    assert post_form(clients["organiser"], url, {"status": "done"}).status_code == 409
    assert post_form(clients["organiser"], url, {}).status_code == 400
    assert (
        post_form(clients["organiser"], url, {"status": "contacted", "note": "Called them"}).status_code
        == 303
    )
    assert post_form(clients["owner"], url, {"note": "Visit planned"}).status_code == 303
    from_back_office = post_form(clients["organiser"], url, {"status": "in_progress", "next_page": "manage"})
    assert from_back_office.status_code == 303
    assert from_back_office.headers["Location"].endswith(
        f"/manage/events/symposium/matchmaking#possibility-{iid}"
    )
    assert (
        post_form(clients["organiser"], url, {"status": "contacted", "note": "Back a step"}).status_code
        == 303
    )
    with app.app_context():
        assert [n.to_status for n in _db.session.scalars(select(FollowUpNote).order_by(FollowUpNote.id))] == [
            "contacted",
            None,
            "in_progress",
            "contacted",
        ]
    event_page = app.test_client().get("/events/symposium").get_data(as_text=True)
    assert "data-mm-possibilities>1<" in event_page and 'data-mm-status="contacted">1<' in event_page
    owner_view = clients["owner"].get(f"/events/symposium/matchmaking/practices/{pid}").get_data(as_text=True)
    assert "Called them" in owner_view and "Thida Thai" in owner_view
    public_view = clients["viet"].get(f"/events/symposium/matchmaking/practices/{pid}").get_data(as_text=True)
    assert "Called them" not in public_view and "Thida Thai" not in public_view


def test_csv_and_printable_view_follow_the_filters(app, mm, clients):
    offer_form(clients["owner"], title="=cmd|' /C calc'!A0", track_id=str(mm.track_id))
    offer_form(clients["viet"], title="Nation-wide Telehealth Services", country="VN")
    formula = practice_id(app, "=cmd|' /C calc'!A0")
    for name in ("thai", "viet"):
        post_form(
            clients[name],
            f"/events/symposium/matchmaking/practices/{formula}/interest",
            {"wants": "documents"},
        )
    response = app.test_client().get("/events/symposium/matchmaking/table.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 3
    assert {r["practice"] for r in rows} == {"'=cmd|' /C calc'!A0", "Nation-wide Telehealth Services"}
    filtered = app.test_client().get(f"/events/symposium/matchmaking/table.csv?track={mm.track_id}")
    assert len(list(csv.DictReader(io.StringIO(filtered.get_data(as_text=True))))) == 2
    by_country = (
        app.test_client().get("/events/symposium/matchmaking/print?country=VN").get_data(as_text=True)
    )
    assert "Nation-wide Telehealth" in by_country and "Vietnam" in by_country
    assert app.test_client().get("/events/symposium/matchmaking?track=abc").status_code == 400
    assert app.test_client().get("/events/symposium/matchmaking?country=ZZ").status_code == 400


def test_a_draft_events_matchmaking_is_not_found(app, mm, clients):
    with app.app_context():
        from conference.programme.models import Event

        _db.session.get(Event, mm.event.id).published = False
        _db.session.commit()
    assert app.test_client().get("/events/symposium/matchmaking").status_code == 404
    assert clients["thai"].get(f"{API}/practices").status_code == 404
    assert clients["organiser"].get("/events/symposium/matchmaking").status_code == 200


def test_the_back_office_section_is_for_organisers(app, mm, clients):
    page = clients["organiser"].get("/manage/events/symposium/matchmaking")
    assert page.status_code == 200 and ">Matchmaking</a>" in page.get_data(as_text=True)
    assert clients["thai"].get("/manage/events/symposium/matchmaking").status_code == 403
    assert clients["other_organiser"].get("/manage/events/symposium/matchmaking").status_code == 403
    response = post_form(
        clients["organiser"],
        "/manage/events/symposium/matchmaking/sessions",
        {"session_ids": [str(mm.session_id)]},
    )
    assert response.status_code == 303
    assert clients["organiser"].get(f"{API}/sessions").get_json() == {"session_ids": [mm.session_id]}
    assert (
        post_form(
            clients["organiser"], "/manage/events/symposium/matchmaking/sessions", {"session_ids": ["abc"]}
        ).status_code
        == 400
    )


def test_the_back_office_filters_possibilities_by_status_area_and_country(app, mm, clients):
    offer_form(clients["owner"], track_id=str(mm.track_id))
    offer_form(clients["viet"], title="Nation-wide Telehealth Services", country="VN")
    digital, telehealth = practice_id(app), practice_id(app, "Nation-wide Telehealth Services")
    for name, pid in (("thai", digital), ("viet", digital), ("thai", telehealth)):
        post_form(
            clients[name], f"/events/symposium/matchmaking/practices/{pid}/interest", {"wants": "documents"}
        )
    with app.app_context():
        moved = _db.session.scalar(
            select(Interest.id).where(Interest.practice_id == digital, Interest.country == "VN")
        )
    url = f"/events/symposium/matchmaking/possibilities/{moved}/follow-up"
    assert post_form(clients["organiser"], url, {"status": "contacted"}).status_code == 303

    def rows(query):
        page = clients["organiser"].get(f"/manage/events/symposium/matchmaking?{query}")
        assert page.status_code == 200
        return sorted(re.findall(r'data-possibility="([^"]+)"', page.get_data(as_text=True)))

    assert len(rows("")) == 3
    assert rows("status=contacted") == ["Rapid Digitization × VN"]
    assert rows(f"track={mm.track_id}") == ["Rapid Digitization × TH", "Rapid Digitization × VN"]
    assert rows("country=TH") == ["Nation-wide Telehealth Services × TH", "Rapid Digitization × TH"]
    assert clients["organiser"].get("/manage/events/symposium/matchmaking?status=finished").status_code == 400


# --- the API -------------------------------------------------------------------------------------


def test_the_api_offers_expresses_interest_and_follows_up(app, mm, bearer):
    created = app.test_client().post(
        f"{API}/practices",
        json={"title": "Common Assessment Framework", "track_id": mm.track_id},
        headers=bearer(mm.owner),
    )
    assert created.status_code == 201, created.get_json()
    pid = created.get_json()["id"]
    first = app.test_client().post(
        f"{API}/practices/{pid}/interest", json={"wants": ["adaptation"]}, headers=bearer(mm.thai)
    )
    second = app.test_client().post(
        f"{API}/practices/{pid}/interest", json={"note": "us too"}, headers=bearer(mm.thai2)
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json()["joined_existing"] is True and second.get_json()["people"] == 2
    iid = first.get_json()["id"]
    refused = app.test_client().post(
        f"{API}/possibilities/{iid}/follow-up", json={"status": "contacted"}, headers=bearer(mm.thai)
    )
    assert refused.status_code == 403
    moved = app.test_client().post(
        f"{API}/possibilities/{iid}/follow-up",
        json={"status": "contacted", "note": "mail sent"},
        headers=bearer(mm.owner),
    )
    assert moved.status_code == 200 and moved.get_json()["status"] == "contacted"
    table = app.test_client().get(f"{API}/table?country=TH").get_json()
    assert table["possibilities"] == 1 and table["by_status"] == {"contacted": 1}
    assert app.test_client().get(f"{API}/totals").get_json()["by_status"]["contacted"] == 1
    # The public shape has no names; the owner's has them.
    public = app.test_client().get(f"{API}/practices/{pid}").get_json()
    assert "members" not in public["interests"][0]
    own = app.test_client().get(f"{API}/practices/{pid}", headers=bearer(mm.owner)).get_json()
    assert {m["name"] for m in own["interests"][0]["members"]} == {"Thida Thai", "Somchai Thai"}


def test_the_api_refuses_without_sign_in_registration_or_right(app, mm, bearer):
    assert app.test_client().post(f"{API}/practices", json={"title": "x"}).status_code in (400, 401)
    assert (
        app.test_client()
        .post(f"{API}/practices", json={"title": "x"}, headers=bearer(mm.stranger))
        .status_code
        == 403
    )
    pid = (
        app.test_client()
        .post(f"{API}/practices", json={"title": "Mine"}, headers=bearer(mm.owner))
        .get_json()["id"]
    )
    assert (
        app.test_client()
        .patch(f"{API}/practices/{pid}", json={"title": "Theirs"}, headers=bearer(mm.thai))
        .status_code
        == 403
    )
    assert app.test_client().delete(f"{API}/practices/{pid}", headers=bearer(mm.thai)).status_code == 403
    assert (
        app.test_client()
        .post(f"{API}/practices/{pid}/interest", json={}, headers=bearer(mm.stranger))
        .status_code
        == 403
    )
    assert (
        app.test_client()
        .post(f"{API}/practices/{pid}/interest", json={}, headers=bearer(mm.owner))
        .status_code
        == 400
    )
    assert (
        app.test_client()
        .put(f"{API}/sessions", json={"session_ids": []}, headers=bearer(mm.owner))
        .status_code
        == 403
    )
    assert app.test_client().get(f"/api/v1/events/other-forum/matchmaking/practices/{pid}").status_code == 404


JUNK = [
    None,
    [],
    "text",
    {"title": None},
    {"title": "x" * 100_000},
    {"title": "ok", "links": "x"},
    {"title": "a\x00"},
    {"wants": ["everything"]},
    {"status": "finished"},
    {"starts_at": "0001-01-01T00:00:00+14:00"},
    {"revision": 2**63},
    {"session_ids": ["1 OR 1=1"]},
    {"open": "yes"},
]


def test_junk_bodies_get_a_4xx_never_a_500(app, mm, bearer, clients):
    pid = (
        app.test_client()
        .post(f"{API}/practices", json={"title": "Mine"}, headers=bearer(mm.owner))
        .get_json()["id"]
    )
    iid = (
        app.test_client()
        .post(f"{API}/practices/{pid}/interest", json={}, headers=bearer(mm.thai))
        .get_json()["id"]
    )
    mid = (
        app.test_client()
        .post(
            f"{API}/meetings",
            json={
                "recipient_id": mm.owner.id,
                "starts_at": "2030-05-06T11:00",
                "mode": "online",
                "link": "https://meet.example/x",
            },
            headers=bearer(mm.thai),
        )
        .get_json()["id"]
    )
    targets = [
        ("POST", f"{API}/practices", mm.owner),
        ("PATCH", f"{API}/practices/{pid}", mm.owner),
        ("POST", f"{API}/practices/{pid}/interest", mm.thai),
        ("POST", f"{API}/possibilities/{iid}/follow-up", mm.organiser),
        ("PUT", f"{API}/sessions", mm.organiser),
        ("POST", f"{API}/meetings", mm.thai),
        ("PUT", f"{API}/meetings/availability", mm.viet),
        ("POST", f"{API}/meetings/{mid}/accept", mm.owner),
        ("POST", f"{API}/meetings/{mid}/propose", mm.owner),
        ("POST", f"{API}/meetings/{mid}/nonsense", mm.owner),
    ]
    server_errors = []
    for method, url, user in targets:
        headers = bearer(user)
        for body in JUNK:
            response = app.test_client().open(url, method=method, json=body, headers=headers)
            if response.status_code >= 500:
                server_errors.append((method, url, str(body)[:60], response.status_code))
            elif response.status_code >= 400:
                assert "error" in response.get_json(), (url, body)
    assert server_errors == []
    # The form routes too, with junk fields.
    for url in (
        f"/events/symposium/matchmaking/practices/{pid}/interest",
        "/events/symposium/meetings",
        f"/events/symposium/meetings/{mid}/accept",
        f"/events/symposium/matchmaking/possibilities/{iid}/follow-up",
    ):
        response = post_form(
            clients["owner"],
            url,
            {"wants": "x" * 10_000, "starts_at": "yesterday", "revision": "-1", "status": "<b>"},
        )
        assert 400 <= response.status_code < 500, (url, response.status_code)


def test_a_cookie_post_without_the_csrf_token_is_refused(app, mm, clients):
    response = clients["owner"].post(f"{API}/practices", json={"title": "No token"})
    assert response.status_code == 400
    assert (
        clients["owner"]
        .post(
            f"{API}/practices", json={"title": "Token"}, headers={"X-CSRFToken": csrf_token(clients["owner"])}
        )
        .status_code
        == 201
    )


# --- meetings and the agenda ---------------------------------------------------------------------


def test_meetings_by_form_land_in_both_agendas_and_their_ics(app, mm, clients):
    offer_form(clients["owner"])
    page = (
        clients["thai"].get(f"/events/symposium/meetings?recipient_id={mm.owner.id}").get_data(as_text=True)
    )
    assert "Kim Owner" in page
    asked = post_form(
        clients["thai"],
        "/events/symposium/meetings",
        {
            "recipient_id": str(mm.owner.id),
            "starts_at": "2030-05-06T14:00",
            "duration_minutes": "20",
            "mode": "in_person",
            "place": "Lounge <B>",
            "note": "About your practice",
        },
    )
    assert asked.status_code == 303
    with app.app_context():
        meeting = _db.session.scalar(select(Meeting))
        mid, revision = meeting.id, meeting.revision
    assert (
        post_form(
            clients["thai"], f"/events/symposium/meetings/{mid}/accept", {"revision": str(revision)}
        ).status_code
        == 409
    )
    assert (
        post_form(
            clients["viet"], f"/events/symposium/meetings/{mid}/accept", {"revision": str(revision)}
        ).status_code
        == 404
    )
    assert (
        post_form(
            clients["owner"], f"/events/symposium/meetings/{mid}/accept", {"revision": str(revision)}
        ).status_code
        == 303
    )
    for name, other in (("owner", "Thida Thai"), ("thai", "Kim Owner")):
        agenda = clients[name].get("/events/symposium/my-agenda").get_data(as_text=True)
        assert f"Meeting with {other}" in agenda and "14:00–14:20" in agenda and "Lounge &lt;B&gt;" in agenda
        ics = clients[name].get("/events/symposium/my-agenda.ics")
        assert ics.headers["Content-Type"].startswith("text/calendar")
        calendar = Calendar.from_ical(ics.data)
        meetings_in = [c for c in calendar.walk("VEVENT") if str(c["uid"]).startswith("meeting-")]
        assert len(meetings_in) == 1 and str(meetings_in[0]["summary"]) == f"Meeting with {other}"
        assert meetings_in[0].decoded("dtstart").strftime("%H:%M") == "14:00"
        assert str(meetings_in[0]["location"]) == "Lounge <B>"
    assert "Meeting with" not in clients["viet"].get("/events/symposium/my-agenda").get_data(as_text=True)
    assert app.test_client().get("/events/symposium/my-agenda.ics").status_code in (302, 401)
    # The same time for someone already booked: refused, nothing written.
    post_form(clients["viet"], "/events/symposium/meetings/availability", {"open": "1"})
    clash = post_form(
        clients["viet"],
        "/events/symposium/meetings",
        {
            "recipient_id": str(mm.owner.id),
            "starts_at": "2030-05-06T14:10",
            "mode": "online",
            "link": "https://meet.example/a",
        },
    )
    assert clash.status_code == 409 and "already has a meeting" in clash.get_data(as_text=True)
    assert count(app, Meeting) == 1


def test_meetings_api_propose_and_answer(app, mm, bearer):
    app.test_client().put(f"{API}/meetings/availability", json={"open": True}, headers=bearer(mm.viet))
    asked = app.test_client().post(
        f"{API}/meetings",
        json={
            "recipient_id": mm.viet.id,
            "starts_at": "2030-05-06T09:00:00+09:00",
            "duration_minutes": 15,
            "mode": "online",
            "link": "https://meet.example/v",
        },
        headers=bearer(mm.thai),
    )
    assert asked.status_code == 201, asked.get_json()
    body = asked.get_json()
    assert body["starts_at"] == "2030-05-06T00:00:00Z" and body["your_turn"] is False
    proposed = app.test_client().post(
        f"{API}/meetings/{body['id']}/propose",
        json={"revision": body["revision"], "starts_at": "2030-05-06T16:30", "duration_minutes": 30},
        headers=bearer(mm.viet),
    )
    assert proposed.status_code == 200 and proposed.get_json()["starts_at"] == "2030-05-06T07:30:00Z"
    stale = app.test_client().post(
        f"{API}/meetings/{body['id']}/accept", json={"revision": body["revision"]}, headers=bearer(mm.thai)
    )
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "meeting_changed"
    accepted = app.test_client().post(
        f"{API}/meetings/{body['id']}/accept",
        json={"revision": proposed.get_json()["revision"]},
        headers=bearer(mm.thai),
    )
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    listed = app.test_client().get(f"{API}/meetings", headers=bearer(mm.viet)).get_json()["meetings"]
    assert [m["with"]["name"] for m in listed] == ["Thida Thai"]
    assert app.test_client().get(f"{API}/meetings", headers=bearer(mm.owner)).get_json()["meetings"] == []


# --- live ----------------------------------------------------------------------------------------


def test_a_matchmaking_sessions_live_page_follows_new_practices_and_interest(
    app, mm, clients, live_client, bearer
):
    clients["organiser"].put(
        f"{API}/sessions",
        json={"session_ids": [mm.session_id]},
        headers={"X-CSRFToken": csrf_token(clients["organiser"])},
    )
    early = (
        app.test_client()
        .post(f"{API}/practices", json={"title": "Early practice"}, headers=bearer(mm.owner))
        .get_json()
    )
    watcher = live_client(mm.viet)
    ack = call(watcher, "join", {"session_id": mm.session_id})
    assert ack["ok"] and [p["title"] for p in ack["state"]["matchmaking"]["practices"]] == ["Early practice"]
    elsewhere = live_client(mm.thai2)
    plenary = ack["state"]["session"]["id"] - 1
    other_ack = call(elsewhere, "join", {"session_id": plenary})
    assert other_ack["ok"] and "matchmaking" not in other_ack["state"]
    received(watcher), received(elsewhere)

    new = (
        app.test_client()
        .post(f"{API}/practices", json={"title": "Nation-wide Telehealth"}, headers=bearer(mm.owner))
        .get_json()
    )
    app.test_client().post(
        f"{API}/practices/{early['id']}/interest", json={"wants": ["documents"]}, headers=bearer(mm.thai)
    )
    got = watcher.get_received("/live")
    practices = [e["args"][0] for e in got if e["name"] == "matchmaking:practice"]
    assert [p["title"] for p in practices] == ["Nation-wide Telehealth"] and practices[0]["id"] == new["id"]
    interests = [e["args"][0] for e in got if e["name"] == "matchmaking:interest"]
    assert interests == [
        {
            "practice_id": early["id"],
            "interest": {
                "id": interests[0]["interest"]["id"],
                "country": "TH",
                "country_name": "Thailand",
                "wants": ["documents"],
                "status": "proposed",
                "people": 1,
            },
            "possibilities": 1,
        }
    ]
    assert "Thida" not in str(interests)
    assert (
        received(elsewhere, "matchmaking:practice") == []
        and received(elsewhere, "matchmaking:interest") == []
    )
    # Hidden by the organisers: it leaves the live page too.
    clients["organiser"].patch(
        f"{API}/practices/{new['id']}",
        json={"status": "hidden"},
        headers={"X-CSRFToken": csrf_token(clients["organiser"])},
    )
    assert received(watcher, "matchmaking:practice_removed") == [{"id": new["id"]}]


def test_the_live_page_and_screen_carry_the_panel_only_in_matchmaking_sessions(app, mm, clients):
    live = f"/events/symposium/sessions/{mm.session_id}/live"
    assert "data-matchmaking-live" not in clients["viet"].get(live).get_data(as_text=True)
    post_form(
        clients["organiser"],
        "/manage/events/symposium/matchmaking/sessions",
        {"session_ids": [str(mm.session_id)]},
    )
    assert "data-matchmaking-live" in clients["viet"].get(live).get_data(as_text=True)
    screen = (
        clients["organiser"].get(f"/events/symposium/sessions/{mm.session_id}/screen").get_data(as_text=True)
    )
    assert "data-matchmaking-live" in screen and "mm-screen" in screen


def test_a_practice_carries_translations_of_its_title_shown_in_the_viewers_language(app, mm, bearer, clients):
    bad = app.test_client().post(
        f"{API}/practices",
        json={"title": "One-stop shop", "translations": {"title": {"pt": "Balcão único"}}},
        headers=bearer(mm.owner),
    )
    assert bad.status_code == 400 and "translations" in bad.json["error"]["details"]["fields"]
    created = app.test_client().post(
        f"{API}/practices",
        json={"title": "One-stop shop", "translations": {"title": {"fr": "Guichet unique"}}},
        headers=bearer(mm.owner),
    )
    assert created.status_code == 201, created.json
    assert created.json["translations"] == {"title": {"fr": "Guichet unique"}}
    practice_id = created.json["id"]
    changed = app.test_client().patch(
        f"{API}/practices/{practice_id}",
        json={"translations": {"title": {"ar": "الشباك الموحد"}, "summary": {"ar": "ملخص"}}},
        headers=bearer(mm.owner),
    )
    assert changed.status_code == 200, changed.json
    thai = clients["thai"]
    thai.set_cookie("lang", "ar")
    page = thai.get(f"/events/symposium/matchmaking/practices/{practice_id}").get_data(as_text=True)
    assert "الشباك الموحد" in page
    thai.set_cookie("lang", "fr")
    page = thai.get(f"/events/symposium/matchmaking/practices/{practice_id}").get_data(as_text=True)
    assert "One-stop shop" in page and "Guichet unique" not in page  # the French one was replaced


def test_the_practice_form_edits_translations(app, mm, clients):
    owner = clients["owner"]
    response = post_form(
        owner,
        "/events/symposium/matchmaking/practices/new",
        {"title": "Open data portal", "country": "KR", "tr-title-zh": "开放数据门户"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    with app.app_context():
        practice = _db.session.scalar(select(Practice).where(Practice.title == "Open data portal"))
        assert practice.translations == {"title": {"zh": "开放数据门户"}}
        edit_url = f"/events/symposium/matchmaking/practices/{practice.id}/edit"
    assert "开放数据门户" in owner.get(edit_url).get_data(as_text=True)
