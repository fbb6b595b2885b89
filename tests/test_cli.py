"""The `conference` command line: schema, demo, users, tokens, registrations and the bulk import."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from conference import create_app
from conference.accounts.models import User
from conference.extensions import db
from conference.grants.models import EventGrant
from conference.programme.models import Event, ProgrammeSession
from conference.registrations.models import Registration


@pytest.fixture()
def empty_app(tmp_path):
    """An app on an empty database file: the CLI creates the schema itself."""
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cli.db'}"})
    yield app
    with app.app_context():
        db.engine.dispose()


def invoke(app, *args):
    """Run a CLI command against this app; `output` holds stdout and stderr together."""
    return app.test_cli_runner().invoke(args=list(args))


def counts(app) -> dict:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Event, ProgrammeSession, Registration)
        }


def test_init_db_is_idempotent_and_migrations_match_the_models(empty_app):
    for _ in range(2):
        result = invoke(empty_app, "init-db")
        assert result.exit_code == 0, result.output
        assert "database ready" in result.output
    with empty_app.app_context(), db.engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata
        )
        assert diff == []


def test_demo_loads_the_symposium_idempotently(empty_app):
    first = invoke(empty_app, "demo")
    assert first.exit_code == 0, first.output
    assert "admin@symposium.example" in first.output and "demo-admin-2030" in first.output
    assert "staff3@symposium.example" in first.output and "moderator2@symposium.example" in first.output
    assert "/manage/outbox" in first.output  # where to read the mail of the embedded default
    after_first = counts(empty_app)
    second = invoke(empty_app, "demo")
    assert second.exit_code == 0, second.output
    assert counts(empty_app) == after_first
    with empty_app.app_context():
        event = db.session.scalar(select(Event))
        assert event.timezone == "Asia/Seoul" and event.city == "Incheon"
        titles = set(db.session.scalars(select(ProgrammeSession.title)))
        for title in (
            "Opening session",
            "Artificial Intelligence and the SDGs - Paving the Way for Accelerating Action",
            "Revolutionizing Public Administration: AI-Driven Innovation and Transformation",
            "Digital Inclusion and AI: Fostering Equitable Innovation and Inclusive Governance",
            "Resilient Communities: AI for Early Warning Systems and Resilience",
            "AI Ethics: Responsible Use of Artificial Intelligence in the Public Sector",
        ):
            assert title in titles
        languages = set(
            db.session.scalars(select(ProgrammeSession.language).where(ProgrammeSession.kind == "breakout"))
        )
        assert languages == {"en", "ar"}
        synthetic = select(User).where(User.email.like("participant___@symposium.example"))
        assert len(db.session.scalars(synthetic).all()) == 450
        countries = db.session.scalar(
            select(func.count(func.distinct(User.country))).where(
                User.email.like("participant___@symposium.example")
            )
        )
        assert countries == 70
        modes = dict(
            db.session.execute(select(Registration.mode, func.count()).group_by(Registration.mode)).all()
        )
        assert 100 < modes["in_person"] < 200 and modes["online"] > 250
        roles = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
        assert roles["admin"] == 1 and set(roles) == {"admin", "attendee"}
        grants = dict(
            db.session.execute(select(EventGrant.role, func.count()).group_by(EventGrant.role)).all()
        )
        assert grants == {"organiser": 1, "moderator": 2, "staff": 3}


def test_demo_credentials_sign_in(empty_app):
    invoke(empty_app, "demo")
    from conftest import post_form

    client = empty_app.test_client()
    response = post_form(
        client, "/login", {"email": "admin@symposium.example", "password": "demo-admin-2030"}
    )
    assert response.status_code == 303


def test_create_user_token_and_register(empty_app):
    invoke(empty_app, "init-db")
    invoke(empty_app, "demo")
    result = invoke(
        empty_app, "create-user", "Gate@Example.org", "--name", "Gate Two", "--password", "gate-two-pass"
    )
    assert result.exit_code == 0 and "created gate@example.org (attendee)" in result.output
    assert invoke(empty_app, "create-user", "x@example.org", "--name", "X", "--role", "staff").exit_code == 2
    assert (
        invoke(empty_app, "checkin", "assign-staff", "governance-ai-2030", "gate@example.org").exit_code == 0
    )
    duplicate = invoke(empty_app, "create-user", "gate@example.org", "--name", "Again")
    assert duplicate.exit_code == 1
    tokens = invoke(empty_app, "create-token", "gate@example.org", "admin@symposium.example")
    assert tokens.exit_code == 0
    lines = [line.split() for line in tokens.output.strip().splitlines()]
    assert [email for email, _ in lines] == ["gate@example.org", "admin@symposium.example"]
    token = lines[0][1]
    response = empty_app.test_client().get(
        "/manage/events/governance-ai-2030/participants", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert invoke(empty_app, "create-token", "nobody@example.org").exit_code == 1
    registered = invoke(empty_app, "register", "gate@example.org", "governance-ai-2030", "--mode", "online")
    assert registered.exit_code == 0 and "registered gate@example.org" in registered.output
    again = invoke(empty_app, "register", "gate@example.org", "governance-ai-2030", "--mode", "online")
    assert again.exit_code == 1
    assert (
        invoke(empty_app, "register", "gate@example.org", "no-such-event", "--mode", "online").exit_code == 1
    )


def test_import_participants_reports_the_bad_line_and_imports_nothing(empty_app, tmp_path):
    invoke(empty_app, "demo")
    before = counts(empty_app)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "email,name,organisation,country,mode\nx@example.org,X,Org,KR,online\ny@example.org,Y,Org,KR,maybe\n"
    )
    result = invoke(empty_app, "import-participants", str(bad), "governance-ai-2030")
    assert result.exit_code == 1
    assert "line 3: mode must be in_person or online" in result.output
    assert counts(empty_app) == before
    good = tmp_path / "good.csv"
    good.write_text("email,name,organisation,country,mode\nx@example.org,X,Org,KR,online\n")
    result = invoke(empty_app, "import-participants", str(good), "governance-ai-2030")
    assert result.exit_code == 0 and "1 new users, 1 new registrations" in result.output
