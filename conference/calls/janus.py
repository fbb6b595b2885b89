"""The server's side of a Janus SFU: create, open to one person, close to them, and destroy rooms.

Only this process holds a room's `secret` (Janus asks for it on every change) and decides which
tokens may join (the videoroom's `allowed` list): a browser gets its own token when the platform
lets it into the call and loses it when it leaves or is removed, so nobody else can publish or
subscribe. It speaks Janus's plain HTTP API (`POST /janus`, then the session, then the plugin
handle); the browser uses janus.js against the public address of the same server.
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

VIDEOROOM = "janus.plugin.videoroom"


class SfuUnavailable(ServiceError):
    status = 503

    def __init__(self, reason: str) -> None:
        super().__init__("sfu_unavailable", f"the call server is not reachable or refused: {reason}")


@dataclass(frozen=True)
class JanusClient:
    url: str  # e.g. http://127.0.0.1:8088/janus
    api_secret: str | None = None  # janus.jcfg's api_secret, when set
    admin_key: str | None = None  # the videoroom plugin's admin_key, when room creation needs it
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

    def _videoroom(self, request: dict[str, Any]) -> dict[str, Any]:
        """One synchronous videoroom request on a short-lived session and handle."""
        session = self._post("", {"janus": "create"})["data"]["id"]
        try:
            handle = self._post(f"/{session}", {"janus": "attach", "plugin": VIDEOROOM})["data"]["id"]
            answer = self._post(f"/{session}/{handle}", {"janus": "message", "body": request})
            data = answer.get("plugindata", {}).get("data", {})
            if data.get("videoroom") == "event" and data.get("error"):
                raise SfuUnavailable(f"{data.get('error_code')}: {data['error']}")
            return data
        finally:
            with contextlib.suppress(SfuUnavailable):  # the session times out on the server by itself
                self._post(f"/{session}", {"janus": "destroy"})

    def create_room(self, room: int, secret: str, publishers: int, first_token: str) -> None:
        request: dict[str, Any] = {
            "request": "create",
            "room": room,
            "secret": secret,
            "is_private": True,
            "publishers": publishers,
            "allowed": [first_token],  # a token list switches Janus's token check on
            "audiolevel_event": True,
            "notify_joining": True,
        }
        if self.admin_key:
            request["admin_key"] = self.admin_key
        self._videoroom(request)

    def allow(self, room: int, secret: str, token: str, allowed: bool) -> None:
        self._videoroom(
            {
                "request": "allowed",
                "room": room,
                "secret": secret,
                "action": "add" if allowed else "remove",
                "allowed": [token],
            }
        )

    def kick(self, room: int, secret: str, publisher_id: int) -> None:
        try:
            self._videoroom({"request": "kick", "room": room, "secret": secret, "id": publisher_id})
        except SfuUnavailable as exc:
            if "428" not in exc.message:  # no such feed: they had not published yet
                raise

    def destroy_room(self, room: int, secret: str) -> None:
        try:
            self._videoroom({"request": "destroy", "room": room, "secret": secret})
        except SfuUnavailable as exc:
            if "426" not in exc.message:  # no such room: gone already (a restarted Janus)
                raise

    def list_participants(self, room: int) -> list[dict[str, Any]]:
        return self._videoroom({"request": "listparticipants", "room": room}).get("participants", [])
