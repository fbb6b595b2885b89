"""Public programme pages: events, an event's overview, the agenda at a glance, a session."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..extensions import db
from ..registrations.services import find_registration, registration_counts
from . import services

bp = Blueprint("programme", __name__)


@bp.route("/events")
@bp.route("/")  # registered first, so url_for() keeps "/" as the canonical address
def events_list():
    return render_template("programme/events.html", events=services.list_events(db.session, current_user))


@bp.route("/events/<slug>")
def event_overview(slug: str):
    event = services.get_event(db.session, slug, viewer=current_user)
    registration = (
        find_registration(db.session, current_user.id, event.id) if current_user.is_authenticated else None
    )
    return render_template(
        "programme/event.html",
        event=event,
        days=services.agenda_by_day(db.session, event),
        registration=registration,
        counts=registration_counts(db.session, event),
    )


@bp.route("/events/<slug>/agenda")
def agenda(slug: str):
    event = services.get_event(db.session, slug, viewer=current_user)
    days = services.agenda_by_day(db.session, event)
    return render_template("programme/agenda.html", event=event, days=days, tracks=event.tracks)


@bp.route("/events/<slug>/sessions/<int:session_id>")
def session_detail(slug: str, session_id: int):
    event = services.get_event(db.session, slug, viewer=current_user)
    session = services.get_session(db.session, event, session_id)
    return render_template("programme/session.html", event=event, session=session)
