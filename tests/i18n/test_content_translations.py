"""Organisers' texts in several languages: events, sessions, practices (pages, forms, API)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from conftest import post_form
from sqlalchemy import event as sa_event
from sqlalchemy import select

from conference.extensions import db as _db
from conference.i18n.content import check_translations, localized
from conference.programme.models import Event, ProgrammeSession

FRENCH = {
    "title": {"fr": "Séance d'ouverture", "ar": "الجلسة الافتتاحية"},
    "description": {"fr": "Bienvenue"},
}


def translate_opening(app, slug: str) -> int:
    with app.app_context():
        event = _db.session.scalar(select(Event).where(Event.slug == slug))
        event.translations = {"title": {"fr": "Colloque en français"}}
        opening = _db.session.scalar(
            select(ProgrammeSession).where(
                ProgrammeSession.event_id == event.id, ProgrammeSession.title == "Opening session"
            )
        )
        opening.translations = FRENCH
        _db.session.commit()
        return opening.id


def in_language(client, code: str):
    client.set_cookie("lang", code)
    return client


def test_the_viewers_language_picks_the_translation_and_others_see_the_original(app, client, make_event):
    make_event("sym")
    session_id = translate_opening(app, "sym")

    french = in_language(app.test_client(), "fr").get("/events/sym/agenda").get_data(as_text=True)
    assert "Séance d&#39;ouverture" in french and "Colloque en français" in french
    assert "AI Ethics" in french  # no translation: the original

    arabic = (
        in_language(app.test_client(), "ar").get(f"/events/sym/sessions/{session_id}").get_data(as_text=True)
    )
    assert "الجلسة الافتتاحية" in arabic
    assert "A test event" not in arabic and "Symposium" in arabic  # the event's title falls back

    spanish = (
        in_language(app.test_client(), "es").get(f"/events/sym/sessions/{session_id}").get_data(as_text=True)
    )
    assert "Opening session" in spanish and "Séance" not in spanish


def test_localized_falls_back_to_the_original_for_a_missing_or_blank_translation():
    row = SimpleNamespace(title="Original", translations={"title": {"fr": "Traduit", "es": ""}})

    assert localized(row, "title", "fr") == "Traduit"
    assert localized(row, "title", "es") == "Original"
    assert localized(row, "title", "zh") == "Original"
    assert localized(SimpleNamespace(title="Original", translations=None), "title", "fr") == "Original"


@pytest.mark.parametrize(
    "value",
    [
        {"title": {"de": "Eröffnung"}},  # not one of the six languages
        {"title": {"fr-FR": "Ouverture"}},
        {"subtitle": {"fr": "x"}},  # not a translatable field
        {"title": {"fr": "x" * 301}},
        {"title": {"fr": 5}},
        {"title": ["fr", "x"]},
        "fr",
    ],
)
def test_check_translations_refuses_what_cannot_be_shown(value):
    with pytest.raises(ValueError):
        check_translations(value, {"title": 300, "description": 20_000})


def test_the_agenda_loads_translations_without_a_query_per_session(app, make_event):
    """The agenda of 50 translated sessions costs the same queries as that of 3 untranslated ones."""
    event = make_event("big")
    client = in_language(app.test_client(), "fr")

    def queries_for_agenda() -> int:
        with app.app_context():
            engine = _db.engine
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        sa_event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/events/big/agenda").status_code == 200
        finally:
            sa_event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    client.get("/events/big/agenda")  # warm caches that are not per page
    few = queries_for_agenda()
    with app.app_context():
        for n in range(47):
            start = event.starts_at + timedelta(hours=1, minutes=5 * n)
            _db.session.add(
                ProgrammeSession(
                    event_id=event.id,
                    title=f"Talk {n}",
                    kind="thematic",
                    starts_at=start,
                    ends_at=start + timedelta(minutes=5),
                    translations={"title": {"fr": f"Exposé {n}"}},
                )
            )
        _db.session.commit()
    many = queries_for_agenda()
    page = client.get("/events/big/agenda").get_data(as_text=True)
    assert page.count("Exposé") == 47
    assert many == few


def test_the_api_sets_translations_and_refuses_an_unknown_language(
    app, client, make_event, make_user, make_token
):
    make_event("sym")
    organiser = make_user("organiser")
    headers = {"Authorization": f"Bearer {make_token(organiser)}"}
    with app.app_context():
        ethics = _db.session.scalar(select(ProgrammeSession).where(ProgrammeSession.title == "AI Ethics")).id

    bad = client.patch(
        f"/api/v1/events/sym/sessions/{ethics}",
        json={"translations": {"title": {"xx": "?"}}},
        headers=headers,
    )
    assert bad.status_code == 400
    assert bad.json["error"]["code"] == "invalid_request"
    assert "translations" in bad.json["error"]["details"]["fields"]
    too_long = client.patch(
        "/api/v1/events/sym", json={"translations": {"title": {"fr": "x" * 301}}}, headers=headers
    )
    assert too_long.status_code == 400

    saved = client.patch(
        f"/api/v1/events/sym/sessions/{ethics}",
        json={"translations": {"title": {"zh": "人工智能伦理", "fr": "  "}}},
        headers=headers,
    )
    assert saved.status_code == 200, saved.json
    assert saved.json["translations"] == {"title": {"zh": "人工智能伦理"}}  # the blank one is dropped
    public = client.get("/api/v1/events/sym").json
    assert (
        next(s for s in public["sessions"] if s["id"] == ethics)["translations"]["title"]["zh"]
        == "人工智能伦理"
    )
    assert client.patch(
        "/api/v1/events/sym", json={"translations": {"title": {"ar": "ندوة"}}}, headers=headers
    ).json["translations"] == {"title": {"ar": "ندوة"}}

    chinese = in_language(app.test_client(), "zh").get("/events/sym/agenda").get_data(as_text=True)
    assert "人工智能伦理" in chinese


def test_the_session_form_edits_translations(app, make_event, make_user, logged_in_client):
    make_event("sym")
    organiser = make_user("organiser")
    client = logged_in_client(organiser)
    with app.app_context():
        ethics = _db.session.scalar(select(ProgrammeSession).where(ProgrammeSession.title == "AI Ethics"))
        url = f"/manage/events/sym/programme/sessions/{ethics.id}"
    form = client.get(url).get_data(as_text=True)
    assert 'name="tr-title-ar"' in form and 'name="tr-description-fr"' in form
    response = post_form(
        client,
        url,
        {
            "title": "AI Ethics",
            "kind": "thematic",
            "starts_at": "2030-05-06T11:00",
            "ends_at": "2030-05-06T12:00",
            "language": "en",
            "tr-title-ar": "أخلاقيات الذكاء الاصطناعي",
            "tr-description-ru": "Этика",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with app.app_context():
        saved = _db.session.get(ProgrammeSession, ethics.id)
        assert saved.translations == {
            "title": {"ar": "أخلاقيات الذكاء الاصطناعي"},
            "description": {"ru": "Этика"},
        }
    assert "أخلاقيات الذكاء الاصطناعي" in client.get(url).get_data(as_text=True)  # shown again to edit


def test_the_event_form_refuses_an_overlong_translation_beside_the_field(
    app, make_event, make_user, logged_in_client
):
    make_event("sym")
    client = logged_in_client(make_user("organiser"))
    page = client.get("/manage/events/sym/edit").get_data(as_text=True)
    assert 'name="tr-title-zh"' in page
    response = post_form(
        client,
        "/manage/events/sym/edit",
        {
            "title": "Symposium",
            "slug": "sym",
            "timezone": "Asia/Seoul",
            "starts_at": "2030-05-06T08:30",
            "ends_at": "2030-05-08T18:00",
            "modes_offered": "both",
            "languages": "en",
            "tr-title-fr": "x" * 301,
        },
    )
    assert response.status_code == 400
    assert "longer than 300" in response.get_data(as_text=True)
