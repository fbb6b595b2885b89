"""Schedule files on the web: the public `schedule.json` and `.ics` files, and the organisers' upload page."""
from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask_login import current_user

from ..auth import login_required
from ..errors import NotFound, ServiceError
from ..extensions import db
from ..grants import checks
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


def calendar_response(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="text/calendar", content_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/events/<slug>/schedule.json")
def schedule_json(slug: str):
    event = visible_event(slug)
    return schedule_response(services.export_schedule(db.session, event, base_url=event_base_url(event)))


@bp.get("/events/<slug>/calendar.ics")
def event_ics(slug: str):
    event = visible_event(slug)
    return calendar_response(event_calendar(db.session, event, base_url=event_base_url(event)), f"{event.slug}.ics")


@bp.get("/events/<slug>/sessions/<int:session_id>/calendar.ics")
def session_ics(slug: str, session_id: int):
    event = visible_event(slug)
    session = get_session(db.session, event, session_id)
    return calendar_response(session_calendar(db.session, session, base_url=event_base_url(event)),
                             f"{event.slug}-session-{session.id}.ics")


def _managed_event(slug: str) -> Event:
    event = get_event(db.session, slug)
    checks.ensure_can_manage(db.session, current_user, event)
    return event


@bp.get("/manage/events/<slug>/programme-file/schedule.json")
@login_required
def download(slug: str):
    """The organisers' copy: the public file plus the sessions' stream addresses."""
    event = _managed_event(slug)
    document = services.export_schedule(db.session, event, base_url=event_base_url(event), include_private=True)
    return schedule_response(document, f"{event.slug}-schedule.json")


@bp.route("/manage/events/<slug>/programme-file", methods=["GET", "POST"])
@login_required
def manage(slug: str):
    """Upload a schedule file: a preview of what it would change first, then apply it."""
    event = _managed_event(slug)
    if request.method == "GET":
        return render_template("schedule/manage.html", event=event, report=None, file_error=None, text=None)
    action = request.form.get("action", "preview")
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw: bytes | str = upload.read(services.MAX_FILE_BYTES + 1)
    else:
        raw = request.form.get("schedule_text", "")
    if not raw:
        return render_template("schedule/manage.html", event=event, report=None, text=None,
                               file_error="Choose a schedule.json file to upload."), 400
    try:
        data = services.load_schedule_text(raw)
    except ServiceError as exc:
        return render_template("schedule/manage.html", event=event, report=None, text=None,
                               file_error=exc.message), 400
    report = services.import_schedule(db.session, event, data, apply=(action == "apply"))
    # The preview carries the file to the "apply" step in a hidden field, as compact JSON.
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")) if report.ok and not report.applied else None
    return render_template("schedule/manage.html", event=event, report=report, file_error=None, text=text), \
        (200 if report.ok else 400)
