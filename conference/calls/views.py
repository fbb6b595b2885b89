"""The page of a matchmaking meeting's call: the device check, the two people's video, the controls.
The call itself runs over /live (`call:*` with `meeting_id`, see sockets.py)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..auth import login_required
from ..extensions import db
from ..matchmaking.meetings import get_meeting
from ..programme.services import get_event
from .meetings import call_window

bp = Blueprint("calls", __name__)


@bp.get("/events/<slug>/meetings/<int:meeting_id>/call")
@login_required
def meeting_call(slug: str, meeting_id: int):
    """One of the person's own meetings (anyone else's is "not found"); joining checks the rest."""
    event = get_event(db.session, slug, viewer=current_user)
    meeting = get_meeting(db.session, event, meeting_id, current_user._get_current_object())
    opens, closes = call_window(meeting)
    return render_template(
        "calls/meeting.html",
        event=event,
        meeting=meeting,
        other=meeting.other(current_user.id),
        opens=opens,
        closes=closes,
    )
