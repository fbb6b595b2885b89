"""The server's side of a Janus SFU: create, open to one person, close to them, and destroy rooms.

Two of Janus's plugins carry calls: the videoroom (everyone publishes their own streams and
subscribes to the others') and, for large audio-only rooms, the audiobridge (Janus mixes everyone's
audio into one stream per listener). Both take the same requests for what the server does:
`create` with a secret and an `allowed` token list, `allowed` add/remove, `kick`, `destroy`; the
audiobridge also takes a moderator's `mute`/`unmute`, which Janus applies whatever the muted
person's browser does.

Only this process holds a room's `secret` (Janus asks for it on every change) and decides which
tokens may join (the `allowed` list): a browser gets its own token when the platform lets it into
the call and loses it when it leaves or is removed, so nobody else can publish, subscribe or listen.
It speaks Janus's plain HTTP API (`POST /janus`, then the session, then the plugin handle); the
browser uses janus.js against the public address of the same server.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from ..errors import ServiceError

VIDEOROOM = "videoroom"
AUDIOBRIDGE = "audiobridge"
PLUGINS = (VIDEOROOM, AUDIOBRIDGE)
# The plugins' error codes for "no such room" and "no such participant" (janus_videoroom.c and
# janus_audiobridge.c): both mean the thing to close is gone already.
_NO_SUCH_ROOM = {VIDEOROOM: 426, AUDIOBRIDGE: 485}
_NO_SUCH_PARTICIPANT = {VIDEOROOM: 428, AUDIOBRIDGE: 492}


class SfuUnavailable(ServiceError):
    status = 503

    def __init__(self, reason: str, janus_code: int | None = None) -> None:
        super().__init__("sfu_unavailable", f"the call server is not reachable or refused: {reason}")
        self.janus_code = janus_code  # the plugin's error code, when a plugin refused


@dataclass(frozen=True)
class JanusClient:
    url: str  # e.g. http://127.0.0.1:8088/janus
    api_secret: str | None = None  # janus.jcfg's api_secret, when set
    admin_key: str | None = None  # the videoroom and audiobridge plugins' admin_key, when creation needs it
    timeout_s: float = 5.0

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "transaction": secrets.token_hex(8)}
        if self.api_secret:
            body["apisecret"] = self.api_secret
        request = urllib.request.Request(
            self.url.rstrip("/") + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                answer = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SfuUnavailable(str(exc)) from exc
        if answer.get("janus") == "error":
            raise SfuUnavailable(answer.get("error", {}).get("reason", "error"))
        return answer

    def _request(self, plugin: str, request: dict[str, Any]) -> dict[str, Any]:
        """One synchronous request to `plugin` (videoroom or audiobridge) on a short-lived session
        and handle."""
        session = self._post("", {"janus": "create"})["data"]["id"]
        try:
            attached = self._post(f"/{session}", {"janus": "attach", "plugin": f"janus.plugin.{plugin}"})
            handle = attached["data"]["id"]
            answer = self._post(f"/{session}/{handle}", {"janus": "message", "body": request})
            data = answer.get("plugindata", {}).get("data", {})
            if data.get(plugin) == "event" and data.get("error"):
                raise SfuUnavailable(f"{data.get('error_code')}: {data['error']}", data.get("error_code"))
            return data
        finally:
            with contextlib.suppress(SfuUnavailable):  # the session times out on the server by itself
                self._post(f"/{session}", {"janus": "destroy"})

    def create_room(
        self, room: int, secret: str, publishers: int, first_token: str, plugin: str = VIDEOROOM
    ) -> None:
        request: dict[str, Any] = {
            "request": "create",
            "room": room,
            "secret": secret,
            "is_private": True,
            "allowed": [first_token],  # a token list switches Janus's token check on
            "audiolevel_event": True,
        }
        if plugin == VIDEOROOM:
            request.update(publishers=publishers, notify_joining=True)
        if self.admin_key:
            request["admin_key"] = self.admin_key
        self._request(plugin, request)

    def allow(self, room: int, secret: str, token: str, allowed: bool, plugin: str = VIDEOROOM) -> None:
        self._request(
            plugin,
            {
                "request": "allowed",
                "room": room,
                "secret": secret,
                "action": "add" if allowed else "remove",
                "allowed": [token],
            },
        )

    def kick(self, room: int, secret: str, participant_id: int, plugin: str = VIDEOROOM) -> None:
        try:
            self._request(plugin, {"request": "kick", "room": room, "secret": secret, "id": participant_id})
        except SfuUnavailable as exc:
            if not _is(exc, _NO_SUCH_PARTICIPANT[plugin]):  # they had not joined Janus (yet)
                raise

    def mute(self, room: int, secret: str, participant_id: int, muted: bool = True) -> bool:
        """An audiobridge participant muted (or unmuted) by Janus itself; False when they have not
        joined the audiobridge yet."""
        request = {
            "request": "mute" if muted else "unmute",
            "room": room,
            "secret": secret,
            "id": participant_id,
        }
        try:
            self._request(AUDIOBRIDGE, request)
        except SfuUnavailable as exc:
            if _is(exc, _NO_SUCH_PARTICIPANT[AUDIOBRIDGE]):
                return False
            raise
        return True

    def destroy_room(self, room: int, secret: str, plugin: str = VIDEOROOM) -> None:
        try:
            self._request(plugin, {"request": "destroy", "room": room, "secret": secret})
        except SfuUnavailable as exc:
            if not _is(exc, _NO_SUCH_ROOM[plugin]):  # gone already (a restarted Janus)
                raise

    def list_participants(self, room: int, plugin: str = VIDEOROOM) -> list[dict[str, Any]]:
        return self._request(plugin, {"request": "listparticipants", "room": room}).get("participants", [])


def _is(exc: SfuUnavailable, code: int) -> bool:
    return exc.janus_code == code
