"""The Team page of an event (`/manage/events/<slug>/team`): who organises, moderates and scans.

Who names whom: platform admins name and remove **organisers**; an event's organisers (and admins)
name and remove its **moderators** (event-wide or for one session) and **check-in staff**.
Organisers do not name other organisers, so the admin who created the event stays the one who
decides who owns it (issue #10: "a platform admin creates events and names their organisers").
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import ValidationError

from ..accounts.models import User
from ..accounts.services import find_user_by_email
from ..auth import login_required
from ..db_session import DbSession
from ..errors import Forbidden, NotFound, ServiceError
from ..extensions import db
from ..i18n.messages import field_message, page_form_errors
from ..programme.models import Event, ProgrammeSession
from ..programme.schemas import GrantIn, field_errors, form_values
from ..programme.services import get_event
from ..wire import FORM
from . import checks, services
from .models import GRANT_LABELS, EventGrant

bp = Blueprint("grants", __name__, url_prefix="/manage")


def ensure_may_name(db_session: DbSession, user: User | None, event: Event, role: str) -> None:
    """Organisers are named by admins; moderators and staff by the event's organisers."""
    if role == "organiser":
        checks.ensure_can_administer(user)
    else:
        checks.ensure_can_manage(db_session, user, event)


def add_grant(db_session: DbSession, event: Event, data: GrantIn, granted_by: User | None) -> EventGrant:
    """Grant a role at `event` to the account with `data.email` (a ServiceError names the field at fault)."""
    ensure_may_name(db_session, granted_by, event, data.role)
    user = find_user_by_email(db_session, data.email)
    if user is None:
        raise ServiceError(
            "unknown_user",
            "there is no account with this e-mail; ask them to sign up first",
            fields={"email": "there is no account with this e-mail; ask them to sign up first"},
        )
    programme_session = None
    if data.session_id is not None:
        programme_session = db_session.get(ProgrammeSession, data.session_id)
        if programme_session is None or programme_session.event_id != event.id:
            raise ServiceError(
                "session_not_in_event",
                "that session is not in this event",
                fields={"session_id": "that session is not in this event"},
            )
        if data.role != "moderator":
            raise ServiceError(
                "invalid_role",
                "only a moderator can be limited to one session",
                fields={"session_id": "only a moderator can be limited to one session"},
            )
    return services.grant(
        db_session, event, user, data.role, session=programme_session, granted_by=granted_by
    )


def remove_grant(db_session: DbSession, event: Event, grant_id: int, removed_by: User | None) -> None:
    row = db_session.get(EventGrant, grant_id)
    if row is None or row.event_id != event.id:
        raise NotFound("grant_not_found", "no such grant at this event")
    ensure_may_name(db_session, removed_by, event, row.role)
    services.revoke(db_session, event, grant_id)


def grant_json(row: EventGrant) -> dict:
    return {
        "id": row.id,
        "role": row.role,
        "session_id": row.session_id,
        "user_id": row.user_id,
        "name": row.user.name,
        "email": row.user.email,
    }


def _team_page(event: Event, values: dict, errors: dict, status: int = 200):
    return render_template(
        "grants/team.html",
        event=event,
        grants=services.grants_of(db.session, event),
        labels=GRANT_LABELS,
        values=values,
        errors=errors,
        may_name_organisers=checks.can_administer(current_user),
    ), status


@bp.route("/events/<slug>/team", methods=["GET", "POST"])
@login_required
def team(slug: str):
    event = get_event(db.session, slug)
    checks.ensure_can_manage(db.session, current_user, event)
    if request.method == "GET":
        return _team_page(event, {"role": "moderator"}, {})
    typed = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        data = GrantIn.model_validate(form_values(GrantIn, request.form), context=FORM)
        row = add_grant(db.session, event, data, current_user)
    except ServiceError as exc:
        if isinstance(exc, Forbidden):
            raise
        db.session.rollback()
        return _team_page(event, typed, page_form_errors(exc), 400)
    except ValidationError as exc:
        return _team_page(event, typed, {k: field_message(v) for k, v in field_errors(exc).items()}, 400)
    flash(
        _(
            "%(name)s is now %(GRANT_LABELS)s of %(title)s.",
            name=row.user.name,
            GRANT_LABELS=GRANT_LABELS[row.role].lower(),
            title=event.title,
        ),
        "success",
    )
    return redirect(url_for("grants.team", slug=slug), code=303)


@bp.post("/events/<slug>/team/<int:grant_id>/remove")
@login_required
def remove(slug: str, grant_id: int):
    event = get_event(db.session, slug)
    checks.ensure_can_manage(db.session, current_user, event)
    remove_grant(db.session, event, grant_id, current_user)
    flash(_("The role is removed."), "success")
    return redirect(url_for("grants.team", slug=slug), code=303)
