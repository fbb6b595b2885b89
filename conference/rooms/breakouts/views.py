"""The record of a session's breakout rounds for moderators: JSON and CSV."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user

from ...auth import json_error, login_required
from ...errors import NotFound, ServiceError
from ...extensions import db
from ...i18n.columns import header_row
from ...programme.services import get_event, get_session
from . import services

bp = Blueprint("breakouts", __name__)

CSV_COLUMNS = [
    "round_id",
    "room",
    "language",
    "user_id",
    "name",
    "email",
    "country",
    "organisation",
    "source",
    "joined_at",
]


def _moderated_session(slug: str, session_id: int):
    session = get_session(db.session, get_event(db.session, slug), session_id)
    services.ensure_can_moderate(db.session, current_user, session)
    return session


@bp.get("/events/<slug>/sessions/<int:session_id>/breakouts.json")
@login_required
def record_json(slug: str, session_id: int):
    try:
        session = _moderated_session(slug, session_id)
    except ServiceError as exc:
        return json_error(exc.status, exc.code, exc.message)
    rounds = services.rounds_of(db.session, session.id)
    return jsonify(
        {
            "session_id": session.id,
            "rounds": [
                {"round": services.round_json(r), "rooms": services.round_record(db.session, r)}
                for r in rounds
            ],
        }
    )


@bp.get("/events/<slug>/sessions/<int:session_id>/breakouts.csv")
@login_required
def record_csv(slug: str, session_id: int):
    """One line per person and round: the room they were placed in and when they went in."""
    session = _moderated_session(slug, session_id)
    wanted = request.args.get("round", type=int)
    rounds = [r for r in services.rounds_of(db.session, session.id) if wanted is None or r.id == wanted]
    if wanted is not None and not rounds:
        raise NotFound("round_not_found", f"session {session.id} has no breakout round {wanted}")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writerow(dict(zip(CSV_COLUMNS, header_row(CSV_COLUMNS), strict=True)))  # in the viewer's language
    for round_ in rounds:
        for row in services.record_rows(db.session, round_):
            writer.writerow({key: _cell(value) for key, value in row.items()})
    filename = f"breakouts-session-{session.id}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value):
    """Neutralise spreadsheet formulas in people-typed text (=, +, -, @ at the start)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
