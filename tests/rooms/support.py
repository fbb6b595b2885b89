"""Helpers for the live-room tests: the cast of people and calls over /live."""

from __future__ import annotations

from dataclasses import dataclass

LIVE = "/live"


@dataclass
class Cast:
    event: object
    plenary: int  # moderated by default
    thematic: int  # not moderated by default
    workshop: int
    alice: object
    bob: object
    moderator: object
    outsider: object  # signed in, not registered


def call(client, event: str, payload=None) -> dict:
    """Emit and return the ack."""
    return client.emit(event, payload if payload is not None else {}, namespace=LIVE, callback=True)


def received(client, name: str | None = None) -> list:
    """The payloads this client received since the last call (filtered by event name)."""
    events = client.get_received(LIVE)
    return [e["args"][0] if e["args"] else None for e in events if name is None or e["name"] == name]


def batched(client, name: str = "questions:new") -> list[dict]:
    """The questions of the batched packets (`questions:new`, `questions:updated`) this client received
    since the last call, in order, one packet after another."""
    return [q for packet in received(client, name) for q in packet["questions"]]


def drain(*clients) -> None:
    """Forget what these clients received so far (e.g. presence from later joins)."""
    for client in clients:
        client.get_received(LIVE)
