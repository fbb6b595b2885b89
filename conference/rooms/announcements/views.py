"""`/manage/events/<slug>/announcements`: send a message to every live room of the event, withdraw one.

Blueprint `rooms_manage` (the endpoint the back-office's sections name). The form's text is checked by
the same pydantic model as the `/live` event; errors show beside the field, with the text kept.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ...auth import login_required
from ...errors import ServiceError
from ...extensions import db
from ...i18n.messages import page_message
from ...programme.services import get_event
from . import services
from .schemas import AnnouncementForm
from .sockets import broadcast_new, broadcast_withdrawn

bp = Blueprint("rooms_manage", __name__, url_prefix="/manage/events/<slug>")


def _page(event, *, text: str = "", errors: list[str] | None = None, status: int = 200):
    return render_template(
        "rooms/announcements_manage.html",
        event=event,
        text=text,
        errors=errors or [],
        announcements=services.recent_announcements(db.session, event),
        current=services.current_announcement(db.session, event.id),
        may_withdraw=lambda a: services.may_withdraw(db.session, current_user, a),
        limit=services.TEXT_MAX,
    ), status


@bp.get("/announcements")
@login_required
def announcements(slug: str):
    event = get_event(db.session, slug)
    services.ensure_may_announce(db.session, current_user, event)
    return _page(event)


@bp.post("/announcements")
@login_required
def send(slug: str):
    event = get_event(db.session, slug)
    services.ensure_may_announce(db.session, current_user, event)
    typed = request.form.get("text", "")
    try:
        form = AnnouncementForm.model_validate({"text": typed})
        announcement = services.send_announcement(db.session, current_user, event, form.text)
    except ValidationError as exc:
        return _page(event, text=typed, errors=[_message(e) for e in exc.errors()], status=400)
    except ServiceError as exc:
        db.session.rollback()
        if exc.status == 403:
            raise
        return _page(
            event, text=typed, errors=[page_message(exc)], status=exc.status if exc.status < 500 else 400
        )
    broadcast_new(announcement)
    flash(_("The announcement is showing in every live room of the event."), "success")
    return redirect(url_for(".announcements", slug=event.slug), 303)


@bp.post("/announcements/<int:announcement_id>/withdraw")
@login_required
def withdraw(slug: str, announcement_id: int):
    event = get_event(db.session, slug)
    announcement = services.withdraw_announcement(db.session, current_user, announcement_id, event)
    broadcast_withdrawn(announcement)
    flash(_("The announcement was withdrawn from the live rooms."), "success")
    return redirect(url_for(".announcements", slug=event.slug), 303)


def _message(error: ErrorDetails) -> str:
    if error["type"] == "string_too_short":
        return "Write the announcement first."
    if error["type"] == "string_too_long":
        return f"An announcement is at most {services.TEXT_MAX} characters."
    return error["msg"]
