"""What a session's stream URL is and how a page plays it: the one place that decides.

`describe_stream(url)` turns what an organiser pastes (a YouTube or Vimeo watch/share/embed link, any
https page meant for an iframe, an HLS `.m3u8` playlist) into `{"kind", "embed_url"}`; the live page
plays it, and the session forms call it to validate the field (`InvalidStreamUrl` is a ValueError,
so a pydantic validator that calls it turns the refusal into a field error).

Only `https` is accepted: an `http` frame is blocked as mixed content on an https site, and any other
scheme (`javascript:`, `data:`, `file:`) is a way to run code in the page, not a stream.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal, TypedDict
from urllib.parse import parse_qs, quote, urlencode, urlsplit

MAX_LENGTH = 500  # the column's size

StreamKind = Literal["youtube", "vimeo", "iframe", "hls"]


class Stream(TypedDict):
    kind: StreamKind
    embed_url: str


class InvalidStreamUrl(ValueError):
    """The URL cannot be played; the message says why, for the organiser."""


_YOUTUBE_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "music.youtube.com",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
}
# Video ids are 11 characters today; a little slack, as before, for older and test ids.
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
_YOUTUBE_CHANNEL = re.compile(r"^[A-Za-z0-9_-]{2,64}$")
_VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
_VIMEO_HASH = re.compile(r"^[0-9a-f]{6,20}$")
# Blanks, quotes, angle brackets, backslashes and control characters have no place in a URL we embed.
_UNSAFE = re.compile(r"[\s\"'<>\\`\x00-\x1f\x7f]")

YOUTUBE_EMBED = "https://www.youtube-nocookie.com/embed/"
VIMEO_PLAYER = "https://player.vimeo.com/video/"


def describe_stream(url: str | None) -> Stream | None:
    """`{"kind": "youtube"|"vimeo"|"iframe"|"hls", "embed_url": ...}`, or None when there is no URL.

    Raises InvalidStreamUrl for anything that is not a playable https address.
    """
    if url is None:
        return None
    if not isinstance(url, str):
        raise InvalidStreamUrl("the stream address must be text")
    url = url.strip()
    if not url:
        return None
    if len(url) > MAX_LENGTH:
        raise InvalidStreamUrl(f"the stream address is longer than {MAX_LENGTH} characters")
    if _UNSAFE.search(url):
        raise InvalidStreamUrl("the stream address contains spaces, quotes or control characters")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError as exc:  # a malformed host or port
        raise InvalidStreamUrl("the stream address is not a valid URL") from exc
    if parts.scheme.lower() != "https":
        raise InvalidStreamUrl("the stream address must start with https://")
    if not host or "." not in host.strip("."):
        raise InvalidStreamUrl("the stream address has no valid host name")
    if parts.username is not None or parts.password is not None:
        raise InvalidStreamUrl("the stream address must not carry a user name or password")
    if host in _YOUTUBE_HOSTS or host == "youtu.be":
        return {"kind": "youtube", "embed_url": _youtube_embed(host, parts)}
    if host in _VIMEO_HOSTS:
        return {"kind": "vimeo", "embed_url": _vimeo_embed(host, parts)}
    normalised = parts._replace(scheme="https", netloc=host + (f":{port}" if port else "")).geturl()
    if parts.path.lower().endswith(".m3u8"):
        return {"kind": "hls", "embed_url": normalised}
    return {"kind": "iframe", "embed_url": normalised}


def stream_or_none(url: str | None) -> Stream | None:
    """For display: a stored URL that is no longer acceptable shows as "no stream" instead of a broken frame."""
    try:
        return describe_stream(url)
    except InvalidStreamUrl:
        return None


def _youtube_embed(host: str, parts) -> str:
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    video = None
    if host == "youtu.be":
        video = segments[0] if segments else None
    elif segments[:1] == ["watch"]:
        video = (query.get("v") or [None])[0]
    elif len(segments) >= 2 and segments[0] in ("embed", "live", "shorts", "v"):
        if segments[0] == "embed" and segments[1] == "live_stream":
            # A channel's current live stream: /embed/live_stream?channel=UC...
            channel = (query.get("channel") or [""])[0]
            if not _YOUTUBE_CHANNEL.match(channel):
                raise InvalidStreamUrl("a YouTube live_stream link needs its channel id (?channel=UC…)")
            return YOUTUBE_EMBED + "live_stream?" + urlencode({"channel": channel})
        video = segments[1]
    if not video or not _YOUTUBE_ID.match(video):
        raise InvalidStreamUrl(
            "this YouTube address names no video: paste the video's watch, share or embed link"
        )
    start = _youtube_start(query)
    return YOUTUBE_EMBED + video + (f"?start={start}" if start else "")


def _youtube_start(query: dict) -> int | None:
    """The `t=90` / `t=1m30s` / `start=90` offset of a share link, in seconds."""
    raw = (query.get("start") or query.get("t") or [""])[0]
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", raw)
    if not raw or not match:
        return None
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    return total or None


def _vimeo_embed(host: str, parts) -> str:
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    if host == "player.vimeo.com":
        if len(segments) >= 2 and segments[0] == "video" and segments[1].isdigit():
            return _vimeo_player(segments[1], (query.get("h") or [None])[0])
        raise InvalidStreamUrl("this Vimeo player address names no video")
    if len(segments) >= 2 and segments[0] == "event" and segments[1].isdigit():
        # A Vimeo live event has its own embed page.
        return f"https://vimeo.com/event/{segments[1]}/embed"
    # vimeo.com/123, vimeo.com/123/abcdef (unlisted), vimeo.com/channels/x/123, vimeo.com/showcase/1/video/123
    for index, segment in enumerate(segments):
        if segment.isdigit() and (index == 0 or segments[index - 1] in ("video", "videos") or index >= 2):
            following = segments[index + 1] if index + 1 < len(segments) else None
            private = following if following and _VIMEO_HASH.match(following) else None
            return _vimeo_player(segment, private)
    raise InvalidStreamUrl("this Vimeo address names no video: paste the video's or the live event's link")


def _vimeo_player(video: str, private_hash: str | None) -> str:
    if private_hash and not _VIMEO_HASH.match(private_hash):
        private_hash = None
    return VIMEO_PLAYER + quote(video) + (f"?h={private_hash}" if private_hash else "")


Phase = Literal["upcoming", "live", "ended"]


def session_phase(starts_at: datetime, ends_at: datetime, now: datetime) -> Phase:
    """Before the start, between start and end, or after the end (the live page's card; the
    browser keeps it current with the same rule in rooms-session.js)."""
    if now < starts_at:
        return "upcoming"
    if now >= ends_at:
        return "ended"
    return "live"
