"""A bare Flask-SocketIO app on eventlet doing the /live poll, Q&A and chat work in memory.

    .venv/bin/python bench/reference/bare_flask_socketio.py PORT

bench/live_engine.py's reference for what the stack itself costs: the same events, acks and
broadcasts as docs/protocol.md describes for them (join state, presence coalesced every 0.5 s, poll
tallies every 0.25 s, questions, upvotes, chat, the rate limits), with no database, no sign-in
check and no validation library. Any non-empty token is accepted; one starting "mod" is a moderator.
bench/reference/node/server.js is the same in Node's socket.io.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()

import sys  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, join_room, leave_room  # noqa: E402

LIVE = "/live"
PRESENCE_S = 0.5
TALLY_S = 0.25
LIMITS = {"question": (3, 5), "chat": (5, 3), "vote": (10, 5)}  # (hits, seconds) per person

app = Flask(__name__)
socketio = SocketIO(app, async_mode="eventlet", max_http_buffer_size=65536)

users: dict[str, dict] = {}  # token -> user
rooms: dict[int, dict] = {}
polls: dict[int, dict] = {}
questions: dict[int, dict] = {}
sockets: dict[str, dict] = {}  # sid -> {"user", "room"}
counters: dict[tuple, int] = {}
ids = iter(range(1, 1 << 62))


def iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def fail(code: str) -> dict:
    return {"ok": False, "error": {"code": code, "message": code}}


def room(session_id: int) -> dict:
    if session_id not in rooms:
        rooms[session_id] = {
            "id": session_id,
            "moderated": False,
            "closed": False,
            "chat": [],
            "polls": [],
            "questions": [],
            "online": {},
            "presence_due": False,
        }
    return rooms[session_id]


def limited(user: dict, kind: str) -> bool:
    hits, seconds = LIMITS[kind]
    key = (kind, user["id"], int(time.time() // seconds))
    counters[key] = counters.get(key, 0) + 1
    if len(counters) > 100_000:
        counters.clear()
    return counters[key] > hits


def presence(r: dict) -> dict:
    return {"session_id": r["id"], "online": len(r["online"]), "on_site": 0}


def coalesced(holder: dict, flag: str, seconds: float, job) -> None:
    """Run job once `seconds` from now, however many times this is called meanwhile."""
    if holder[flag]:
        return
    holder[flag] = True

    def run() -> None:
        socketio.sleep(seconds)
        holder[flag] = False
        job()

    socketio.start_background_task(run)


def schedule_presence(r: dict) -> None:
    coalesced(
        r,
        "presence_due",
        PRESENCE_S,
        lambda: socketio.emit("presence", presence(r), to=f"session:{r['id']}", namespace=LIVE),
    )


def poll_shape(p: dict) -> dict:
    keys = ("id", "session_id", "title", "kind", "status", "options", "opened_at", "closed_at")
    return {
        **{k: p[k] for k in keys},
        "max_choices": None,
        "scale": None,
        "results": "live",
        "duration_s": None,
        "allow_change": False,
        "closes_at": None,
    }


def tally(p: dict) -> dict:
    return {
        "poll_id": p["id"],
        "kind": p["kind"],
        "counts": dict(p["counts"]),
        "total": len(p["ballots"]),
        "version": p["version"],
    }


def question_shape(q: dict) -> dict:
    shape = {k: q[k] for k in ("id", "session_id", "text", "status", "anonymous", "created_at")}
    shape.update(votes=len(q["voters"]), pinned=False, edited=False)
    if not q["anonymous"]:
        shape["author"] = q["author"]
    return shape


def schedule_tally(p: dict) -> None:
    def send() -> None:
        if p["status"] == "open":
            socketio.emit("poll:results", tally(p), to=f"session:{p['session_id']}", namespace=LIVE)

    coalesced(p, "tally_due", TALLY_S, send)


def positive(value) -> bool:
    return type(value) is int and value > 0


def leave_current(sid: str, user: dict) -> None:
    r = rooms.get(sockets[sid]["room"])
    if r is None:
        return
    leave_room(f"session:{r['id']}", sid=sid, namespace=LIVE)
    sockets[sid]["room"] = None
    n = r["online"].get(user["id"], 1) - 1
    if n > 0:
        r["online"][user["id"]] = n
    else:
        r["online"].pop(user["id"], None)
    schedule_presence(r)


def on_join(sid: str, user: dict, data: dict) -> dict:
    if not positive(data.get("session_id")):
        return fail("invalid_payload")
    r = room(data["session_id"])
    if sockets[sid]["room"] != r["id"]:
        leave_current(sid, user)
        join_room(f"session:{r['id']}", sid=sid, namespace=LIVE)
        sockets[sid]["room"] = r["id"]
        r["online"][user["id"]] = r["online"].get(user["id"], 0) + 1
    schedule_presence(r)
    visible = [
        q
        for q in r["questions"]
        if q["status"] != "pending" or user["moderator"] or q["author"]["id"] == user["id"]
    ]
    return {
        "ok": True,
        "state": {
            "session": {"id": r["id"], "moderated": r["moderated"], "closed": r["closed"]},
            "presence": presence(r),
            "questions": [question_shape(q) for q in visible],
            "my_votes": [q["id"] for q in visible if user["id"] in q["voters"]],
            "chat": r["chat"][-50:],
            "is_moderator": user["moderator"],
            "polls": [
                {**poll_shape(p), "my_ballot": p["ballots"].get(user["id"]), "tally": tally(p)}
                for p in r["polls"]
            ],
        },
    }


def on_leave(sid: str, user: dict, data: dict) -> dict:
    left = sockets[sid]["room"] == data.get("session_id")
    if left:
        leave_current(sid, user)
    return {"ok": True, "left": left}


def on_room_settings(sid: str, user: dict, data: dict) -> dict:
    if not user["moderator"]:
        return fail("forbidden")
    r = room(data.get("session_id"))
    if isinstance(data.get("moderated"), bool):
        r["moderated"] = data["moderated"]
    shape = {"session_id": r["id"], "moderated": r["moderated"], "closed": r["closed"]}
    socketio.emit("room:updated", shape, to=f"session:{r['id']}", namespace=LIVE)
    return {"ok": True, "room": shape}


def room_for_text(user: dict, data: dict, longest: int, kind: str) -> tuple[dict | None, dict | None]:
    """The open room a question or chat line goes to, or the error: bad text, closed, rate limited."""
    text = data.get("text")
    if (
        not positive(data.get("session_id"))
        or not isinstance(text, str)
        or not 0 < len(text.strip()) <= longest
    ):
        return None, fail("invalid_payload")
    r = room(data["session_id"])
    if r["closed"]:
        return None, fail("room_closed")
    if limited(user, kind):
        return None, fail("rate_limited")
    return r, None


def on_question_ask(sid: str, user: dict, data: dict) -> dict:
    r, error = room_for_text(user, data, 500, "question")
    if r is None:
        return error
    text = data["text"]
    q = {
        "id": next(ids),
        "session_id": r["id"],
        "text": text,
        "voters": set(),
        "status": "pending" if r["moderated"] else "approved",
        "anonymous": bool(data.get("anonymous")),
        "created_at": iso(),
        "author": {"id": user["id"], "name": user["name"]},
    }
    questions[q["id"]] = q
    r["questions"].append(q)
    if q["status"] == "approved":
        socketio.emit(
            "question:new", {"question": question_shape(q)}, to=f"session:{r['id']}", namespace=LIVE
        )
    return {"ok": True, "question": {**question_shape(q), "author": q["author"]}}


def on_question_vote(sid: str, user: dict, data: dict) -> dict:
    q = questions.get(data.get("question_id"))
    if q is None or q["status"] == "pending":
        return fail("question_not_found")
    if rooms[q["session_id"]]["closed"]:
        return fail("room_closed")
    if user["id"] in q["voters"]:
        return fail("already_voted")
    if limited(user, "vote"):
        return fail("rate_limited")
    q["voters"].add(user["id"])
    shape = question_shape(q)
    socketio.emit("question:updated", {"question": shape}, to=f"session:{q['session_id']}", namespace=LIVE)
    return {"ok": True, "question": shape, "voted": True}


def on_chat_send(sid: str, user: dict, data: dict) -> dict:
    r, error = room_for_text(user, data, 1000, "chat")
    if r is None:
        return error
    text = data["text"]
    author = {"id": user["id"], "name": user["name"]}
    message = {"id": next(ids), "session_id": r["id"], "text": text, "author": author, "created_at": iso()}
    r["chat"] = [*r["chat"][-49:], message]
    socketio.emit("chat:message", {"message": message}, to=f"session:{r['id']}", namespace=LIVE)
    return {"ok": True, "message": message}


def on_poll_create(sid: str, user: dict, data: dict) -> dict:
    if not user["moderator"]:
        return fail("forbidden")
    options = data.get("options") or []
    if not data.get("title") or len(options) < 2:
        return fail("invalid_options")
    p = {
        "id": next(ids),
        "session_id": data.get("session_id"),
        "title": data["title"],
        "kind": data.get("kind", "single"),
        "status": "draft",
        "options": [{"id": next(ids), "text": text} for text in options],
        "ballots": {},
        "version": 0,
        "opened_at": None,
        "closed_at": None,
        "tally_due": False,
    }
    p["counts"] = {str(o["id"]): 0 for o in p["options"]}
    polls[p["id"]] = p
    room(p["session_id"])["polls"].append(p)
    return {"ok": True, "poll": poll_shape(p)}


def moderated_poll(user: dict, data: dict, status: str, code: str) -> tuple[dict | None, dict | None]:
    p = polls.get(data.get("poll_id"))
    if not user["moderator"]:
        return None, fail("forbidden")
    if p is None:
        return None, fail("poll_not_found")
    if p["status"] != status:
        return None, fail(code)
    return p, None


def on_poll_open(sid: str, user: dict, data: dict) -> dict:
    p, error = moderated_poll(user, data, "draft", "not_a_draft")
    if p is None:
        return error
    p.update(status="open", opened_at=iso())
    socketio.emit("poll:opened", {"poll": poll_shape(p)}, to=f"session:{p['session_id']}", namespace=LIVE)
    return {"ok": True, "poll": poll_shape(p)}


def on_poll_close(sid: str, user: dict, data: dict) -> dict:
    p, error = moderated_poll(user, data, "open", "poll_not_open")
    if p is None:
        return error
    p.update(status="closed", closed_at=iso())
    results = tally(p)
    closed = {"poll_id": p["id"], "poll": poll_shape(p), "results": results}
    socketio.emit("poll:closed", closed, to=f"session:{p['session_id']}", namespace=LIVE)
    return {"ok": True, "poll": poll_shape(p), "results": results}


def on_poll_vote(sid: str, user: dict, data: dict) -> dict:
    p = polls.get(data.get("poll_id"))
    if p is None or p["status"] == "draft":
        return fail("poll_not_found")
    if p["status"] != "open":
        return fail("poll_closed")
    if rooms[p["session_id"]]["closed"]:
        return fail("room_closed")
    choices = data.get("choices")
    if not isinstance(choices, list) or len(choices) != 1:
        return fail("invalid_choices")
    if str(choices[0]) not in p["counts"]:
        return fail("unknown_option")
    if user["id"] in p["ballots"]:
        return fail("already_voted")
    ballot = {
        "poll_id": p["id"],
        "choices": choices,
        "rating": None,
        "words": None,
        "text": None,
        "cast_at": iso(),
        "changed_at": None,
    }
    p["ballots"][user["id"]] = ballot
    p["counts"][str(choices[0])] += 1
    p["version"] += 1
    schedule_tally(p)
    return {"ok": True, "ballot": ballot, "changed": False, "version": p["version"]}


HANDLERS = {
    "join": on_join,
    "leave": on_leave,
    "room:settings": on_room_settings,
    "question:ask": on_question_ask,
    "question:vote": on_question_vote,
    "chat:send": on_chat_send,
    "poll:create": on_poll_create,
    "poll:open": on_poll_open,
    "poll:close": on_poll_close,
    "poll:vote": on_poll_vote,
}


@socketio.on("connect", namespace=LIVE)
def connect(auth=None):
    token = (auth or {}).get("token") if isinstance(auth, dict) else None
    if not isinstance(token, str) or not token:
        return False
    if token not in users:
        number = len(users) + 1
        users[token] = {"id": number, "name": f"Person {number}", "moderator": token.startswith("mod")}
    sockets[request.sid] = {"user": users[token], "room": None}
    return True


@socketio.on("disconnect", namespace=LIVE)
def disconnect(reason=None):
    entry = sockets.get(request.sid)
    if entry is not None:
        leave_current(request.sid, entry["user"])
        del sockets[request.sid]


@socketio.on("*", namespace=LIVE)
def any_event(event, data=None):
    handler = HANDLERS.get(event)
    if handler is None:
        return fail("unknown_event")
    if not isinstance(data, dict):
        return fail("invalid_payload")
    entry = sockets[request.sid]
    return handler(request.sid, entry["user"], data)


@app.get("/")
def index():
    return "reference\n"


if __name__ == "__main__":
    socketio.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_output=False, max_size=30000)
