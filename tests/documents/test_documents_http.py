"""Documents over HTTP: the organisers' page, the public pages, the download and its headers, the
size limit, who may open what, and the JSON API."""

from __future__ import annotations

import io
from datetime import UTC
from urllib.parse import quote

import pytest
from cast_support import MANAGERS, ROLES, client_for
from conftest import csrf_token
from documents_support import EXE, HTML, PNG, ooxml_bytes, pdf_bytes, stored_files
from sqlalchemy import func, select

from conference.documents.models import Document
from conference.extensions import db as _db
from conference.programme.models import Event, ProgrammeSession

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def manage_url(slug="symposium"):
    return f"/manage/events/{slug}/documents"


def upload(client, data: bytes, filename: str, slug="symposium", **fields):
    form = {"file": (io.BytesIO(data), filename), "csrf_token": csrf_token(client), **fields}
    return client.post(manage_url(slug), data=form, content_type="multipart/form-data")


def documents(app) -> list[Document]:
    with app.app_context():
        rows = list(_db.session.scalars(select(Document).order_by(Document.id)))
        _db.session.expunge_all()
        return rows


def session_id(app, title, slug="symposium") -> int:
    with app.app_context():
        return _db.session.scalar(
            select(ProgrammeSession.id).join(Event).where(Event.slug == slug, ProgrammeSession.title == title)
        )


@pytest.fixture()
def organiser(app, cast, login):
    return client_for(app, login, cast.organiser)


def test_an_organiser_uploads_a_pdf_that_everyone_can_open_from_the_event_page(
    app, cast, organiser, client, upload_dir
):
    content = pdf_bytes("the aide memoire")
    response = upload(organiser, content, "aide-memoire.pdf", title="Aide memoire")
    assert response.status_code == 303
    page = organiser.get(manage_url()).get_data(as_text=True)
    assert "Aide memoire" in page and "PDF" in page

    event_page = client.get("/events/symposium").get_data(as_text=True)
    assert "Aide memoire" in event_page
    (document,) = documents(app)
    link = f"/events/symposium/documents/{document.id}"
    assert link in event_page
    download = client.get(link)
    assert download.status_code == 200
    assert download.data == content
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"] == 'inline; filename="Aide memoire.pdf"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # Stored under a generated name, never the uploader's.
    (stored,) = stored_files(upload_dir)
    assert "aide" not in stored.name.lower() and stored.read_bytes() == content


def test_a_docx_attached_to_a_session_is_listed_on_that_session_only_and_downloaded(
    app, cast, organiser, client
):
    thematic = session_id(app, "AI Ethics")
    response = upload(
        organiser,
        ooxml_bytes("docx"),
        "note.docx",
        title="Information note – Séoul",
        session_id=str(thematic),
        visibility="public",
    )
    assert response.status_code == 303
    assert "Information note" in client.get(f"/events/symposium/sessions/{thematic}").get_data(as_text=True)
    assert "Information note" not in client.get("/events/symposium").get_data(as_text=True)
    (document,) = documents(app)
    download = client.get(f"/events/symposium/documents/{document.id}")
    assert download.headers["Content-Type"] == DOCX_TYPE
    name = "Information note – Séoul.docx"
    assert download.headers["Content-Disposition"] == (
        f"attachment; filename=\"Information note  Seoul.docx\"; filename*=UTF-8''{quote(name, safe='')}"
    )


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (EXE, "agenda.pdf", "not a PDF"),
        (HTML, "agenda.pdf", "not a PDF"),
        (pdf_bytes(), "agenda.docx", "name it .pdf"),
        (HTML, "agenda.html", "not accepted"),
    ],
)
def test_a_refused_file_is_shown_beside_the_field_keeps_the_title_and_stores_nothing(
    app, cast, organiser, upload_dir, data, filename, reason
):
    response = upload(organiser, data, filename, title="Typed title <b>")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert reason in page
    assert 'value="Typed title &lt;b&gt;"' in page
    assert documents(app) == [] and stored_files(upload_dir) == []


def test_an_upload_over_the_request_limit_gets_a_413_page_and_stores_nothing(
    app, cast, organiser, upload_dir
):
    response = upload(organiser, pdf_bytes(padding=3 * 1024 * 1024), "huge.pdf")
    assert response.status_code == 413
    assert "larger than the limit of 1 MB" in response.get_data(as_text=True)
    assert documents(app) == [] and stored_files(upload_dir) == []


def test_a_file_just_over_the_document_limit_is_refused_beside_the_field(app, cast, organiser, upload_dir):
    response = upload(organiser, pdf_bytes(padding=1024 * 1024 + 10), "big.pdf", title="Big")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than the limit of 1 MB" in page and 'value="Big"' in page
    assert documents(app) == [] and stored_files(upload_dir) == []


def test_an_oversized_api_upload_gets_a_413_json(app, cast, make_token, upload_dir):
    token = make_token(cast.organiser)
    response = app.test_client().post(
        "/api/v1/events/symposium/documents",
        headers={"Authorization": f"Bearer {token}"},
        data={"file": (io.BytesIO(pdf_bytes(padding=3 * 1024 * 1024)), "huge.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "file_too_large"
    assert documents(app) == [] and stored_files(upload_dir) == []


def test_participant_only_files_need_a_confirmed_registration_or_a_grant(app, cast, organiser, login):
    upload(organiser, PNG, "floor plan.png", title="Floor plan", visibility="participants")
    (document,) = documents(app)
    url = f"/events/symposium/documents/{document.id}"
    anonymous = app.test_client()
    response = anonymous.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert anonymous.get(url, headers={"Accept": "application/json"}).status_code == 401
    # Listed (so people know to register) but not linked.
    event_page = anonymous.get("/events/symposium").get_data(as_text=True)
    assert (
        "Floor plan" in event_page and url not in event_page and "registered participants only" in event_page
    )
    outcomes = {
        role: client_for(app, login, cast.users[role]).get(url).status_code
        for role in ROLES
        if role != "anonymous"
    }
    assert outcomes == {
        "admin": 200,
        "organiser": 200,
        "other_organiser": 403,
        "moderator": 200,
        "staff": 200,
        "attendee": 200,
    }
    attendee = client_for(app, login, cast.attendee).get(url)
    assert (
        attendee.headers["Content-Type"] == "image/png"
        and attendee.headers["Content-Disposition"].startswith("inline;")
        and attendee.headers["Cache-Control"] == "private, no-cache"
    )


def test_a_draft_events_files_are_seen_by_its_organisers_only(app, cast, organiser, login, client):
    upload(organiser, pdf_bytes(), "agenda.pdf", title="Draft agenda")
    (document,) = documents(app)
    with app.app_context():
        _db.session.get(Event, cast.event.id).published = False
        _db.session.commit()
    url = f"/events/symposium/documents/{document.id}"
    assert client.get(url).status_code == 404
    assert client_for(app, login, cast.attendee).get(url).status_code == 404
    assert organiser.get(url).status_code == 200
    assert client.get("/api/v1/events/symposium/documents").status_code == 404


def test_rename_move_and_delete_from_the_manage_page(app, cast, organiser, client, upload_dir):
    upload(organiser, pdf_bytes(), "slides.pdf")
    (document,) = documents(app)
    assert document.title == "slides"  # the file's name when no title was typed
    thematic = session_id(app, "AI Ethics")
    edit = f"{manage_url()}/{document.id}"
    response = organiser.post(
        edit,
        data={
            "csrf_token": csrf_token(organiser),
            "title": "Speaker slides",
            "session_id": str(thematic),
            "visibility": "participants",
        },
    )
    assert response.status_code == 303
    (document,) = documents(app)
    assert (document.title, document.session_id, document.visibility) == (
        "Speaker slides",
        thematic,
        "participants",
    )

    elsewhere = session_id(app, "AI Ethics", slug="other-forum")
    refused = organiser.post(
        edit,
        data={
            "csrf_token": csrf_token(organiser),
            "title": "Moved away",
            "session_id": str(elsewhere),
            "visibility": "public",
        },
    )
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Choose a session of this event." in page and 'value="Moved away"' in page
    assert documents(app)[0].session_id == thematic

    blank = organiser.post(
        edit,
        data={"csrf_token": csrf_token(organiser), "title": "   ", "session_id": "", "visibility": "public"},
    )
    assert blank.status_code == 400 and "Give the document a title." in blank.get_data(as_text=True)

    back = organiser.post(
        edit,
        data={
            "csrf_token": csrf_token(organiser),
            "title": "Speaker slides",
            "session_id": "",
            "visibility": "public",
        },
    )
    assert back.status_code == 303 and documents(app)[0].session_id is None

    assert len(stored_files(upload_dir)) == 1
    deleted = organiser.post(f"{edit}/delete", data={"csrf_token": csrf_token(organiser)})
    assert deleted.status_code == 303
    assert documents(app) == [] and stored_files(upload_dir) == []
    assert client.get(f"/events/symposium/documents/{document.id}").status_code == 404


def test_a_form_without_csrf_is_refused(app, cast, organiser):
    response = organiser.post(
        manage_url(), data={"file": (io.BytesIO(pdf_bytes()), "a.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 400 and documents(app) == []


def test_a_title_with_markup_is_shown_as_text(app, cast, organiser, client):
    upload(organiser, pdf_bytes(), "x.pdf", title="<script>alert(1)</script>")
    page = client.get("/events/symposium").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


# --- permission table -------------------------------------------------------------------------------


def _one_document(app, organiser) -> int:
    upload(organiser, pdf_bytes(), "a.pdf", title="Programme")
    return documents(app)[-1].id


@pytest.mark.parametrize("role", ROLES)
def test_manage_pages_permission_table(app, cast, organiser, login, role, upload_dir):
    document_id = _one_document(app, organiser)
    client = client_for(app, login, cast.users[role])
    allowed = role in MANAGERS
    page = client.get(manage_url())
    edit = client.post(
        f"{manage_url()}/{document_id}",
        data={"csrf_token": csrf_token(client), "title": "Changed", "session_id": "", "visibility": "public"},
    )
    added = upload(client, pdf_bytes(), "b.pdf", title="Added")
    if role == "anonymous":
        assert {page.status_code, edit.status_code, added.status_code} == {302}
    else:
        expected = 200 if allowed else 403
        assert page.status_code == expected
        assert edit.status_code == (303 if allowed else 403)
        assert added.status_code == (303 if allowed else 403)
    titles = [d.title for d in documents(app)]
    assert titles == (["Changed", "Added"] if allowed else ["Programme"])
    removed = client.post(f"{manage_url()}/{document_id}/delete", data={"csrf_token": csrf_token(client)})
    assert removed.status_code == (303 if allowed else 302 if role == "anonymous" else 403)
    assert (document_id in [d.id for d in documents(app)]) is not allowed
    assert len(stored_files(upload_dir)) == len(documents(app))


@pytest.mark.parametrize("role", ROLES)
def test_api_permission_table(app, cast, organiser, make_token, role):
    document_id = _one_document(app, organiser)
    user = cast.users[role]
    # An API client without a valid token: the token decides alone, so this is nobody.
    headers = {"Authorization": f"Bearer {make_token(user) if user else 'not-a-token'}"}
    api = app.test_client()
    base = "/api/v1/events/symposium/documents"
    listing = api.get(base, headers=headers)
    assert listing.status_code == 200 and [d["title"] for d in listing.get_json()["documents"]] == [
        "Programme"
    ]
    created = api.post(
        base,
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(ooxml_bytes("pptx")), "deck.pptx"), "visibility": "participants"},
    )
    changed = api.patch(f"{base}/{document_id}", headers=headers, json={"title": "Renamed"})
    deleted = api.delete(f"{base}/{document_id}", headers=headers)
    if role in MANAGERS:
        assert created.status_code == 201
        body = created.get_json()
        assert (body["title"], body["kind"], body["visibility"]) == ("deck", "pptx", "participants")
        assert changed.status_code == 200 and changed.get_json()["title"] == "Renamed"
        assert deleted.status_code == 204
        assert [d.title for d in documents(app)] == ["deck"]
    else:
        expected = 401 if role == "anonymous" else 403
        for response in (created, changed, deleted):
            assert response.status_code == expected
            assert response.get_json()["error"]["code"] in ("unauthorized", "forbidden")
        assert [d.title for d in documents(app)] == ["Programme"]


def test_an_api_call_without_token_or_csrf_changes_nothing(app, cast, organiser):
    document_id = _one_document(app, organiser)
    api = app.test_client()
    base = "/api/v1/events/symposium/documents"
    for response in (
        api.post(base, data={"file": (io.BytesIO(pdf_bytes()), "a.pdf")}, content_type="multipart/form-data"),
        api.patch(f"{base}/{document_id}", json={"title": "Renamed"}),
        api.delete(f"{base}/{document_id}"),
    ):
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "csrf_failed"
    assert [d.title for d in documents(app)] == ["Programme"]


@pytest.mark.parametrize(
    ("method", "body", "status", "code"),
    [
        ("patch", {"title": ""}, 400, "invalid_request"),
        ("patch", {"title": "x" * 201}, 400, "invalid_request"),
        ("patch", {"visibility": "secret"}, 400, "invalid_request"),
        ("patch", {"session_id": "abc"}, 400, "invalid_request"),
        ("patch", {"session_id": 2**31}, 400, "invalid_request"),
        ("patch", {"session_id": -1}, 400, "invalid_request"),
        ("patch", {"session_id": 999999}, 400, "session_not_in_event"),
        ("patch", {"unknown": 1}, 400, "invalid_request"),
        ("patch", ["not", "an", "object"], 400, "invalid_json"),
        ("patch", "not json", 400, "invalid_json"),
        ("patch", None, 400, "invalid_json"),
    ],
)
def test_junk_api_payloads_get_4xx_json(app, cast, organiser, make_token, method, body, status, code):
    document_id = _one_document(app, organiser)
    headers = {"Authorization": f"Bearer {make_token(cast.organiser)}"}
    url = f"/api/v1/events/symposium/documents/{document_id}"
    if isinstance(body, str):
        response = app.test_client().patch(url, headers=headers, data=body, content_type="application/json")
    elif body is None:
        response = app.test_client().patch(url, headers=headers)
    else:
        response = app.test_client().patch(url, headers=headers, json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert documents(app)[0].title == "Programme"


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({}, "no_file"),
        ({"file": (io.BytesIO(b""), "empty.pdf")}, "empty_file"),
        ({"file": (io.BytesIO(EXE), "run.pdf")}, "content_not_allowed"),
        ({"file": (io.BytesIO(HTML), "page.pdf")}, "content_not_allowed"),
        ({"file": (io.BytesIO(pdf_bytes()), "a.pdf"), "visibility": "everyone"}, "invalid_request"),
        ({"file": (io.BytesIO(pdf_bytes()), "a.pdf"), "session_id": "1e9"}, "invalid_request"),
        ({"file": (io.BytesIO(pdf_bytes()), "a.pdf"), "title": "\x00\x01"}, "invalid_request"),
    ],
)
def test_junk_api_uploads_get_400_json_and_store_nothing(app, cast, make_token, upload_dir, form, code):
    response = app.test_client().post(
        "/api/v1/events/symposium/documents",
        data=form,
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {make_token(cast.organiser)}"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code
    assert documents(app) == [] and stored_files(upload_dir) == []


def test_unknown_documents_and_events_are_404(app, cast, organiser, make_token):
    headers = {"Authorization": f"Bearer {make_token(cast.organiser)}"}
    api = app.test_client()
    assert api.delete("/api/v1/events/symposium/documents/12345", headers=headers).status_code == 404
    assert api.delete(f"/api/v1/events/symposium/documents/{2**40}", headers=headers).status_code == 404
    assert api.get("/api/v1/events/nowhere/documents", headers=headers).status_code == 404
    assert organiser.get("/events/symposium/documents/12345").status_code == 404
    # A document of another event is not reachable through this event's address.
    other = make_token(cast.other_organiser)
    created = api.post(
        "/api/v1/events/other-forum/documents",
        headers={"Authorization": f"Bearer {other}"},
        data={"file": (io.BytesIO(pdf_bytes()), "o.pdf")},
        content_type="multipart/form-data",
    )
    assert created.status_code == 201
    foreign_id = created.get_json()["id"]
    assert api.delete(f"/api/v1/events/symposium/documents/{foreign_id}", headers=headers).status_code == 404
    assert organiser.get(f"/events/symposium/documents/{foreign_id}").status_code == 404


def test_documents_count_in_the_api_listing_reflects_visibility(app, cast, organiser, make_token):
    upload(organiser, pdf_bytes(), "open.pdf", title="Open")
    upload(organiser, pdf_bytes(), "closed.pdf", title="Closed", visibility="participants")
    anonymous = app.test_client().get("/api/v1/events/symposium/documents").get_json()["documents"]
    assert [(d["title"], d["may_open"]) for d in anonymous] == [("Closed", False), ("Open", True)]
    headers = {"Authorization": f"Bearer {make_token(cast.attendee)}"}
    attendee = (
        app.test_client().get("/api/v1/events/symposium/documents", headers=headers).get_json()["documents"]
    )
    assert [(d["title"], d["may_open"]) for d in attendee] == [("Closed", True), ("Open", True)]
    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(Document)) == 2


def test_only_the_upload_addresses_admit_a_request_over_max_content_length(tmp_path, make_app, make_user):
    """MAX_CONTENT_LENGTH stays the limit everywhere else; uploads take MAX_UPLOAD_MB."""
    from conference.accounts.services import create_api_token
    from conference.grants.services import grant

    app = make_app(
        "big.db", UPLOAD_DIR=str(tmp_path / "big-uploads"), MAX_UPLOAD_MB=1, MAX_CONTENT_LENGTH=64 * 1024
    )
    with app.app_context():
        from datetime import datetime, timedelta

        from conference.accounts.services import create_user

        start = datetime(2030, 5, 6, tzinfo=UTC)
        event = Event(
            slug="big", title="Big", timezone="UTC", starts_at=start, ends_at=start + timedelta(days=1)
        )
        _db.session.add(event)
        user = create_user(
            _db.session,
            email="org@example.org",
            name="Org",
            role="attendee",
            password="correct horse battery",
        )
        grant(_db.session, event, user, "organiser")
        token = create_api_token(_db.session, user, "t")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post(
        "/api/v1/events/big/documents",
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(pdf_bytes(padding=300 * 1024)), "big.pdf")},
    )
    assert created.status_code == 201
    elsewhere = client.patch(
        f"/api/v1/events/big/documents/{created.get_json()['id']}",
        headers=headers,
        json={"title": "x" * 100 * 1024},
    )
    assert elsewhere.status_code == 413
    assert elsewhere.get_json()["error"]["code"] == "request_too_large"


def test_a_large_body_is_read_only_for_the_events_organisers(app, cast, login):
    """The upload limit (1 MB here) applies to organisers; anyone else keeps MAX_CONTENT_LENGTH,
    which this app lowers to 64 kB, so a stranger cannot make the server read a large body."""
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    content = pdf_bytes(padding=300 * 1024)
    attendee = client_for(app, login, cast.attendee)
    assert upload(attendee, content, "big.pdf").status_code == 413
    organiser = client_for(app, login, cast.organiser)
    assert upload(organiser, content, "big.pdf").status_code == 303
