"""The documents JSON API: /api/v1/events/<slug>/documents (Bearer tokens; uploads are multipart)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for
from flask_login import current_user

from ..errors import NotFound
from ..extensions import db
from ..grants import checks
from ..manage.access import event_to_manage
from ..payloads import form_data, json_body, parse
from ..programme.services import get_event
from . import services
from .schemas import DocumentIn, DocumentUpdate
from .storage import get_storage
from .views import admit_uploads, limit_bytes

bp = Blueprint("documents_api", __name__, url_prefix="/api/v1/events/<slug>/documents")
bp.url_value_preprocessor(admit_uploads)


def _json(document) -> dict:
    url = url_for("documents.download", slug=document.event.slug, document_id=document.id, _external=True)
    return services.document_json(document, url)


@bp.get("")
def index(slug: str):
    """The documents the caller may see (all of them, for the event's organisers)."""
    event = get_event(db.session, slug)
    if not event.published and not checks.can_manage(db.session, current_user, event):
        raise NotFound("event_not_found", f"no event {slug!r}")
    listed = services.visible_documents(db.session, current_user, event)
    return jsonify({"documents": [{**_json(d), "may_open": may_open} for d, may_open in listed]})


@bp.post("")
def create(slug: str):
    """multipart/form-data: `file`, and optionally `title`, `session_id`, `visibility`."""
    event = event_to_manage(slug)
    data = parse(DocumentIn, form_data(), form=True)
    upload = request.files.get("file")
    document = services.upload(
        db.session,
        get_storage(),
        event,
        current_user._get_current_object(),
        upload.stream if upload else None,
        upload.filename if upload else "",
        data,
        limit_bytes=limit_bytes(),
    )
    return jsonify(_json(document)), 201


# One rule for both methods: with two, werkzeug answers an id past MAX_DB_ID with 405, not 404.
@bp.route("/<int:document_id>", methods=["PATCH", "DELETE"])
def one(slug: str, document_id: int):
    """PATCH (JSON: title, session_id, visibility) changes a document; DELETE removes it."""
    event = event_to_manage(slug)
    document = services.get_document(db.session, event, document_id)
    if request.method == "DELETE":
        services.delete(db.session, get_storage(), event, document)
        return "", 204
    services.update(db.session, event, document, parse(DocumentUpdate, json_body()))
    return jsonify(_json(document))
