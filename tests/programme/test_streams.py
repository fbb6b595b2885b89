"""Stream URLs: what organisers paste, what the live page embeds, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conference.programme.streams import (
    InvalidStreamUrl,
    describe_stream,
    session_phase,
    stream_or_none,
)

NOCOOKIE = "https://www.youtube-nocookie.com/embed/"

ACCEPTED = [
    # YouTube: watch, share, mobile, live, shorts and embed forms all become the privacy-enhanced player
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube", NOCOOKIE + "dQw4w9WgXcQ"),
    ("https://youtube.com/watch?v=dQw4w9WgXcQ&list=PL123&index=2", "youtube", NOCOOKIE + "dQw4w9WgXcQ"),
    ("https://m.youtube.com/watch?v=dQw4w9WgXcQ", "youtube", NOCOOKIE + "dQw4w9WgXcQ"),
    ("https://youtu.be/dQw4w9WgXcQ", "youtube", NOCOOKIE + "dQw4w9WgXcQ"),
    ("https://youtu.be/dQw4w9WgXcQ?si=abcDEF&t=90", "youtube", NOCOOKIE + "dQw4w9WgXcQ?start=90"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1h2m3s", "youtube", NOCOOKIE + "dQw4w9WgXcQ?start=3723"),
    ("https://www.youtube.com/live/dQw4w9WgXcQ?feature=share", "youtube", NOCOOKIE + "dQw4w9WgXcQ"),
    ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "youtube", NOCOOKIE + "dQw4w9WgXcQ"),
    ("https://www.youtube.com/embed/dQw4w9WgXcQ", "youtube", NOCOOKIE + "dQw4w9WgXcQ"),
    ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "youtube", NOCOOKIE + "dQw4w9WgXcQ"),
    (
        "https://www.youtube.com/embed/live_stream?channel=UCabcdefghijklmnopqrstuv",
        "youtube",
        NOCOOKIE + "live_stream?channel=UCabcdefghijklmnopqrstuv",
    ),
    ("  https://www.YouTube.com/watch?v=dQw4w9WgXcQ  ", "youtube", NOCOOKIE + "dQw4w9WgXcQ"),
    # Vimeo: page, unlisted, channel, showcase, player and live event links
    ("https://vimeo.com/123456", "vimeo", "https://player.vimeo.com/video/123456"),
    ("https://vimeo.com/123456/abcdef1234", "vimeo", "https://player.vimeo.com/video/123456?h=abcdef1234"),
    ("https://vimeo.com/channels/staffpicks/123456", "vimeo", "https://player.vimeo.com/video/123456"),
    ("https://vimeo.com/showcase/987/video/123456", "vimeo", "https://player.vimeo.com/video/123456"),
    (
        "https://player.vimeo.com/video/123456?h=abcdef1234&badge=0",
        "vimeo",
        "https://player.vimeo.com/video/123456?h=abcdef1234",
    ),
    ("https://vimeo.com/event/4242", "vimeo", "https://vimeo.com/event/4242/embed"),
    # HLS playlists play in our own player; anything else on https is an iframe
    (
        "https://cdn.example.org/live/hall-a/index.m3u8",
        "hls",
        "https://cdn.example.org/live/hall-a/index.m3u8",
    ),
    (
        "https://cdn.example.org/live/master.M3U8?token=abc",
        "hls",
        "https://cdn.example.org/live/master.M3U8?token=abc",
    ),
    ("https://stream.example.org/hall-a", "iframe", "https://stream.example.org/hall-a"),
    (
        "HTTPS://Stream.Example.org:8443/embed?room=1",
        "iframe",
        "https://stream.example.org:8443/embed?room=1",
    ),
]


@pytest.mark.parametrize(("url", "kind", "embed_url"), ACCEPTED)
def test_accepted_stream_urls_and_their_players(url, kind, embed_url):
    assert describe_stream(url) == {"kind": kind, "embed_url": embed_url}


REFUSED = [
    "javascript:alert(1)",
    "JavaScript://%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "http://stream.example.org/hall-a",  # mixed content on an https site
    "http://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "ftp://example.org/live.m3u8",
    "//stream.example.org/hall-a",
    "stream.example.org/hall-a",
    "https://",
    "https://localhost/stream",
    "https://user:secret@stream.example.org/hall-a",
    "https://stream.example.org/hall a",
    'https://stream.example.org/"onload="alert(1)',
    "https://stream.example.org/<script>",
    "https://stream.example.org/\x00",
    "https://stream.example.org:99999/",
    "https://www.youtube.com/watch?v=",
    'https://www.youtube.com/watch?v=abc"><script>',
    "https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv",
    "https://www.youtube.com/embed/live_stream",
    "https://vimeo.com/",
    "https://vimeo.com/about",
    "https://player.vimeo.com/api/player.js",
    "https://example.org/" + "a" * 500,
]


@pytest.mark.parametrize("url", REFUSED)
def test_junk_and_unsafe_stream_urls_are_refused_with_a_reason(url):
    with pytest.raises(InvalidStreamUrl) as refused:
        describe_stream(url)
    assert str(refused.value)  # a message for the organiser's form
    assert stream_or_none(url) is None  # and a stored one shows as "no stream", not as a broken frame


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_no_url_means_no_stream(empty):
    assert describe_stream(empty) is None


def test_the_refusal_is_a_value_error_so_form_validators_turn_it_into_a_field_error():
    from pydantic import BaseModel, ValidationError, field_validator

    class SessionForm(BaseModel):
        stream_url: str | None = None

        @field_validator("stream_url")
        @classmethod
        def playable(cls, value):
            describe_stream(value)
            return value

    with pytest.raises(ValidationError) as refused:
        SessionForm(stream_url="javascript:alert(1)")
    assert refused.value.errors()[0]["loc"] == ("stream_url",)
    assert "https://" in refused.value.errors()[0]["msg"]


def test_session_phase_turns_at_the_start_and_the_end():
    start = datetime(2030, 5, 6, 5, 0, tzinfo=UTC)
    end = start + timedelta(hours=1)
    assert session_phase(start, end, start - timedelta(seconds=1)) == "upcoming"
    assert session_phase(start, end, start) == "live"
    assert session_phase(start, end, end - timedelta(seconds=1)) == "live"
    assert session_phase(start, end, end) == "ended"
