"""`/manage`: the events a person runs, and one event's overview with its sections."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..auth import login_required
from ..extensions import db
from ..grants import checks
from ..programme.services import get_event
from ..registrations.services import registration_counts
from .sections import available

bp = Blueprint("manage", __name__, url_prefix="/manage")

_CHECKS = {
    "manage": checks.can_manage,
    "see_people": checks.can_see_people,
    "moderate_event": checks.can_moderate_event,
    "scan": checks.can_scan,
}


def visible_sections(event) -> list:
    """The back-office sections of `event` that the current user may open."""
    return [s for s in available() if _CHECKS[s.needs](db.session, current_user, event)]


@bp.get("")
@login_required
def home():
    events = checks.events_run_by(db.session, current_user)
    return render_template("manage/home.html", events=events, may_create=checks.can_administer(current_user))


@bp.get("/events/<slug>")
@login_required
def event_dashboard(slug: str):
    event = get_event(db.session, slug)
    checks.ensure_can_see_people(db.session, current_user, event)
    return render_template("manage/event.html", event=event, counts=registration_counts(db.session, event))
