"""The record of who was in which breakout, over HTTP for moderators."""

from __future__ import annotations

import csv
import io

from conference.accounts.models import User
from conference.extensions import db
from conference.rooms.breakouts import services
from conference.rooms.breakouts.services import RoomSpec


def run_a_round(app, cast):
    with app.app_context():
        moderator = db.session.get(User, cast.moderator.id)
        round_ = services.create_round(
            db.session, moderator, cast.plenary, [RoomSpec("East"), RoomSpec("=West")]
        )
        services.assign(db.session, moderator, round_.id, [(cast.alice.id, round_.rooms[0].id)])
        services.start_round(db.session, moderator, round_.id, 600)
        services.enter_breakout(db.session, db.session.get(User, cast.bob.id), round_.id, round_.rooms[1].id)
        services.recall_round(db.session, moderator, round_.id)
        return round_.id


def test_moderators_download_the_record_as_csv_and_json(app, cast, logged_in_client):
    round_id = run_a_round(app, cast)
    client = logged_in_client(cast.moderator)
    base = f"/events/{cast.event.slug}/sessions/{cast.plenary}"
    response = client.get(f"{base}/breakouts.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["room"], r["name"], r["source"], bool(r["joined_at"])) for r in rows] == [
        ("East", "Alice Asker", "assigned", False),
        ("'=West", "Bob Voter", "self", True),
    ]
    assert client.get(f"{base}/breakouts.csv?round={round_id + 1}").status_code == 404
    body = client.get(f"{base}/breakouts.json").get_json()
    assert body["rounds"][0]["round"]["status"] == "recalled"
    assert [m["name"] for m in body["rounds"][0]["rooms"][1]["members"]] == ["Bob Voter"]


def test_participants_and_strangers_cannot_read_the_record(app, cast, client, logged_in_client):
    run_a_round(app, cast)
    base = f"/events/{cast.event.slug}/sessions/{cast.plenary}"
    participant = logged_in_client(cast.alice)
    assert (
        participant.get(f"{base}/breakouts.json", headers={"Accept": "application/json"}).status_code == 403
    )
    assert participant.get(f"{base}/breakouts.csv").status_code == 403
    assert client.get(f"{base}/breakouts.json", headers={"Accept": "application/json"}).status_code == 401
    moderator = logged_in_client(cast.moderator)
    missing = moderator.get(f"/events/{cast.event.slug}/sessions/9999/breakouts.json")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "session_not_found"


def test_the_partials_render_for_the_live_pages(app, cast):
    from flask import render_template

    from conference.programme.models import Event, ProgrammeSession

    with app.test_request_context():
        event = db.session.get(Event, cast.event.id)
        session = db.session.get(ProgrammeSession, cast.plenary)
        live = render_template("rooms/breakouts/_live.html", event=event, session=session, is_moderator=False)
        console = render_template(
            "rooms/breakouts/_moderate.html", event=event, session=session, is_moderator=True
        )
    assert 'data-breakouts="live"' in live and "js/breakouts.js" in live
    assert f"/sessions/{cast.plenary}/breakouts.csv" in console and 'data-bo="recall"' in console


def test_the_demo_prepares_one_round_over_the_regional_breakouts(tmp_path):
    from conference import create_app
    from conference.programme.models import ProgrammeSession
    from conference.rooms.breakouts.models import BreakoutRound

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.db'}"})
    try:
        for _ in range(2):
            result = app.test_cli_runner().invoke(args=["demo"])
            assert result.exit_code == 0, result.output
        with app.app_context():
            rounds = db.session.scalars(db.select(BreakoutRound)).all()
            assert len(rounds) == 1 and rounds[0].status == "draft" and rounds[0].mode == "self_select"
            rooms = [(r.session.title, r.session.language, r.capacity) for r in rounds[0].rooms]
            assert ("Regional breakout: Western Asia and North Africa — Arabic", "ar", 60) in rooms and len(
                rooms
            ) == 4
            assert all(r.session.parent_id == rounds[0].session_id for r in rounds[0].rooms)
            assert db.session.scalar(db.select(db.func.count()).select_from(ProgrammeSession)) == 14
    finally:
        with app.app_context():
            db.engine.dispose()
