"""Documents pages: the organisers' page (upload, rename, move, delete) and the download itself."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from ..accounts.services import user_for_token
from ..auth import bearer_token, json_error, login_manager, login_required, wants_json
from ..errors import Forbidden, NotFound, ServiceError
from ..extensions import db
from ..grants import checks
from ..i18n.messages import page_field_errors
from ..manage.access import event_to_manage
from ..payloads import form_data, parse
from ..programme.models import Event
from ..programme.services import event_sessions, get_event
from . import services
from .filetypes import ACCEPTED_EXTENSIONS, KINDS
from .models import VISIBILITY_LABELS
from .schemas import DocumentIn, DocumentUpdate
from .storage import get_storage

bp = Blueprint("documents", __name__)
documents_cli = AppGroup("documents")  # `conference documents ...`


@documents_cli.command("prune")
@click.option(
    "--older-than-hours",
    default=1.0,
    show_default=True,
    help="Leave younger files alone: an upload may still be committing.",
)
def prune(older_than_hours: float) -> None:
    """Remove stored files that no document points at (left by deleted events)."""
    removed = services.prune_orphans(db.session, get_storage(), older_than=timedelta(hours=older_than_hours))
    click.echo(f"removed {len(removed)} orphaned file(s)")


def limit_bytes() -> int:
    return services.max_bytes(current_app.config["MAX_UPLOAD_MB"])


UPLOAD_ENDPOINTS = {"documents.manage", "documents_api.create"}


def admit_uploads(endpoint: str | None, values: dict | None) -> None:
    """Let an upload address take a file of the configured size (plus 1 MB for the other fields),
    for the event's organisers only; every other request keeps MAX_CONTENT_LENGTH, so nobody else
    can make the server read a large body. URL value preprocessors run before every before_request
    function, so the limit is in place before the CSRF check reads the form."""
    if endpoint not in UPLOAD_ENDPOINTS or request.method != "POST":
        return
    token = bearer_token()
    user = user_for_token(db.session, token) if token else current_user
    event = db.session.scalar(select(Event).where(Event.slug == (values or {}).get("slug")))
    if event is not None and checks.can_manage(db.session, user, event):
        request.max_content_length = limit_bytes() + 1024 * 1024


bp.url_value_preprocessor(admit_uploads)


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    """The request was over its limit: werkzeug stopped reading it before any view ran. On an
    upload address that means the file; elsewhere, the body."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        code, message = (
            "file_too_large",
            f"The file is larger than the limit of {services.human_size(limit_bytes())}.",
        )
    else:
        code, message = "request_too_large", "The request is larger than the server accepts."
    if wants_json():
        return json_error(413, code, message)
    return render_template("errors/error.html", status=413, message=message), 413


def _page(
    event,
    *,
    status: int = 200,
    errors: dict | None = None,
    values: dict | None = None,
    edit_errors: dict | None = None,
    edit_values: dict | None = None,
):
    return render_template(
        "documents/manage.html",
        event=event,
        documents=services.documents_of(db.session, event),
        sessions=event_sessions(db.session, event),
        errors=errors or {},
        values=values or {},
        edit_errors=edit_errors or {},
        edit_values=edit_values or {},
        visibilities=VISIBILITY_LABELS,
        limit=services.human_size(limit_bytes()),
        accept=",".join("." + e for e in ACCEPTED_EXTENSIONS),
        human_size=services.human_size,
        kinds=KINDS,
    ), status


@bp.route("/manage/events/<slug>/documents", methods=["GET", "POST"])
@login_required
def manage(slug: str):
    event = event_to_manage(slug)
    if request.method == "GET":
        return _page(event)
    values = form_data()
    upload = request.files.get("file")
    try:
        data = parse(DocumentIn, values, form=True)
        document = services.upload(
            db.session,
            get_storage(),
            event,
            current_user,
            upload.stream if upload else None,
            upload.filename if upload else "",
            data,
            limit_bytes=limit_bytes(),
        )
    except ServiceError as exc:
        db.session.rollback()
        return _page(
            event,
            status=exc.status if exc.status == 413 else 400,
            errors=page_field_errors(exc),
            values=values,
        )
    flash(_("“%(title)s” was added.", title=document.title), "success")
    return redirect(url_for("documents.manage", slug=event.slug), 303)


@bp.post("/manage/events/<slug>/documents/<int:document_id>")
@login_required
def edit(slug: str, document_id: int):
    event = event_to_manage(slug)
    document = services.get_document(db.session, event, document_id)
    values = form_data()
    values.setdefault("session_id", None)  # "the whole event" is sent as an empty choice
    values.setdefault("title", "")  # a title erased in the form is an error, not "unchanged"
    try:
        services.update(db.session, event, document, parse(DocumentUpdate, values, form=True))
    except ServiceError as exc:
        db.session.rollback()
        return _page(
            event,
            status=400,
            edit_errors={document.id: page_field_errors(exc)},
            edit_values={document.id: values},
        )
    flash(_("“%(title)s” was saved.", title=document.title), "success")
    return redirect(url_for("documents.manage", slug=event.slug), 303)


@bp.post("/manage/events/<slug>/documents/<int:document_id>/delete")
@login_required
def remove(slug: str, document_id: int):
    event = event_to_manage(slug)
    document = services.get_document(db.session, event, document_id)
    title = document.title
    services.delete(db.session, get_storage(), event, document)
    flash(_("“%(title)s” was deleted.", title=title), "success")
    return redirect(url_for("documents.manage", slug=event.slug), 303)


@bp.get("/events/<slug>/documents/<int:document_id>")
def download(slug: str, document_id: int):
    """The file, with its real type, a safe name, and no content sniffing by the browser."""
    event = get_event(db.session, slug)
    document = services.get_document(db.session, event, document_id)
    verdict = services.access(db.session, current_user, document)
    if verdict == "not_found":
        raise NotFound("document_not_found", "no such document in this event")
    if verdict == "sign_in":
        return login_manager.unauthorized()
    if verdict == "forbidden":
        raise Forbidden("forbidden", "this document is for the event's registered participants")
    try:
        handle = get_storage().open(document.storage_key)
    except FileNotFoundError:
        raise NotFound("document_missing", "this document's file is missing; tell the organisers") from None
    kind = KINDS[document.kind]
    response = send_file(
        handle,
        mimetype=document.content_type,
        etag=document.storage_key,
        last_modified=document.created_at,
        conditional=True,
        max_age=0,
    )
    response.headers["Content-Disposition"] = services.content_disposition(
        services.download_name(document), inline=kind.inline
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    shared = event.published and document.visibility == "public"
    response.headers["Cache-Control"] = "public, max-age=300" if shared else "private, no-cache"
    return response


def documents_for_page(event, session=None, *, event_only: bool = False):
    """For the public event and session pages (`documents/_list.html`)."""
    return services.visible_documents(db.session, current_user, event, session, event_only=event_only)


@bp.app_context_processor
def _helpers():
    return {"documents_for_page": documents_for_page, "document_size": services.human_size}
