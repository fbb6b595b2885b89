"""The back-office's and the organisers' API's way in: who is asking, and the event they may touch.

Pages and API calls of one event start with `event_to_manage(slug)` (organisers, admins) or
`event_to_see_people(slug)` (anyone with a grant there); the rules themselves are
conference.grants.checks'.
"""

from __future__ import annotations

from flask_login import current_user

from ..accounts.models import User
from ..errors import ServiceError
from ..extensions import db
from ..grants import checks
from ..programme.models import Event
from ..programme.services import get_event


def current_account() -> User:
    """The signed-in user (cookie or bearer token), or a 401 for the API (pages use login_required)."""
    if not current_user.is_authenticated:
        raise ServiceError("unauthorized", "sign in or send a valid API token", status=401)
    return current_user._get_current_object()


def event_to_manage(slug: str) -> Event:
    event = get_event(db.session, slug)
    checks.ensure_can_manage(db.session, current_account(), event)
    return event


def event_to_see_people(slug: str) -> Event:
    event = get_event(db.session, slug)
    checks.ensure_can_see_people(db.session, current_account(), event)
    return event
