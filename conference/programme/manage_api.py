"""The organisers' JSON API: /api/v1/events (create, change, publish, delete), tracks, sessions,
speakers and grants — validated by the same pydantic models as the forms (`schemas`), checked by
`grants.checks`. A bearer token authenticates alone; a browser session needs its CSRF token on every
write (checked for the whole app in `auth.authenticate_request`). Errors are 4xx JSON with
`details.fields = {field: [messages]}` (`wire.InvalidPayload`); a rule's own error names its field
as `details.fields = {field: message}` (`editing.field_error`).
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..extensions import csrf, db
from ..grants import checks
from ..grants import services as grant_services
from ..grants.views import add_grant, grant_json, remove_grant
from ..manage.access import current_account, event_to_manage
from ..payloads import json_body
from ..wire import ModelT, isoformat_utc, validate
from . import editing
from . import services as programme_services
from .schemas import (
    EventCreateIn,
    EventIn,
    GrantIn,
    SessionIn,
    SpeakerIn,
    TrackIn,
)
from .services import event_summary_json, session_json, speaker_json

bp = Blueprint("programme_manage_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def _body(schema: type[ModelT], current: dict | None = None) -> ModelT:
    """The request's JSON validated by `schema`; for a PATCH, laid over the `current` values."""
    data = json_body()
    return validate(schema, {**current, **data} if current is not None else data)


def event_settings_json(event) -> dict:
    body = event_summary_json(event)
    body.update(
        {
            "id": event.id,
            "published": event.published,
            "description": event.description,
            "contact_email": event.contact_email or None,
            "registration_opens_at": isoformat_utc(event.registration_opens_at),
            "registration_closes_at": isoformat_utc(event.registration_closes_at),
            "modes_offered": event.modes_offered,
            "in_person_capacity": event.in_person_capacity,
            "online_capacity": event.online_capacity,
            "requires_approval": event.requires_approval,
            "languages": event.languages.split(","),
        }
    )
    return body


def track_json(track) -> dict:
    return {
        "id": track.id,
        "name": track.name,
        "description": track.description,
        "colour": track.colour,
        "position": track.position,
    }


def manage_session_json(session) -> dict:
    body = session_json(session)
    body["questions_moderated"] = session.questions_moderated
    body["interactive"] = session.interactive
    return body


def manage_speaker_json(speaker) -> dict:
    body = speaker_json(speaker)
    body.update(
        {"bio": speaker.bio, "user_id": speaker.user_id, "session_ids": [s.id for s in speaker.sessions]}
    )
    return body


def _created(body: dict):
    return jsonify(body), 201


# ---------------------------------------------------------------- events


@bp.post("/events")
def create_event():
    user = current_account()
    checks.ensure_can_administer(user)
    data = _body(EventCreateIn)
    return _created(event_settings_json(editing.create_event(db.session, data, created_by=user)))


@bp.get("/events/<slug>/settings")
def event_settings(slug: str):
    event = event_to_manage(slug)
    return jsonify(event_settings_json(event))


@bp.patch("/events/<slug>")
def update_event(slug: str):
    event = event_to_manage(slug)
    data = _body(EventIn, editing.event_values(event))
    return jsonify(event_settings_json(editing.update_event(db.session, event, data)))


@bp.delete("/events/<slug>")
def delete_event(slug: str):
    event = event_to_manage(slug)
    editing.delete_event(db.session, event)
    return "", 204


@bp.post("/events/<slug>/publish")
def publish(slug: str):
    event = event_to_manage(slug)
    return jsonify(event_settings_json(editing.set_published(db.session, event, True)))


@bp.post("/events/<slug>/unpublish")
def unpublish(slug: str):
    event = event_to_manage(slug)
    return jsonify(event_settings_json(editing.set_published(db.session, event, False)))


# ---------------------------------------------------------------- tracks


@bp.post("/events/<slug>/tracks")
def create_track(slug: str):
    event = event_to_manage(slug)
    return _created(track_json(editing.save_track(db.session, event, _body(TrackIn))))


@bp.patch("/events/<slug>/tracks/<int:track_id>")
def update_track(slug: str, track_id: int):
    event = event_to_manage(slug)
    track = editing.get_track(db.session, event, track_id)
    data = _body(TrackIn, editing.track_values(track))
    return jsonify(track_json(editing.save_track(db.session, event, data, track)))


@bp.delete("/events/<slug>/tracks/<int:track_id>")
def delete_track(slug: str, track_id: int):
    event = event_to_manage(slug)
    editing.delete_track(db.session, editing.get_track(db.session, event, track_id))
    return "", 204


# ---------------------------------------------------------------- sessions


@bp.post("/events/<slug>/sessions")
def create_session(slug: str):
    event = event_to_manage(slug)
    return _created(manage_session_json(editing.save_session(db.session, event, _body(SessionIn))))


@bp.patch("/events/<slug>/sessions/<int:session_id>")
def update_session(slug: str, session_id: int):
    event = event_to_manage(slug)
    session = programme_services.get_session(db.session, event, session_id)
    data = _body(SessionIn, editing.session_values(session))
    return jsonify(manage_session_json(editing.save_session(db.session, event, data, session)))


@bp.delete("/events/<slug>/sessions/<int:session_id>")
def delete_session(slug: str, session_id: int):
    event = event_to_manage(slug)
    editing.delete_session(db.session, programme_services.get_session(db.session, event, session_id))
    return "", 204


# ---------------------------------------------------------------- speakers


@bp.post("/events/<slug>/speakers")
def create_speaker(slug: str):
    event = event_to_manage(slug)
    return _created(manage_speaker_json(editing.save_speaker(db.session, event, _body(SpeakerIn))))


@bp.patch("/events/<slug>/speakers/<int:speaker_id>")
def update_speaker(slug: str, speaker_id: int):
    event = event_to_manage(slug)
    speaker = editing.get_speaker(db.session, event, speaker_id)
    data = _body(SpeakerIn, editing.speaker_values(speaker, db.session))
    return jsonify(manage_speaker_json(editing.save_speaker(db.session, event, data, speaker)))


@bp.delete("/events/<slug>/speakers/<int:speaker_id>")
def delete_speaker(slug: str, speaker_id: int):
    event = event_to_manage(slug)
    editing.delete_speaker(db.session, editing.get_speaker(db.session, event, speaker_id))
    return "", 204


# ---------------------------------------------------------------- grants


@bp.get("/events/<slug>/grants")
def grants(slug: str):
    event = event_to_manage(slug)
    return jsonify({"grants": [grant_json(g) for g in grant_services.grants_of(db.session, event)]})


@bp.post("/events/<slug>/grants")
def create_grant(slug: str):
    event = event_to_manage(slug)
    user = current_account()
    return _created(grant_json(add_grant(db.session, event, _body(GrantIn), user)))


@bp.delete("/events/<slug>/grants/<int:grant_id>")
def delete_grant(slug: str, grant_id: int):
    event = event_to_manage(slug)
    user = current_account()
    remove_grant(db.session, event, grant_id, user)
    return "", 204
