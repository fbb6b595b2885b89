"""Pages and images: badge PNG/SVG, "my badge", the printable badge sheet, the scanner and the dashboard."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import login_required
from ..errors import Forbidden, ServiceError
from ..extensions import db, socketio
from ..grants.checks import can_scan
from ..programme.models import Event
from ..programme.services import get_event
from ..registrations.models import Registration
from ..registrations.services import ParticipantFilter, find_registration, list_participants
from .auto_checkout import run_due_auto_checkouts
from .badges import badge_png, badge_svg, badge_token, reissue_badge
from .lists import lists_of
from .stats import event_stats
from .sync import conflicts_of

bp = Blueprint("checkin", __name__)


def _ensure_event_staff(event: Event) -> None:
    if not can_scan(db.session, current_user, event.id):
        raise Forbidden(
            "not_checkin_staff",
            "Only this event's check-in staff, its organisers and admins may open this page.",
        )


def _badge_registration(registration_id: int) -> Registration:
    """The owner, the event's staff and admins may see a badge; others get a 404 (nothing to learn)."""
    registration = db.session.get(Registration, registration_id)  # <int:> stops ids past MAX_DB_ID
    if registration is None:
        abort(404)
    if registration.user_id != current_user.id and not can_scan(
        db.session, current_user, registration.event_id
    ):
        abort(404)
    if not registration.is_confirmed:
        raise ServiceError("badge_void", "This registration was cancelled: its badge is void.", status=410)
    return registration


def _image(data: bytes, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = "private, no-store"  # a reissue must replace it at once
    return response


@bp.get("/badges/<int:registration_id>.png")
@login_required
def badge_image_png(registration_id: int):
    registration = _badge_registration(registration_id)
    return _image(badge_png(badge_token(db.session, registration)), "image/png")


@bp.get("/badges/<int:registration_id>.svg")
@login_required
def badge_image_svg(registration_id: int):
    registration = _badge_registration(registration_id)
    return _image(badge_svg(badge_token(db.session, registration)), "image/svg+xml")


@bp.get("/events/<slug>/badge")
@login_required
def my_badge(slug: str):
    event = get_event(db.session, slug)
    registration = find_registration(db.session, current_user.id, event.id)
    if registration is None or not registration.is_confirmed:
        return render_template("checkin/my_badge.html", event=event, registration=None), 404
    return render_template("checkin/my_badge.html", event=event, registration=registration, user=current_user)


@bp.get("/events/<slug>/badges")
@login_required
def badge_sheet(slug: str):
    """A6 badges for printing: in-person participants by default; filter by name, country, mode."""
    event = get_event(db.session, slug)
    _ensure_event_staff(event)
    filters = ParticipantFilter.from_args(request.args)
    if "mode" not in request.args:
        filters = replace(filters, mode="in_person")
    filters = replace(filters, status="confirmed", limit=1000)
    participants = list_participants(db.session, event, filters)
    return render_template("checkin/badges.html", event=event, participants=participants, filters=filters)


@bp.post("/events/<slug>/badges/<int:registration_id>/reissue")
@login_required
def reissue(slug: str, registration_id: int):
    """A lost badge: a new version is printed and the old code is refused from now on."""
    event = get_event(db.session, slug)
    _ensure_event_staff(event)
    registration = db.session.get(Registration, registration_id)  # <int:> stops ids past MAX_DB_ID
    if registration is None or registration.event_id != event.id:
        abort(404)
    version = reissue_badge(db.session, registration, current_user.id)
    flash(
        _(
            "New badge (version %(version)s) for %(name)s: the old one no longer works.",
            version=version,
            name=registration.user.name,
        ),
        "success",
    )
    return redirect(url_for("checkin.badge_sheet", slug=slug, q=registration.user.email), code=303)


@bp.get("/events/<slug>/checkin")
@login_required
def scanner(slug: str):
    event = get_event(db.session, slug)
    _ensure_event_staff(event)
    lists = lists_of(db.session, event.id)
    return render_template("checkin/scanner.html", event=event, lists=lists)


@bp.get("/events/<slug>/checkin/dashboard")
@login_required
def dashboard(slug: str):
    event = get_event(db.session, slug)
    _ensure_event_staff(event)
    run_due_auto_checkouts(db.session)
    return render_template(
        "checkin/dashboard.html",
        event=event,
        stats=event_stats(db.session, event.id),
        conflicts=conflicts_of(db.session, event.id),
    )


@bp.before_app_request
def _start_auto_checkout() -> None:
    """Outside tests, one background task per process checks lists out when their time comes."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types current_app as the app it proxies
    if app.testing or app.extensions.get("checkin_auto_checkout") or not app.config["CHECKIN_AUTO_CHECKOUT"]:
        return
    app.extensions["checkin_auto_checkout"] = True
    socketio.start_background_task(_auto_checkout_loop, app)


def _auto_checkout_loop(app) -> None:
    while True:
        socketio.sleep(60)
        with app.app_context():
            try:
                run_due_auto_checkouts(db.session)
            except Exception:  # keep the loop alive; the next round retries
                db.session.rollback()
                current_app.logger.exception("automatic check-out failed")
            finally:
                db.session.remove()
