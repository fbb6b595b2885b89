"""Schedule files on the web: the public `schedule.json` and `.ics` files, and the organisers' upload page."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import timedelta
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from ..auth import login_required
from ..errors import NotFound, ServiceError
from ..extensions import db
from ..grants import checks
from ..i18n.locales import LANGUAGES
from ..i18n.messages import page_message
from ..i18n.selection import current_language
from ..manage.access import event_to_manage
from ..programme.models import Event
from ..programme.services import get_event, get_session
from . import services
from .calendar import event_calendar, session_calendar

bp = Blueprint("schedule", __name__)


def visible_event(slug: str) -> Event:
    """A published event, or a draft for the people who may manage it (others get a 404 either way)."""
    event = get_event(db.session, slug)
    if not event.published and not checks.can_manage(db.session, current_user, event):
        raise NotFound("event_not_found", f"no event {slug!r}")
    return event


def event_base_url(event: Event) -> str:
    """The event's public address with a trailing slash: talk URLs in files are built on it."""
    return url_for("programme.event_overview", slug=event.slug, _external=True) + "/"


def schedule_response(document: dict, filename: str | None = None) -> Response:
    response = jsonify(document)
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def calendar_response(body: bytes, filename: str, *, per_viewer: bool = False) -> Response:
    """An .ics download; `per_viewer` when its language came from the viewer (account, cookie,
    Accept-Language) rather than from the address."""
    response = Response(
        body,
        mimetype="text/calendar",
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    if per_viewer:
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def asked_language() -> str | None:
    """The language a file was asked in with `?lang=` (one of the interface's), or None."""
    given = request.args.get("lang")
    if given is None:
        return None
    if given not in LANGUAGES:
        raise ServiceError(
            "unknown_language", f"lang must be one of {', '.join(LANGUAGES)}", status=400, field="lang"
        )
    return given


@bp.get("/events/<slug>/schedule.json")
def schedule_json(slug: str):
    """The programme in the frab/pretalx format: original texts, or `?lang=` translated ones (see
    `services.export_schedule` for why a language is asked for in the address, not taken from the viewer)."""
    event = visible_event(slug)
    document = services.export_schedule(
        db.session, event, base_url=event_base_url(event), language=asked_language()
    )
    return schedule_response(document)


@bp.get("/events/<slug>/calendar.ics")
def event_ics(slug: str):
    """The event and its programme for a calendar, in the viewer's language (or `?lang=`, for a
    calendar subscription that always reads one language)."""
    event = visible_event(slug)
    asked = asked_language()
    body = event_calendar(
        db.session, event, base_url=event_base_url(event), language=asked or current_language()
    )
    return calendar_response(body, f"{event.slug}.ics", per_viewer=asked is None)


@bp.get("/events/<slug>/sessions/<int:session_id>/calendar.ics")
def session_ics(slug: str, session_id: int):
    """One session for a calendar, in the viewer's language (or `?lang=`)."""
    event = visible_event(slug)
    session = get_session(db.session, event, session_id)
    asked = asked_language()
    body = session_calendar(
        db.session, session, base_url=event_base_url(event), language=asked or current_language()
    )
    return calendar_response(body, f"{event.slug}-session-{session.id}.ics", per_viewer=asked is None)


@bp.get("/manage/events/<slug>/programme-file/schedule.json")
@login_required
def download(slug: str):
    """The organisers' copy: the public file plus the sessions' stream addresses."""
    event = event_to_manage(slug)
    document = services.export_schedule(
        db.session, event, base_url=event_base_url(event), include_private=True
    )
    return schedule_response(document, f"{event.slug}-schedule.json")


# A preview's file waits here for the "apply" step, under a name made of the event and its digest.
# (A hidden form field would not do: Flask refuses form fields over MAX_FORM_MEMORY_SIZE, 500 kB.)
PREVIEW_DIR = "schedule-previews"
PREVIEW_LIFETIME = timedelta(days=1)


def _preview_path(event: Event, digest: str) -> Path:
    return Path(current_app.instance_path) / PREVIEW_DIR / f"{event.id}-{digest}.json"


def _keep_preview(event: Event, raw: bytes) -> str:
    folder = Path(current_app.instance_path) / PREVIEW_DIR
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - PREVIEW_LIFETIME.total_seconds()
    for old in folder.glob("*.json"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    digest = hashlib.sha256(raw).hexdigest()
    _preview_path(event, digest).write_bytes(raw)
    return digest


def _kept_preview(event: Event, digest: str) -> bytes | None:
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        return None
    path = _preview_path(event, digest)
    return path.read_bytes() if path.is_file() else None


def _render(event: Event, status: int = 200, **context):
    context = {"report": None, "file_error": None, "preview": None, **context}
    return render_template("schedule/manage.html", event=event, **context), status


@bp.route("/manage/events/<slug>/programme-file", methods=["GET", "POST"])
@login_required
def manage(slug: str):
    """Upload a schedule file: a preview of what it would change first, then apply it."""
    event = event_to_manage(slug)
    if request.method == "GET":
        return _render(event)
    action = request.form.get("action", "preview")
    upload = request.files.get("file")
    if action == "apply" and not (upload and upload.filename):
        raw = _kept_preview(event, request.form.get("preview", ""))
        if raw is None:
            return _render(event, 400, file_error="That preview has expired. Upload the file again.")
    elif upload is not None and upload.filename:
        raw = upload.read(services.MAX_FILE_BYTES + 1)
    else:
        return _render(event, 400, file_error="Choose a schedule.json file to upload.")
    try:
        data = services.load_schedule_text(raw)
    except ServiceError as exc:
        return _render(event, 400, file_error=page_message(exc))
    report = services.import_schedule(db.session, event, data, apply=(action == "apply"))
    if not report.ok:
        return _render(event, 400, report=report)
    if report.applied:
        _preview_path(event, hashlib.sha256(raw).hexdigest()).unlink(missing_ok=True)
        return _render(event, report=report)
    return _render(event, report=report, preview=_keep_preview(event, raw))
