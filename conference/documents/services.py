"""Attaching, changing, removing and handing out an event's documents.

The rules: a file within the size limit whose content is an accepted kind (`filetypes.sniff`),
attached to the event or to one of *its* sessions; drafts are seen only by their organisers and
participant-only files only by confirmed participants and the people who run the event. The
bytes are removed from storage only after the row's deletion is committed, and a file stored
for a row that then fails to commit is removed again.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from datetime import timedelta
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..db_session import DbSession
from ..db_types import utcnow
from ..errors import NotFound, ServiceError
from ..grants import checks
from ..programme.models import Event, ProgrammeSession
from ..registrations.services import confirmed_registration
from ..wire import isoformat_utc
from .filetypes import RefusedFile, extension_of, sniff
from .models import Document
from .schemas import DocumentIn, DocumentUpdate
from .storage import Storage

log = logging.getLogger(__name__)


class FileTooLarge(ServiceError):
    status = 413


def max_bytes(max_upload_mb: float) -> int:
    return int(float(max_upload_mb) * 1024 * 1024)


def _session_of(db: DbSession, event: Event, session_id: int | None) -> ProgrammeSession | None:
    if session_id is None:
        return None
    session = db.get(ProgrammeSession, session_id)
    if session is None or session.event_id != event.id:
        raise ServiceError("session_not_in_event", "choose a session of this event", field="session_id")
    return session


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _title_from(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    title = " ".join("".join(ch if ch.isprintable() else " " for ch in stem).split())[:200]
    return title or "Document"


def upload(
    db: DbSession,
    storage: Storage,
    event: Event,
    uploader: User | None,
    stream: IO[bytes] | None,
    filename: str | None,
    data: DocumentIn,
    *,
    limit_bytes: int,
) -> Document:
    """Check and store a file, then record it. Raises FileTooLarge (413) or ServiceError codes
    `no_file`, `empty_file`, `type_not_allowed`, `content_not_allowed`, `extension_mismatch`,
    `session_not_in_event`."""
    session = _session_of(db, event, data.session_id)
    if not filename or stream is None:
        raise ServiceError("no_file", "choose a file to upload", field="file")
    size = _size(stream)
    if size > limit_bytes:
        raise FileTooLarge(
            "file_too_large",
            f"the file is larger than the limit of {_megabytes(limit_bytes)}",
            field="file",
            limit_bytes=limit_bytes,
        )
    if size == 0:
        raise ServiceError("empty_file", "the file is empty", field="file")
    try:
        kind = sniff(stream, filename)
    except RefusedFile as exc:
        raise ServiceError(exc.reason, str(exc), field="file", **exc.details) from None
    key = storage.save(stream, kind.extensions[0])
    document = Document(
        event_id=event.id,
        session_id=session.id if session else None,
        title=data.title or _title_from(filename),
        visibility=data.visibility,
        kind=kind.name,
        content_type=kind.content_type,
        size=size,
        storage_key=key,
        original_filename=_clean_filename(filename)[:255],
        uploaded_by_id=uploader.id if uploader else None,
    )
    db.add(document)
    try:
        db.commit()
    except BaseException:
        db.rollback()
        storage.delete(key)  # no row points at these bytes
        raise
    return document


def update(db: DbSession, event: Event, document: Document, data: DocumentUpdate) -> Document:
    """Rename, move between the event and its sessions, or change the visibility."""
    if "session_id" in data.model_fields_set:
        session = _session_of(db, event, data.session_id)
        document.session_id = session.id if session else None
    if data.title is not None:
        document.title = data.title
    if data.visibility is not None:
        document.visibility = data.visibility
    db.commit()
    return document


def delete(db: DbSession, storage: Storage, event: Event, document: Document) -> None:
    """Remove the row, and once that is committed, the bytes."""
    key = document.storage_key
    db.delete(document)
    db.commit()
    try:
        storage.delete(key)
    except OSError:  # the row is gone; a stray file is harmless and logged for the operator
        log.exception("could not remove stored document %s", key)


def get_document(db: DbSession, event: Event, document_id: int) -> Document:
    document = db.get(Document, document_id)
    if document is None or document.event_id != event.id:
        raise NotFound("document_not_found", "no such document in this event")
    return document


def documents_of(db: DbSession, event: Event) -> list[Document]:
    """Every document of the event: the event's own first, then by session time, then by title."""
    rows = db.scalars(
        select(Document).where(Document.event_id == event.id).options(joinedload(Document.session))
    )
    return sorted(
        rows,
        key=lambda d: (
            d.session is not None,
            d.session.starts_at if d.session else 0,
            d.session_id or 0,
            d.title.lower(),
            d.id,
        ),
    )


def prune_orphans(
    db: DbSession, storage: Storage, *, older_than: timedelta = timedelta(hours=1)
) -> list[str]:
    """Remove stored files that no document points at (their event was deleted, which removes the
    rows by cascade). Files younger than `older_than` may belong to an upload still committing."""
    known = set(db.scalars(select(Document.storage_key)))
    cutoff = utcnow() - older_than
    removed = []
    for key, written_at in list(storage.keys()):
        if key not in known and written_at < cutoff:
            storage.delete(key)
            removed.append(key)
    return removed


# --- who may see what -----------------------------------------------------------------------------


def access(db: DbSession, user: User | None, document: Document) -> str:
    """ "ok", "sign_in" (participants only, nobody signed in), "forbidden", or "not_found" (a draft
    event's files for anyone but its organisers: nothing to learn there)."""
    event = document.event
    if not event.published and not checks.can_manage(db, user, event):
        return "not_found"
    if document.visibility == "public":
        return "ok"
    if user is None or not getattr(user, "is_authenticated", False):
        return "sign_in"
    if checks.can_see_people(db, user, event):
        return "ok"
    if confirmed_registration(db, user.id, event.id) is not None:
        return "ok"
    return "forbidden"


def visible_documents(
    db: DbSession,
    user: User | None,
    event: Event,
    session: ProgrammeSession | None = None,
    *,
    event_only: bool = False,
) -> list[tuple[Document, bool]]:
    """The documents to list for this viewer, each with whether they may open it now. Participant-only
    files are listed (locked) to people who could register; a draft's files to nobody but organisers."""
    rows = documents_of(db, event)
    if session is not None:
        rows = [d for d in rows if d.session_id == session.id]
    elif event_only:
        rows = [d for d in rows if d.session_id is None]
    listed = []
    for document in rows:
        verdict = access(db, user, document)
        if verdict != "not_found":
            listed.append((document, verdict == "ok"))
    return listed


# --- serving --------------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f} MB" if value >= 10 else f"{value:.1f} MB".replace(".0 MB", " MB")


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} kB"
    return _megabytes(size)


def _clean_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable() and ch not in '"<>:|?*').strip() or "document"


def download_name(document: Document) -> str:
    """The name a browser saves the file under: its title and the extension of what it really is."""
    title = _clean_filename(document.title.replace("/", "-")).rstrip(". ")
    extension = document.extension
    if extension_of(title) != extension:
        title = f"{title}.{extension}"
    return title


def content_disposition(filename: str, inline: bool) -> str:
    """RFC 6266: an ASCII fallback `filename` and the exact UTF-8 name in `filename*` (RFC 8187)."""
    from urllib.parse import quote

    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch for ch in ascii_name if 32 <= ord(ch) < 127 and ch not in '"\\;%').strip()
    if not ascii_name.strip(". "):
        ascii_name = "document"
    elif ascii_name.startswith("."):  # nothing of the name was ASCII but its extension
        ascii_name = f"document{ascii_name}"
    disposition = "inline" if inline else "attachment"
    value = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


def document_json(document: Document, download_url: str) -> dict:
    return {
        "id": document.id,
        "event_id": document.event_id,
        "session_id": document.session_id,
        "title": document.title,
        "visibility": document.visibility,
        "kind": document.kind,
        "content_type": document.content_type,
        "size": document.size,
        "filename": download_name(document),
        "url": download_url,
        "created_at": isoformat_utc(document.created_at),
    }
