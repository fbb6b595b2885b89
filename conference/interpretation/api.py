"""The organisers' JSON API for a session's interpretation channels, beside the sessions' own:

GET, POST /api/v1/events/<slug>/sessions/<id>/channels; PATCH, DELETE .../channels/<channel_id>.
Validated by `schemas.ChannelIn` (as the form), checked by `manage.access.event_to_manage`; errors
are 4xx JSON naming the field (`details.fields`). Every change is broadcast to the live room.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..extensions import csrf, db
from ..manage.access import event_to_manage
from ..payloads import json_body
from ..programme import services as programme_services
from ..wire import validate
from . import services
from .schemas import ChannelIn
from .sockets import broadcast_channels

bp = Blueprint("interpretation_api", __name__, url_prefix="/api/v1/events/<slug>/sessions/<int:session_id>")
csrf.exempt(bp)  # cookie requests are checked for CSRF by auth.authenticate_request, as the other APIs


def _session(slug: str, session_id: int):
    event = event_to_manage(slug)
    return programme_services.get_session(db.session, event, session_id)


def _listing(session) -> dict:
    return {
        "session_id": session.id,
        "channels": [services.channel_json(c) for c in services.channels_of(db.session, session.id)],
    }


@bp.get("/channels")
def channels(slug: str, session_id: int):
    return jsonify(_listing(_session(slug, session_id)))


@bp.post("/channels")
def create_channel(slug: str, session_id: int):
    session = _session(slug, session_id)
    channel = services.create_channel(db.session, session, validate(ChannelIn, json_body()))
    broadcast_channels(session)
    return jsonify(services.channel_json(channel)), 201


@bp.patch("/channels/<int:channel_id>")
def update_channel(slug: str, session_id: int, channel_id: int):
    session = _session(slug, session_id)
    channel = services.get_channel(db.session, session, channel_id)
    data = validate(ChannelIn, {**services.channel_values(channel), **json_body()})
    channel = services.update_channel(db.session, session, channel, data)
    broadcast_channels(session)
    return jsonify(services.channel_json(channel))


@bp.delete("/channels/<int:channel_id>")
def delete_channel(slug: str, session_id: int, channel_id: int):
    session = _session(slug, session_id)
    services.delete_channel(db.session, services.get_channel(db.session, session, channel_id))
    broadcast_channels(session)
    return "", 204
