"""Schedule files over the JSON API: read an event's `schedule.json`, and import one with a Bearer token."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from ..auth import json_error
from ..extensions import csrf, db
from ..grants import checks
from ..manage.access import event_to_manage
from . import services
from .views import asked_language, event_base_url, schedule_response, visible_event

bp = Blueprint("schedule_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.get("/events/<slug>/schedule.json")
def schedule_json(slug: str):
    event = visible_event(slug)
    private = checks.can_manage(db.session, current_user, event)
    document = services.export_schedule(
        db.session, event, base_url=event_base_url(event), include_private=private, language=asked_language()
    )
    return schedule_response(document)


@bp.post("/events/<slug>/schedule")
def import_schedule(slug: str):
    """Import a schedule.json body; `?dry_run=1` answers what it would do and writes nothing."""
    event = event_to_manage(slug)
    raw = request.get_data(cache=False)
    data = services.load_schedule_text(raw)
    dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "yes")
    report = services.import_schedule(db.session, event, data, apply=not dry_run)
    if not report.ok:
        first = report.errors[0]
        return json_error(
            422,
            "invalid_schedule",
            f"{first.path}: {first.message}",
            errors=[p.to_dict() for p in report.errors],
        )
    return jsonify(report.to_dict())
