"""The matchmaking section of an event's back-office: every practice (hidden ones too) with its
possibilities to follow up, and the sessions where matchmaking happens live."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import ngettext

from ..auth import login_required
from ..errors import ServiceError
from ..extensions import db
from ..manage.access import event_to_manage
from ..payloads import parse
from ..programme.services import event_sessions
from . import services
from .models import FOLLOW_UP, FOLLOW_UP_LABELS, WANT_LABELS
from .schemas import SessionsIn

bp = Blueprint("matchmaking_manage", __name__, url_prefix="/manage/events/<slug>/matchmaking")


@bp.get("")
@login_required
def overview(slug: str):
    event = event_to_manage(slug)
    filters = services.TableFilter.from_args(request.args)
    status = request.args.get("status", "")
    if status and status not in FOLLOW_UP:
        raise ServiceError("invalid_filter", "the status filter is not a follow-up status")
    table = services.matchmaking_table(db.session, event, filters, include_hidden=True)
    if status:
        for row in table.rows:
            row.interests = [i for i in row.interests if i.status == status]
    return render_template(
        "matchmaking/manage.html",
        event=event,
        table=table,
        totals=services.totals(db.session, event),
        sessions=[s for s in event_sessions(db.session, event) if not s.parent_id],
        live_ids=set(services.matchmaking_session_ids(db.session, event.id)),
        statuses=FOLLOW_UP,
        status_labels=FOLLOW_UP_LABELS,
        want_labels=WANT_LABELS,
        transitions=services.TRANSITIONS,
        filters=filters,
        status_filter=status,
        tracks=event.tracks,
    )


@bp.post("/sessions")
@login_required
def live_sessions(slug: str):
    event = event_to_manage(slug)
    ids = [raw for raw in request.form.getlist("session_ids") if raw.strip()]
    try:
        data = parse(SessionsIn, {"session_ids": [int(raw) for raw in ids]})
    except ValueError:
        data = parse(SessionsIn, {"session_ids": ids})  # reports the bad value as a 400
    chosen = services.set_matchmaking_sessions(db.session, event, data.session_ids)
    flash(
        ngettext(
            "%(num)s session shows the matchmaking live.",
            "%(num)s sessions show the matchmaking live.",
            len(chosen),
        ),
        "success",
    )
    return redirect(url_for("matchmaking_manage.overview", slug=event.slug), 303)
