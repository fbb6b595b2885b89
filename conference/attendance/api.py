"""GET /api/v1/events/<slug>/attendance: the report as JSON, for the people who run the event."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from ..auth import login_required
from ..extensions import csrf, db
from ..programme.services import get_event
from . import breakdown, services
from .access import ensure_can_see_attendance, grace_seconds

bp = Blueprint("attendance_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.get("/events/<slug>/attendance")
@login_required
def attendance(slug: str):
    event = get_event(db.session, slug)
    ensure_can_see_attendance(db.session, current_user, event)
    report = services.report_off_hub(event, grace_seconds=grace_seconds())
    body = services.report_json(report)
    if request.args.get("by"):  # ?by=<registration field key>: the figures per answer of that field
        body["breakdown"] = breakdown.breakdown_json(
            breakdown.breakdown(db.session, event, request.args["by"], grace_seconds=grace_seconds())
        )
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response
