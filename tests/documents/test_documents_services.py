"""Documents services without HTTP: the stored bytes follow the row, never outlive a failed write."""

from __future__ import annotations

import io

import pytest
from documents_support import pdf_bytes, stored_files
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from conference.documents import services
from conference.documents.models import Document
from conference.documents.schemas import DocumentIn
from conference.documents.storage import LocalStorage, get_storage
from conference.extensions import db as _db
from conference.programme.models import Event


def test_a_row_that_fails_to_commit_leaves_no_file_behind(app, cast, upload_dir):
    with app.app_context():
        event = _db.session.get(Event, cast.event.id)
        _db.session.delete(event)  # the event disappears before the document is recorded
        _db.session.commit()
        with pytest.raises(IntegrityError):
            services.upload(
                _db.session,
                get_storage(),
                event,
                None,
                io.BytesIO(pdf_bytes()),
                "a.pdf",
                DocumentIn(),
                limit_bytes=1024 * 1024,
            )
        assert _db.session.query(Document).count() == 0
    assert stored_files(upload_dir) == []


def test_the_limit_counts_bytes_exactly(app, cast, upload_dir):
    content = pdf_bytes()
    with app.app_context():
        event = _db.session.get(Event, cast.event.id)
        document = services.upload(
            _db.session,
            get_storage(),
            event,
            None,
            io.BytesIO(content),
            "a.pdf",
            DocumentIn(title="Exactly"),
            limit_bytes=len(content),
        )
        assert document.size == len(content)
        with pytest.raises(services.FileTooLarge):
            services.upload(
                _db.session,
                get_storage(),
                event,
                None,
                io.BytesIO(content),
                "b.pdf",
                DocumentIn(),
                limit_bytes=len(content) - 1,
            )
    assert len(stored_files(upload_dir)) == 1


def test_local_storage_refuses_keys_it_did_not_make(tmp_path):
    storage = LocalStorage(tmp_path / "store")
    (tmp_path / "secret.txt").write_text("not yours")
    key = storage.save(io.BytesIO(b"data"), "pdf")
    with storage.open(key) as stored:
        assert stored.read() == b"data"
    for forged in ("../secret.txt", "../../secret.txt", "/etc/passwd", key.upper(), ""):
        with pytest.raises(FileNotFoundError):
            storage.open(forged)
        assert storage.exists(forged) is False
    storage.delete(key)
    assert storage.exists(key) is False
    storage.delete(key)  # already gone: not an error


@pytest.mark.parametrize(
    ("filename", "inline", "header"),
    [
        ("Agenda.pdf", True, 'inline; filename="Agenda.pdf"'),
        (
            'Say "hi"; x.pdf',
            False,
            "attachment; filename=\"Say hi x.pdf\"; filename*=UTF-8''Say%20%22hi%22%3B%20x.pdf",
        ),
        (
            "ملاحظة.pdf",
            False,
            "attachment; filename=\"document.pdf\"; filename*=UTF-8''%D9%85%D9%84%D8%A7%D8%AD%D8%B8%D8%A9.pdf",
        ),
    ],
)
def test_content_disposition_is_rfc_6266(filename, inline, header):
    assert services.content_disposition(filename, inline) == header


def test_prune_removes_the_files_of_a_deleted_event_only(app, cast, upload_dir, runner):
    with app.app_context():
        event, other = _db.session.get(Event, cast.event.id), _db.session.get(Event, cast.other_event.id)
        for target in (event, other):
            services.upload(
                _db.session,
                get_storage(),
                target,
                None,
                io.BytesIO(pdf_bytes()),
                "a.pdf",
                DocumentIn(),
                limit_bytes=1024 * 1024,
            )
        kept = _db.session.scalar(select(Document.storage_key).where(Document.event_id == other.id))
        _db.session.delete(event)  # its document rows go by cascade; the bytes stay behind
        _db.session.commit()
    assert len(stored_files(upload_dir)) == 2
    result = runner.invoke(args=["documents", "prune"])
    assert "removed 0 orphaned file(s)" in result.output  # too young: may be an upload in flight
    result = runner.invoke(args=["documents", "prune", "--older-than-hours", "0"])
    assert result.exit_code == 0 and "removed 1 orphaned file(s)" in result.output
    assert [p.name for p in stored_files(upload_dir)] == [kept]
