"""The live pages: who may open them, what they carry, the stream embed and the QR code."""

from __future__ import annotations

import re


def page_url(cast, page: str) -> str:
    return f"/events/{cast.event.slug}/sessions/{cast.plenary}/{page}"


def test_the_live_page_is_for_registered_people(cast, logged_in_client, client):
    response = logged_in_client(cast.alice).get(page_url(cast, "live"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-session-id="{cast.plenary}"' in html and f'data-event-slug="{cast.event.slug}"' in html
    assert f'data-user-id="{cast.alice.id}"' in html and 'data-moderator="0"' in html
    assert "js/live.js" in html and "socket.io.min.js" in html and "js/rooms-live.js" in html
    # The plenary (2030) has not started: a card says when it starts instead of an idle player.
    assert (
        'data-phase="upcoming"' in html and "This session starts at 09:00" in html and "<iframe" not in html
    )
    assert "Moderator console" not in html
    assert 'id="chat-form"' in html and 'placeholder="Say something…"' in html
    assert logged_in_client(cast.outsider).get(page_url(cast, "live")).status_code == 403
    anonymous = client.get(page_url(cast, "live"))
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_stream_box_shows_the_player_only_while_the_session_runs(app, cast, db, logged_in_client):
    from datetime import timedelta

    from conference.db_types import utcnow
    from conference.programme.models import ProgrammeSession

    http = logged_in_client(cast.alice)
    url = f"/events/{cast.event.slug}/sessions/{cast.thematic}/live"
    session = db.get(ProgrammeSession, cast.thematic)
    session.starts_at, session.ends_at = utcnow() - timedelta(minutes=5), utcnow() + timedelta(hours=1)
    db.commit()
    html = http.get(url).get_data(as_text=True)
    assert 'data-phase="live"' in html and "No stream yet" in html and "<iframe" not in html

    session.stream_url = "https://youtu.be/dQw4w9WgXcQ?t=1m5s"
    db.commit()
    html = http.get(url).get_data(as_text=True)
    assert '<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=65"' in html

    session.stream_url = "javascript:alert(1)//https://x.org"  # stored before validation existed
    db.commit()
    html = http.get(url).get_data(as_text=True)
    assert "No stream yet" in html and "<iframe" not in html and "javascript:" not in html

    session.stream_url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    session.starts_at, session.ends_at = utcnow() - timedelta(hours=2), utcnow() - timedelta(hours=1)
    db.commit()
    html = http.get(url).get_data(as_text=True)
    assert 'data-phase="ended"' in html and "This session has ended" in html and "<iframe" not in html


def test_the_moderator_console_is_for_moderators(cast, logged_in_client):
    assert logged_in_client(cast.alice).get(page_url(cast, "moderate")).status_code == 403
    html = logged_in_client(cast.moderator).get(page_url(cast, "moderate")).get_data(as_text=True)
    assert 'data-moderator="1"' in html and "moderation-switch" in html and "js/rooms-moderate.js" in html
    assert 'id="chat-form"' in html and 'placeholder="Message the room…"' in html


def test_unknown_sessions_are_404(cast, logged_in_client):
    http = logged_in_client(cast.moderator)
    assert http.get(f"/events/{cast.event.slug}/sessions/99999/live").status_code == 404
    assert http.get(f"/events/nope/sessions/{cast.plenary}/moderate").status_code == 404


def test_the_screen_shows_a_qr_code_to_the_live_page(app, cast, logged_in_client):
    http = logged_in_client(cast.moderator)
    html = http.get(page_url(cast, "screen")).get_data(as_text=True)
    assert f"http://localhost{page_url(cast, 'live')}" in html
    qr_src = re.search(r'<img src="([^"]+live-qr\.svg)"', html).group(1)
    svg = http.get(qr_src)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data and b"<path" in svg.data


def test_the_qr_code_uses_the_public_base_url_when_set(app, cast, logged_in_client):
    app.config["PUBLIC_BASE_URL"] = "https://symposium.example.org"
    html = logged_in_client(cast.moderator).get(page_url(cast, "screen")).get_data(as_text=True)
    assert f"https://symposium.example.org{page_url(cast, 'live')}" in html


def test_the_session_page_links_to_the_live_room(cast, logged_in_client):
    url = f"/events/{cast.event.slug}/sessions/{cast.plenary}"
    html = logged_in_client(cast.alice).get(url).get_data(as_text=True)
    assert "Join live" in html and page_url(cast, "live") in html and page_url(cast, "moderate") not in html
    html = logged_in_client(cast.moderator).get(url).get_data(as_text=True)
    assert page_url(cast, "moderate") in html and page_url(cast, "screen") in html
