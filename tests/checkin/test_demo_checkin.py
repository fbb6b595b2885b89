"""`conference demo` brings check-in lists, assigned staff and printable badges, idempotently."""
from __future__ import annotations

from sqlalchemy import func, select

from conference import create_app
from conference.accounts.models import User
from conference.checkin.models import CheckinList, EventStaff
from conference.extensions import db


def test_demo_creates_lists_and_assigns_staff_once(tmp_path):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.db'}"})
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        scopes = dict(db.session.execute(select(CheckinList.scope, func.count()).group_by(CheckinList.scope)).all())
        assert scopes == {"event": 1, "day": 3, "session": 14}
        staff = db.session.scalars(select(User.email).join(EventStaff, EventStaff.user_id == User.id)).all()
        assert sorted(staff) == [f"staff{n}@symposium.example" for n in (1, 2, 3)]
        door = db.session.scalars(select(CheckinList).where(CheckinList.scope == "session")
                                  .where(CheckinList.name.like("Door: Opening session%"))).one()
        assert door.capacity == 500 and door.auto_checkout_at is not None
    client = app.test_client()
    page = client.post("/login", data={"email": "staff1@symposium.example", "password": "demo-staff-2030",
                                       "csrf_token": _csrf(client)})
    assert page.status_code == 303
    sheet = client.get("/events/governance-ai-2030/badges")
    assert sheet.status_code == 200 and sheet.data.count(b'class="a6-badge') > 100
    with app.app_context():
        db.engine.dispose()


def _csrf(client) -> str:
    import re

    return re.search(rb'name="csrf-token" content="([^"]+)"', client.get("/login").data).group(1).decode()
