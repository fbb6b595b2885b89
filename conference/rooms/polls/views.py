"""HTTP side of polls: the CSV export of a poll's results for the people who run the event, and the
API that sets a poll's translations."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from flask_login import current_user

from ...auth import login_required
from ...errors import NotFound
from ...extensions import csrf, db
from ...manage.access import current_account
from ...payloads import json_body, parse
from ...programme.models import Event, ProgrammeSession
from . import broadcast, services
from .schemas import PollTranslations

bp = Blueprint("polls", __name__)


@bp.get("/events/<slug>/sessions/<int:session_id>/polls/<int:poll_id>.csv")
@login_required
def export_csv(slug: str, session_id: int, poll_id: int):
    poll = services.get_poll(db.session, poll_id)
    session = db.session.get(ProgrammeSession, session_id)
    event = db.session.get(Event, session.event_id) if session else None
    if event is None or event.slug != slug or poll.session_id != session_id:
        raise NotFound("poll_not_found", "this event's session has no such poll")
    body = services.export_csv(db.session, current_user._get_current_object(), poll_id)
    filename = f"{slug}-session-{session_id}-poll-{poll_id}.csv"
    return Response(
        body,
        content_type="text/csv; charset=utf-8",  # mimetype= would add a second charset
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


api = Blueprint("polls_api", __name__, url_prefix="/api/v1")
csrf.exempt(api)  # auth.authenticate_request checks a browser session's CSRF token on every write


@api.put("/events/<slug>/sessions/<int:session_id>/polls/<int:poll_id>/translations")
def put_translations(slug: str, session_id: int, poll_id: int):
    """Replace the translations of a poll's question and options (the session's moderators and the
    event's organisers); the room sees them at once (`poll:translated`)."""
    user = current_account()
    data = parse(PollTranslations, json_body())
    poll = services.get_poll(db.session, poll_id)
    session = db.session.get(ProgrammeSession, poll.session_id)
    if session is None or session.id != session_id or session.event.slug != slug:
        raise NotFound("poll_not_found", "this event's session has no such poll")
    poll = services.translate_poll(db.session, user, poll.id, {"title": data.title}, data.options)
    return jsonify(broadcast.announce_translated(poll))
