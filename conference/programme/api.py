"""Read-only JSON API for the public programme: /api/v1/events."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from ..extensions import csrf, db
from ..grants.checks import can_watch_streams
from . import services

bp = Blueprint("programme_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.get("/events")
def events():
    return jsonify(
        {"events": [services.event_summary_json(e) for e in services.list_events(db.session, current_user)]}
    )


@bp.get("/events/<slug>")
def event(slug: str):
    event = services.get_event(db.session, slug, viewer=current_user)
    # Stream addresses only for the people the live page shows them to.
    with_streams = can_watch_streams(db.session, current_user, event)
    return jsonify(services.event_detail_json(db.session, event, with_streams=with_streams))
