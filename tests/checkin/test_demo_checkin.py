"""`conference demo` brings check-in lists, assigned staff and printable badges, idempotently."""

from __future__ import annotations

from sqlalchemy import func, select

from conference import create_app
from conference.accounts.models import User
from conference.checkin.models import CheckinList
from conference.extensions import db
from conference.grants.checks import can_scan
from conference.grants.models import EventGrant


def test_demo_creates_lists_and_assigns_staff_once(tmp_path):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.db'}"})
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        scopes = dict(
            db.session.execute(select(CheckinList.scope, func.count()).group_by(CheckinList.scope)).all()
        )
        assert scopes == {"event": 1, "day": 3, "session": 14}
        staff = db.session.scalars(
            select(User.email)
            .join(EventGrant, EventGrant.user_id == User.id)
            .where(EventGrant.role == "staff")
        ).all()
        assert sorted(staff) == [f"staff{n}@symposium.example" for n in (1, 2, 3)]
        door = db.session.scalars(
            select(CheckinList)
            .where(CheckinList.scope == "session")
            .where(CheckinList.name.like("Door: Opening session%"))
        ).one()
        assert door.capacity == 500 and door.auto_checkout_at is not None
    client = app.test_client()
    page = client.post(
        "/login",
        data={
            "email": "staff1@symposium.example",
            "password": "demo-staff-2030",
            "csrf_token": _csrf(client),
        },
    )
    assert page.status_code == 303
    sheet = client.get("/events/governance-ai-2030/badges")
    assert sheet.status_code == 200 and sheet.data.count(b'class="a6-badge') > 100
    with app.app_context():
        db.engine.dispose()


def _csrf(client) -> str:
    import re

    return re.search(rb'name="csrf-token" content="([^"]+)"', client.get("/login").data).group(1).decode()


def test_cli_creates_lists_and_assigns_staff(app, make_event, make_user):
    event = make_event()
    staff, stranger = make_user(), "nobody@example.org"
    runner = app.test_cli_runner()
    created = runner.invoke(args=["checkin", "create-lists", event.slug])
    assert created.exit_code == 0, created.output
    assert "Entrance" in created.output and "Door: AI Ethics" in created.output
    assert runner.invoke(args=["checkin", "create-lists", event.slug]).output == created.output
    assigned = runner.invoke(args=["checkin", "assign-staff", event.slug, staff.email])
    assert assigned.exit_code == 0 and f"{staff.email} may scan" in assigned.output
    with app.app_context():
        assert can_scan(db.session, db.session.get(User, staff.id), event.id)
    assert (
        runner.invoke(args=["checkin", "assign-staff", event.slug, staff.email]).exit_code == 0
    )  # idempotent
    refused = runner.invoke(args=["checkin", "assign-staff", event.slug, stranger])
    assert refused.exit_code == 1 and "no user" in refused.output
    assert runner.invoke(args=["checkin", "create-lists", "no-such-event"]).exit_code == 1
