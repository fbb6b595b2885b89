"""Registering for an event and the "my registrations" page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3, missing from types-WTForms 3.2
from wtforms.validators import DataRequired

from ..auth import login_required
from ..errors import ServiceError
from ..extensions import db
from ..grants.checks import ensure_can_see_people
from ..i18n.content import localized
from ..i18n.messages import field_message, page_message
from ..programme.services import get_event
from . import fields as form_fields
from . import services
from .models import Registration, Status


class RegistrationForm(FlaskForm):
    mode = RadioField(
        _l("How will you take part?"),
        choices=[
            SelectChoice("in_person", _l("In person, at the venue")),
            SelectChoice("online", _l("Online, from anywhere")),
        ],
        validators=[DataRequired(message=_l("Choose in person or online."))],
    )


class CancelForm(FlaskForm):
    pass


bp = Blueprint("registrations", __name__)

LIVE_STATUSES = (Status.CONFIRMED.value, Status.PENDING.value, Status.WAITLISTED.value)
STATUS_MESSAGES = {
    "confirmed": _l("You are registered for %(title)s."),
    "pending": _l("Thank you: the organisers of %(title)s will confirm your registration."),
    "waitlisted": _l(
        "The in-person places of %(title)s are taken: you are on the waiting list, and you will be "
        "told as soon as a place frees up."
    ),
}
MODE_CHANGED = {"in_person": _l("You now take part in person."), "online": _l("You now take part online.")}


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@login_required
def register(slug: str):
    event = get_event(db.session, slug, viewer=current_user)
    existing = services.find_registration(db.session, current_user.id, event.id)
    live = existing is not None and existing.status in LIVE_STATUSES
    form = RegistrationForm(obj=existing if live else None)
    fields = form_fields.fields_of(db.session, event)
    answers = (
        form_fields.raw_answers(request.form, fields)
        if form.is_submitted()
        else dict(existing.answers or {})
        if existing
        else {}
    )
    answer_errors: dict[str, str] = {}
    if form.is_submitted():
        try:
            cleaned = form_fields.clean_answers(fields, answers)
        except form_fields.InvalidAnswers as exc:
            answer_errors = {key: field_message(message) for key, message in exc.problems.items()}
    if form.validate_on_submit() and not answer_errors:
        try:
            if live and existing is not None:  # live implies existing; said again for the type checker
                services.change_mode(db.session, existing, form.mode.data)
                services.update_answers(db.session, existing, cleaned)
                flash(str(MODE_CHANGED[form.mode.data]), "success")
            else:
                registration = services.register(db.session, current_user, event, form.mode.data, cleaned)
                flash(
                    str(STATUS_MESSAGES[registration.status]) % {"title": localized(event, "title")},
                    "success" if registration.is_confirmed else "info",
                )
        except ServiceError as exc:
            form.mode.errors = [*list(form.mode.errors), page_message(exc)]
        else:
            return redirect(url_for("registrations.mine"), code=303)
    status = 400 if form.is_submitted() else 200
    problem = None if live else services.window_problem(event)
    return render_template(
        "registrations/register.html",
        event=event,
        form=form,
        existing=existing,
        live=live,
        fields=fields,
        answers=answers,
        answer_errors=answer_errors,
        window_problem=page_message(problem) if problem else None,
    ), status


@bp.route("/me/registrations")
@login_required
def mine():
    return render_template(
        "registrations/mine.html",
        registrations=services.registrations_of(db.session, current_user),
        cancel_form=CancelForm(),
    )


@bp.route("/me/registrations/<int:registration_id>/cancel", methods=["POST"])
@login_required
def cancel(registration_id: int):
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.user_id != current_user.id:
        abort(404)
    services.cancel_registration(db.session, registration)
    flash(_("Your registration for %(title)s is cancelled.", title=registration.event.title), "info")
    return redirect(url_for("registrations.mine"), code=303)


@bp.route("/events/<slug>/participants")
@login_required
def participants(slug: str):
    """The old address of the participants list: it lives in the event's back-office now."""
    event = get_event(db.session, slug)
    ensure_can_see_people(db.session, current_user, event)
    query: dict[str, Any] = request.args.to_dict()  # the first value of each, as **request.args gave
    return redirect(url_for("registrations_manage.participants", slug=event.slug, **query), code=301)
