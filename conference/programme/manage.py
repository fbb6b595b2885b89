"""The organisers' pages for an event and its programme (`/manage/events/...`).

Thin views: they check `grants.checks`, validate the posted form with the same pydantic models as
the JSON API (`schemas`), call `editing`, and show a refusal beside the field it concerns, keeping
what was typed (HTTP 400).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, ValidationError

from ..auth import login_required
from ..countries import country_names
from ..errors import ServiceError
from ..extensions import db
from ..grants import checks
from ..i18n.content import form_translations, language_choices
from ..i18n.messages import field_message, page_form_errors, page_message
from ..manage.access import event_to_manage
from ..wire import CONTENT_DESCRIPTION_MAX, CONTENT_TITLE_MAX, FORM
from . import editing
from . import services as programme_services
from .models import MODES_OFFERED, SESSION_KINDS
from .schemas import (
    EventCreateIn,
    EventIn,
    SessionIn,
    SpeakerIn,
    TrackIn,
    field_errors,
    form_values,
)

bp = Blueprint("programme_manage", __name__, url_prefix="/manage")

MODE_CHOICES = {"both": "In person and online", "in_person": "In person only", "online": "Online only"}
assert set(MODE_CHOICES) == set(MODES_OFFERED)


def _field(name, label, kind="text", **extra) -> dict:
    return {"name": name, "label": label, "type": kind, **extra}


def _translations_field() -> dict:
    """Each translatable text in each language: `tr-<field>-<language>` inputs in a fieldset."""
    return _field(
        "translations",
        "Translations",
        "translations",
        texts=[
            ("title", "Title", CONTENT_TITLE_MAX),
            ("description", "Description", CONTENT_DESCRIPTION_MAX),
        ],
        languages=language_choices(),
    )


def _countries() -> list[tuple[str, str]]:
    return [("", "—"), *list(country_names().items())]


def event_fields(creating: bool) -> list[dict]:
    fields = [
        _field("title", "Title", required=True, maxlength=300),
        _field(
            "slug",
            "Address (slug)",
            required=True,
            maxlength=80,
            hint="Lower-case letters, digits and hyphens: it becomes /events/<slug>.",
        ),
        _field("description", "Description", "textarea"),
        _field("venue", "Venue", maxlength=200),
        _field("city", "City", maxlength=100),
        _field("country", "Country", "select", options=_countries()),
        _field(
            "timezone",
            "Time zone",
            required=True,
            maxlength=64,
            hint="An IANA time zone such as Asia/Seoul or Europe/Geneva; every time below is in it.",
        ),
        _field("starts_at", "Starts", "datetime-local", required=True),
        _field("ends_at", "Ends", "datetime-local", required=True),
        _field("contact_email", "Contact e-mail", "email", maxlength=254),
        _field("registration_opens_at", "Registration opens", "datetime-local", hint="Empty: open now."),
        _field(
            "registration_closes_at", "Registration closes", "datetime-local", hint="Empty: until the end."
        ),
        _field("modes_offered", "Ways to take part", "select", options=list(MODE_CHOICES.items())),
        _field("in_person_capacity", "In-person capacity", "number", min=1, hint="Empty: no limit."),
        _field("online_capacity", "Online capacity", "number", min=1, hint="Empty: no limit."),
        _field("requires_approval", "Organisers approve each registration", "checkbox"),
        _field(
            "languages",
            "Languages",
            maxlength=100,
            hint="Language tags separated by commas, the main one first: en,ar",
        ),
        _translations_field(),
    ]
    if creating:
        fields.append(
            _field(
                "organiser_email",
                "First organiser's e-mail",
                "email",
                maxlength=254,
                hint="An existing account; leave empty to name organisers later on the Team page.",
            )
        )
    return fields


def session_fields(event, session=None) -> list[dict]:
    tracks = [("", "—")] + [(str(t.id), t.name) for t in event.tracks]
    parents = [("", "— none (a session of its own) —")] + [
        (str(s.id), s.title)
        for s in event.sessions
        if s.parent_id is None and (session is None or s.id != session.id)
    ]
    return [
        _field("title", "Title", required=True, maxlength=300),
        _field("kind", "Kind", "select", options=[(k, k.title()) for k in SESSION_KINDS]),
        _field("track_id", "Track", "select", options=tracks),
        _field(
            "starts_at",
            "Starts",
            "datetime-local",
            required=True,
            hint=f"In the event's time zone, {event.timezone}.",
        ),
        _field("ends_at", "Ends", "datetime-local", required=True),
        _field("room", "Room", maxlength=120),
        _field("capacity", "Capacity", "number", min=1, hint="Empty: no limit."),
        _field("language", "Language", maxlength=35),
        _field(
            "stream_url",
            "Stream address",
            "url",
            maxlength=500,
            hint="https only: a YouTube or Vimeo link, any https embed address, or an HLS .m3u8 stream.",
        ),
        _field("parent_id", "Breakout of", "select", options=parents),
        _field(
            "questions_moderated",
            "Questions wait for a moderator",
            "select",
            options=[("", "By kind (plenaries and keynotes: yes)"), ("true", "Yes"), ("false", "No")],
        ),
        _field(
            "interactive",
            "A call in the live room: participants join with microphone and camera",
            "checkbox",
            hint="For workshop tables and small groups; breakout rooms always have one.",
        ),
        _field("description", "Description", "textarea"),
        _translations_field(),
    ]


def track_fields() -> list[dict]:
    return [
        _field("name", "Name", required=True, maxlength=200),
        _field("colour", "Colour", "color"),
        _field("position", "Order", "number", min=0),
        _field("description", "Description", "textarea"),
    ]


def speaker_fields(event) -> list[dict]:
    return [
        _field("name", "Name", required=True, maxlength=200),
        _field("title", "Title", maxlength=200),
        _field("organisation", "Organisation", maxlength=200),
        _field("country", "Country", "select", options=_countries()),
        _field("bio", "Short bio", "textarea"),
        _field("user_email", "Their account's e-mail", "email", maxlength=254, hint="Optional."),
        _field(
            "session_ids", "Speaks in", "checkboxes", options=[(str(s.id), s.title) for s in event.sessions]
        ),
    ]


def display(values: dict) -> dict:
    """Python values as form values: None empty, booleans "true"/"false", numbers as text."""
    shown: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            shown[name] = ""
        elif isinstance(value, bool):
            shown[name] = "true" if value else "false"
        elif isinstance(value, list):
            shown[name] = [str(v) for v in value]
        elif isinstance(value, dict):  # translations: {field: {language: text}}
            shown[name] = value
        else:
            shown[name] = str(value)
    return shown


def typed(schema: type[BaseModel]) -> dict:
    """What was posted, to show again beside the errors."""
    shown: dict[str, Any] = {k: v for k, v in request.form.items() if k != "csrf_token"}
    for name, info in schema.model_fields.items():
        if name == "translations":
            shown[name] = form_translations(request.form, getattr(schema, "TRANSLATABLE", {}))
        elif info.annotation is bool:
            shown[name] = "true" if name in request.form else "false"
        elif getattr(info.annotation, "__origin__", None) is list:
            shown[name] = request.form.getlist(name)
    return shown


def submit(schema: type[BaseModel], save):
    """Validate the posted form with `schema` and call `save(data)`: (result, None) or (None, errors)."""
    try:
        data = schema.model_validate(form_values(schema, request.form), context=FORM)
        return save(data), None
    except ValidationError as exc:
        return None, {name: field_message(text) for name, text in field_errors(exc).items()}
    except ServiceError as exc:
        db.session.rollback()
        return None, page_form_errors(exc)


def _form_page(template_title: str, event, fields, values, errors, action, *, extra=None, status=None):
    return render_template(
        "programme_manage/form.html",
        page_title=template_title,
        event=event,
        fields=fields,
        values=values,
        errors=errors or {},
        action=action,
        extra=extra or {},
    ), (status or (400 if errors else 200))


# ---------------------------------------------------------------- events


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def new_event():
    """A platform admin creates an event (a draft), optionally naming its first organiser."""
    checks.ensure_can_administer(current_user)
    values, errors = {"modes_offered": "both", "languages": "en"}, None
    if request.method == "POST":
        event, errors = submit(
            EventCreateIn, lambda data: editing.create_event(db.session, data, created_by=current_user)
        )
        if event is not None:
            flash(
                _(
                    "%(title)s is created as a draft: only its organisers see it until you publish it.",
                    title=event.title,
                ),
                "success",
            )
            return redirect(url_for("programme_manage.edit_event", slug=event.slug), code=303)
        values = typed(EventCreateIn)
    return render_template(
        "programme_manage/new_event.html", fields=event_fields(True), values=values, errors=errors or {}
    ), 400 if errors else 200


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_event(slug: str):
    event = event_to_manage(slug)
    values, errors = display(editing.event_values(event)), None
    if request.method == "POST":
        saved, errors = submit(EventIn, lambda data: editing.update_event(db.session, event, data))
        if saved is not None:
            flash(_("The event is saved."), "success")
            return redirect(url_for("programme_manage.edit_event", slug=saved.slug), code=303)
        values = typed(EventIn)
        db.session.refresh(event)
    return render_template(
        "programme_manage/edit_event.html",
        event=event,
        fields=event_fields(False),
        values=values,
        errors=errors or {},
    ), 400 if errors else 200


@bp.post("/events/<slug>/publish")
@login_required
def publish(slug: str):
    event = event_to_manage(slug)
    editing.set_published(db.session, event, True)
    flash(_("The event is published: everyone sees it on the events list."), "success")
    return redirect(url_for("programme_manage.edit_event", slug=slug), code=303)


@bp.post("/events/<slug>/unpublish")
@login_required
def unpublish(slug: str):
    event = event_to_manage(slug)
    editing.set_published(db.session, event, False)
    flash(_("The event is a draft again: only its organisers see it."), "success")
    return redirect(url_for("programme_manage.edit_event", slug=slug), code=303)


@bp.post("/events/<slug>/delete")
@login_required
def delete_event(slug: str):
    event = event_to_manage(slug)
    try:
        editing.delete_event(db.session, event)
    except ServiceError as exc:
        db.session.rollback()
        flash(page_message(exc), "error")
        return redirect(url_for("programme_manage.edit_event", slug=slug), code=303)
    flash(_("The draft is deleted."), "success")
    return redirect(url_for("manage.home"), code=303)


# ---------------------------------------------------------------- programme


@bp.get("/events/<slug>/programme")
@login_required
def programme(slug: str):
    event = event_to_manage(slug)
    return render_template(
        "programme_manage/programme.html",
        event=event,
        sessions=event.sessions,
        tracks=event.tracks,
        speakers=sorted(event.speakers, key=lambda s: s.name.lower()),
    )


def _programme_url(event, anchor: str) -> str:
    return url_for("programme_manage.programme", slug=event.slug) + f"#{anchor}"


def _edit_page(slug, kind, schema, fields_for, load, values_of, save, delete_endpoint, item_id=None):
    """One create-or-edit page for a track, a session or a speaker."""
    event = event_to_manage(slug)
    item = load(event, item_id) if item_id is not None else None
    fields = fields_for(event, item)
    values = (
        display(values_of(item))
        if item is not None
        else {
            "language": event.languages.split(",")[0],
            "colour": "#1f6feb",
            "position": str(len(event.tracks)),
        }
    )
    errors = None
    if request.method == "POST":
        saved, errors = submit(schema, lambda data: save(event, data, item))
        if saved is not None:
            flash(_("The %(kind)s is saved.", kind=kind), "success")
            return redirect(_programme_url(event, f"{kind}s"), code=303)
        values = typed(schema)
    title = f"Edit the {kind}" if item is not None else f"New {kind}"
    delete_url = url_for(delete_endpoint, slug=slug, item_id=item.id) if item is not None else None
    extra = {"delete_url": delete_url, "kind": kind, "item_id": item.id if item is not None else None}
    return _form_page(title, event, fields, values, errors, request.path, extra=extra)


def _delete(slug, kind, load, remove, item_id):
    event = event_to_manage(slug)
    item = load(event, item_id)
    try:
        remove(item)
    except ServiceError as exc:
        db.session.rollback()
        flash(page_message(exc), "error")
    else:
        flash(_("The %(kind)s is deleted.", kind=kind), "success")
    return redirect(_programme_url(event, f"{kind}s"), code=303)


def _load_track(event, item_id):
    return editing.get_track(db.session, event, item_id)


def _load_session(event, item_id):
    return programme_services.get_session(db.session, event, item_id)


def _load_speaker(event, item_id):
    return editing.get_speaker(db.session, event, item_id)


@bp.route("/events/<slug>/programme/tracks/new", methods=["GET", "POST"], defaults={"item_id": None})
@bp.route("/events/<slug>/programme/tracks/<int:item_id>", methods=["GET", "POST"])
@login_required
def track(slug: str, item_id: int | None):
    return _edit_page(
        slug,
        "track",
        TrackIn,
        lambda e, t: track_fields(),
        _load_track,
        editing.track_values,
        lambda e, data, t: editing.save_track(db.session, e, data, t),
        "programme_manage.delete_track",
        item_id,
    )


@bp.post("/events/<slug>/programme/tracks/<int:item_id>/delete")
@login_required
def delete_track(slug: str, item_id: int):
    return _delete(slug, "track", _load_track, lambda t: editing.delete_track(db.session, t), item_id)


@bp.route("/events/<slug>/programme/sessions/new", methods=["GET", "POST"], defaults={"item_id": None})
@bp.route("/events/<slug>/programme/sessions/<int:item_id>", methods=["GET", "POST"])
@login_required
def session(slug: str, item_id: int | None):
    return _edit_page(
        slug,
        "session",
        SessionIn,
        session_fields,
        _load_session,
        editing.session_values,
        lambda e, data, s: editing.save_session(db.session, e, data, s),
        "programme_manage.delete_session",
        item_id,
    )


@bp.post("/events/<slug>/programme/sessions/<int:item_id>/delete")
@login_required
def delete_session(slug: str, item_id: int):
    return _delete(slug, "session", _load_session, lambda s: editing.delete_session(db.session, s), item_id)


@bp.route("/events/<slug>/programme/speakers/new", methods=["GET", "POST"], defaults={"item_id": None})
@bp.route("/events/<slug>/programme/speakers/<int:item_id>", methods=["GET", "POST"])
@login_required
def speaker(slug: str, item_id: int | None):
    return _edit_page(
        slug,
        "speaker",
        SpeakerIn,
        lambda e, s: speaker_fields(e),
        _load_speaker,
        lambda s: editing.speaker_values(s, db.session),
        lambda e, data, s: editing.save_speaker(db.session, e, data, s),
        "programme_manage.delete_speaker",
        item_id,
    )


@bp.post("/events/<slug>/programme/speakers/<int:item_id>/delete")
@login_required
def delete_speaker(slug: str, item_id: int):
    return _delete(slug, "speaker", _load_speaker, lambda s: editing.delete_speaker(db.session, s), item_id)
