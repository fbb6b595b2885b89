"""The live pages: the participants' room, the moderator console and the hall's screen."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, current_app, render_template, url_for
from flask_login import current_user, login_required

from ..db_types import utcnow
from ..extensions import db
from ..programme import services as programme
from ..programme.streams import session_phase, stream_or_none
from .access import can_moderate, ensure_can_join, ensure_can_moderate

bp = Blueprint("rooms", __name__)

SESSION_URL = "/events/<slug>/sessions/<int:session_id>"


def _load(slug: str, session_id: int):
    event = programme.get_event(db.session, slug, viewer=current_user)
    return event, programme.get_session(db.session, event, session_id)


def _page(template: str, event, session):
    return render_template(
        template,
        event=event,
        session=session,
        is_moderator=can_moderate(db.session, current_user, session),
        stream=stream_or_none(session.stream_url),
        live_url=live_page_url(event.slug, session.id),
        phase=session_phase(session.starts_at, session.ends_at, utcnow()),
    )


@bp.route(SESSION_URL + "/live")
@login_required
def live(slug: str, session_id: int):
    event, session = _load(slug, session_id)
    ensure_can_join(db.session, current_user, session)
    return _page("rooms/live.html", event, session)


@bp.route(SESSION_URL + "/moderate")
@login_required
def moderate(slug: str, session_id: int):
    event, session = _load(slug, session_id)
    ensure_can_moderate(db.session, current_user, session)
    return _page("rooms/moderate.html", event, session)


@bp.route(SESSION_URL + "/screen")
@login_required
def screen(slug: str, session_id: int):
    event, session = _load(slug, session_id)
    ensure_can_join(db.session, current_user, session)
    return _page("rooms/screen.html", event, session)


@bp.route(SESSION_URL + "/live-qr.svg")
def live_qr(slug: str, session_id: int):
    """A QR code (SVG, made here) that takes people in the hall to the room's live page."""
    _load(slug, session_id)
    svg = qr_svg(live_page_url(slug, session_id))
    if current_app.config.get("PUBLIC_BASE_URL"):
        # The address comes from the configuration alone: the same for everyone, cacheable.
        cache = {"Cache-Control": "public, max-age=3600"}
    elif current_app.config.get("TRUSTED_HOSTS"):
        # The Host was checked against the trusted list (400 otherwise); caches keep one per host.
        cache = {"Cache-Control": "public, max-age=3600", "Vary": "Host"}
    else:
        # Development without either: the request's Host is encoded, so no cache may keep it.
        cache = {"Cache-Control": "no-store"}
    return Response(svg, mimetype="image/svg+xml", headers=cache)


def live_page_url(slug: str, session_id: int) -> str:
    """The live page's absolute URL: PUBLIC_BASE_URL when configured (behind a proxy), else this host."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if base:
        return base.rstrip("/") + url_for("rooms.live", slug=slug, session_id=session_id)
    return url_for("rooms.live", slug=slug, session_id=session_id, _external=True)


def qr_svg(data: str) -> bytes:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    image = code.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
