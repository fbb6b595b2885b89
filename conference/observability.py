"""Request ids, structured log lines, logging for `conference serve`, and the health checks.

- Every request gets an id: the `X-Request-ID` a proxy sent (when it looks like one), else a new
  one. It comes back in the response's `X-Request-ID` header and in the JSON of a 500, and every
  line `log_event` writes while serving the request carries it.
- `log_event(logger, level, event, **fields)` writes one line of JSON (`{"event": ..., "request_id":
  ..., ...}`), easy to grep and to feed to a log collector.
- `GET /healthz`: the process is alive (no database call). `GET /readyz`: the database and, when
  configured, the Socket.IO message queue answer; 503 with the details when one does not.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Blueprint, Flask, current_app, g, has_request_context, jsonify, request
from sqlalchemy import text

from .extensions import db

log = logging.getLogger("conference")
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
LOG_FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"

bp = Blueprint("health", __name__)


def request_id() -> str | None:
    if not has_request_context():
        return None
    rid = getattr(g, "request_id", None)
    if rid is None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        g.request_id = rid
    return rid


def log_event(logger: logging.Logger, level: int, event: str, *, exc_info=None, **fields) -> None:
    """One structured line: JSON with the event name, the request id and `fields`."""
    record: dict[str, object] = {"event": event}
    if has_request_context():
        record.update(request_id=request_id(), method=request.method, path=request.path)
    record.update(fields)
    logger.log(level, json.dumps(record, default=str, ensure_ascii=False), exc_info=exc_info)


def _start_request() -> None:
    request_id()


def _tag_response(response):
    rid = getattr(g, "request_id", None)
    if rid:
        response.headers.setdefault(REQUEST_ID_HEADER, rid)
    return response


def log_to_stderr(level: int = logging.INFO) -> None:
    """`conference serve`: the app's log lines (errors with their request ids, warnings such as a
    lost message queue) go to stderr unless logging was set up already (e.g. --verbose)."""
    root = logging.getLogger()
    if any(not isinstance(h, logging.NullHandler) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    log.setLevel(level)


def database_unreachable(exc: BaseException) -> bool:
    """The database did not answer (down, restarting, network, pool exhausted): a 503 or an error
    ack the client may retry, rather than a 500."""
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower()
        # SQLite's "database is locked" or a missing table are OperationalErrors too, but the
        # database is there.
        return not ("locked" in text or "no such" in text or "syntax" in text)
    return False


# --- health checks --------------------------------------------------------------------------------


def _check_database() -> dict:
    started = time.monotonic()
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        db.session.rollback()
        return {"ok": False, "error": type(exc).__name__, "message": str(exc).splitlines()[0][:200]}


def _check_queue() -> dict:
    url = current_app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if not url:
        return {"ok": True, "configured": False}
    from .fanout import queue_status

    return {"configured": True, **queue_status(current_app)}


@bp.get("/healthz")
def healthz():
    """Alive: the process answers. Asks nothing of the database."""
    return jsonify({"ok": True}), 200, {"Cache-Control": "no-store"}


@bp.get("/readyz")
def readyz():
    """Ready: the database answers and, with several processes, the message queue too."""
    checks = {"database": _check_database(), "message_queue": _check_queue()}
    ready = all(check["ok"] for check in checks.values())
    return jsonify({"ok": ready, "checks": checks}), 200 if ready else 503, {"Cache-Control": "no-store"}


def init_app(app: Flask) -> None:
    app.before_request(_start_request)
    app.after_request(_tag_response)
    app.register_blueprint(bp)
