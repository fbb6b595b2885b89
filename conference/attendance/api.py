"""GET /api/v1/events/<slug>/attendance: the report as JSON, for staff, moderators and admins."""
from __future__ import annotations

from flask import Blueprint, jsonify

from ..auth import role_required
from ..extensions import csrf, db
from ..programme.services import get_event
from . import services
from .access import ROLES, grace_seconds

bp = Blueprint("attendance_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.get("/events/<slug>/attendance")
@role_required(*ROLES)
def attendance(slug: str):
    event = get_event(db.session, slug)
    report = services.report(db.session, event, grace_seconds=grace_seconds())
    response = jsonify(services.report_json(report))
    response.headers["Cache-Control"] = "no-store"
    return response
