"""Web hardening (issue #14 items 9-11, 16): a strict Content-Security-Policy, HSTS in production,
no-store on pages that show secrets, the Host header, request ids in structured error lines,
stream addresses only for registered people, names without display-spoofing characters."""

from __future__ import annotations

import json
import logging

import pytest
from conftest import post_form

from conference.extensions import db as _db


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no inline script, no eval, no other site
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'self'" and directives["form-action"] == "'self'"
    assert "unsafe" not in directives["default-src"] + directives["style-src"]


def test_no_template_holds_inline_script_or_event_handlers():
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parents[1] / "templates"
    offenders = []
    for path in templates.rglob("*.html"):
        if "mail" in path.parts:  # e-mails are not pages of the site
            continue
        text = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", text):
            offenders.append((path.name, match.group(0)))
        for match in re.finditer(r"\son[a-z]+=\"", text):
            offenders.append((path.name, match.group(0)))
        if "javascript:" in text:
            offenders.append((path.name, "javascript:"))
    assert offenders == []


def test_hsts_in_production_only(make_app, client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    production = make_app(
        "w.db", ENV_NAME="production", SECRET_KEY="p" * 40, PUBLIC_BASE_URL="https://s.example"
    )
    response = production.test_client().get("/", base_url="https://s.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_pages_that_show_secrets_are_not_stored(app, client, make_user):
    from conference.accounts.links import issue_link

    user = make_user()
    with app.app_context():
        token = issue_link(_db.session, _db.session.merge(user), "signin")
        _db.session.commit()
    page = client.get(f"/signin/{token}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


def test_production_needs_a_public_base_url_or_trusted_hosts(make_app):
    base = {"ENV_NAME": "production", "SECRET_KEY": "p" * 40}
    with pytest.raises(RuntimeError, match="CONFERENCE_PUBLIC_BASE_URL"):
        make_app("w.db", **base)
    trusted = make_app("w.db", **base, TRUSTED_HOSTS=["symposium.example"])
    client = trusted.test_client()
    assert client.get("/healthz", base_url="https://symposium.example").status_code == 200
    assert client.get("/healthz", base_url="https://evil.example").status_code == 400


def test_the_projector_qr_code_never_caches_a_request_host(make_app):
    def qr(app, host):
        return app.test_client().get("/events/event-1/sessions/1/live-qr.svg", base_url=f"http://{host}")

    plain = make_app("w.db")
    # Development without a base URL: the Host is encoded, so the image is never cached.
    _seed_event(plain)
    one, other = qr(plain, "a.example"), qr(plain, "evil.example")
    assert one.status_code == 200 and one.headers["Cache-Control"] == "no-store"
    assert one.data != other.data  # the Host made the difference: nothing may keep it
    # With a base URL the image is the same whatever Host a request sends, and cacheable.
    configured = make_app("w.db", PUBLIC_BASE_URL="https://symposium.example")
    one, other = qr(configured, "a.example"), qr(configured, "evil.example")
    assert one.data == other.data and "public" in one.headers["Cache-Control"]


def _seed_event(app):
    from datetime import UTC, datetime, timedelta

    from conference.programme.models import Event, ProgrammeSession

    with app.app_context():
        start = datetime(2030, 5, 6, tzinfo=UTC)
        event = Event(
            slug="event-1",
            title="E",
            timezone="UTC",
            starts_at=start,
            ends_at=start + timedelta(days=1),
            published=True,
        )
        _db.session.add(event)
        _db.session.flush()
        _db.session.add(
            ProgrammeSession(
                event_id=event.id,
                title="S",
                kind="plenary",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
            )
        )
        _db.session.commit()


def test_an_unhandled_error_is_logged_with_its_request_id_in_one_json_line(make_app, caplog):
    app = make_app("w.db")

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    with caplog.at_level(logging.ERROR, logger="conference"):
        response = app.test_client().get("/boom", headers={"Accept": "application/json"})
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert response.json["error"]["details"]["request_id"] == request_id
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    line = next(entry for entry in lines if entry["event"] == "unhandled_error")
    assert line["request_id"] == request_id and line["path"] == "/boom" and line["error"] == "RuntimeError"
    record = next(r for r in caplog.records if r.getMessage().startswith('{"event": "unhandled_error"'))
    assert record.exc_info and "kaboom" in str(record.exc_info[1])
    # A proxy's request id is kept, a strange one replaced.
    assert (
        app.test_client().get("/healthz", headers={"X-Request-ID": "lb-12345678"}).headers["X-Request-ID"]
        == "lb-12345678"
    )
    assert app.test_client().get("/healthz", headers={"X-Request-ID": "<bad id>"}).headers[
        "X-Request-ID"
    ] != ("<bad id>")


@pytest.mark.real_server
def test_conference_serve_logs_to_stderr(app):
    from serve_support import conference_serve

    with app.app_context():
        _db.engine.dispose()
    with conference_serve(
        app.config["SQLALCHEMY_DATABASE_URI"], CONFERENCE_MESSAGE_QUEUE="redis://127.0.0.1:9/0"
    ) as (base, stderr):
        import requests

        requests.get(f"{base}/readyz", timeout=30)  # the unreachable queue is a warning in the log
        text = stderr.read_text()
    assert "WARNING [conference.fanout]" in text and "message_queue_unreachable" in text


def test_the_anonymous_programme_api_has_no_stream_addresses(
    client, make_event, make_user, make_registration, logged_in_client
):
    event = make_event()
    url = f"/api/v1/events/{event.slug}"
    anonymous = client.get(url).json
    assert anonymous["sessions"] and all("stream_url" not in s for s in anonymous["sessions"])
    outsider = logged_in_client(make_user()).get(url).json
    assert all("stream_url" not in s for s in outsider["sessions"])
    participant = make_user()
    make_registration(participant, event, "online")
    registered = logged_in_client(participant).get(url).json
    assert any(s.get("stream_url") for s in registered["sessions"])


SPOOFS = ["Admin\u202etxt.exe", "Ali\u200bce", "\u2066Bob\u2069", "Eve\ufeff", "Zoe\u200d", "Mal\u00adlory"]


@pytest.mark.parametrize("name", SPOOFS)
def test_names_refuse_bidi_overrides_and_invisible_characters(app, client, name):
    response = post_form(
        client,
        "/signup",
        {
            "name": name,
            "email": "spoof@example.org",
            "country": "JO",
            "password": "a-long-password",
            "confirm": "a-long-password",
        },
    )
    assert response.status_code == 400
    assert "invisible or direction-changing" in response.get_data(as_text=True)


def test_names_in_scripts_that_need_joiners_are_accepted():
    from conference.names import check_name

    assert check_name("Mohammad\u200cReza") is not None  # a joiner between Latin letters: refused
    assert check_name("\u0645\u06cc\u200c\u0631\u0648\u0645") is None  # Persian with ZWNJ: fine
    assert check_name("\u0932\u094d\u200d\u0915") is None  # Devanagari with ZWJ: fine
    assert check_name("Zoë O'Brien-Nakamura") is None


def test_organisers_cannot_add_spoofing_names(app, client, make_event, make_user, make_token):
    event = make_event()
    token = make_token(make_user("organiser"))
    headers = {"Authorization": f"Bearer {token}"}
    one = client.post(
        f"/api/v1/events/{event.slug}/registrations",
        json={"email": "x@example.org", "name": "Admin\u202e", "mode": "online"},
        headers=headers,
    )
    assert one.status_code == 400 and "name" in one.json["error"]["details"]["fields"]
    csv_text = "email,name,organisation,country,mode\ny@example.org,Ev\u200be,Org,KR,online\n"
    preview = client.post(
        f"/api/v1/events/{event.slug}/registrations/import",
        json={"csv_text": csv_text, "dry_run": True},
        headers=headers,
    )
    assert preview.status_code == 422
    assert "invisible or direction-changing" in preview.json["problems"][0]["message"]


def test_the_policy_lets_pages_reach_the_configured_janus_server(make_app):
    app = make_app(
        "w.db", JANUS_URL="http://127.0.0.1:8088/janus", JANUS_PUBLIC_URL="https://sfu.example/janus"
    )
    policy = app.test_client().get("/healthz").headers["Content-Security-Policy"]
    connect = next(p for p in policy.split(";") if p.strip().startswith("connect-src")).split()
    assert "https://sfu.example" in connect and "wss://sfu.example" in connect
    assert "http://127.0.0.1:8088" not in connect  # the internal address is not the browsers'
