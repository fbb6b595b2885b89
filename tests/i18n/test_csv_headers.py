"""CSV header rows in the organiser's language: English files keep the machine keys, other languages read
headings; `?headers=keys` gives the keys in any language; the participant import takes both back."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from conference.extensions import db as _db
from conference.registrations.models import Registration


def rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_participant_export_headers_follow_the_language_and_keys_stay_available(
    app, make_event, make_user, make_registration, logged_in_client
):
    event = make_event()
    make_registration(make_user(email="ama@example.org", name="Ama"), event)
    organiser = logged_in_client(make_user("organiser"))
    url = f"/manage/events/{event.slug}/participants.csv"
    english = rows(organiser.get(url))
    assert english[0][:7] == ["email", "name", "organisation", "country", "mode", "status", "registered_at"]
    arabic = rows(organiser.get(url, headers={"Accept-Language": "ar"}))
    assert arabic[0][:3] == ["البريد الإلكتروني", "الاسم", "المؤسسة"] and arabic[0][5] == "الحالة"
    assert arabic[1] == english[1]  # only the header row changes
    french = rows(organiser.get(url, headers={"Accept-Language": "fr"}))
    assert french[0][:2] == ["Adresse e-mail", "Nom"]
    keys = rows(organiser.get(url + "?headers=keys", headers={"Accept-Language": "ar"}))
    assert keys[0] == english[0]


def test_an_arabic_export_goes_back_in_through_the_import(
    app, tmp_path, make_event, make_user, make_registration, logged_in_client
):
    source = make_event()
    for n, country in enumerate(("SN", "EG")):
        make_registration(make_user(email=f"p{n}@example.org", name=f"Person {n}", country=country), source)
    organiser = logged_in_client(make_user("organiser"))
    exported = organiser.get(
        f"/manage/events/{source.slug}/participants.csv", headers={"Accept-Language": "ar"}
    ).get_data(as_text=True)
    assert not exported.startswith("email")
    target = make_event()
    path = tmp_path / "arabic.csv"
    path.write_text(exported, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-participants", str(path), target.slug])
    assert result.exit_code == 0, result.output
    with app.app_context():
        count = _db.session.scalar(
            select(func.count()).select_from(Registration).where(Registration.event_id == target.id)
        )
    assert count == 2


def test_headings_map_back_to_keys_in_every_language(app):
    from flask_babel import force_locale

    from conference.i18n.columns import HEADINGS, key_for_heading
    from conference.registrations.imports import IMPORT_COLUMNS

    with app.test_request_context():
        for language in ("en", "ar", "fr", "es", "ru", "zh"):
            with force_locale(language):
                for key in IMPORT_COLUMNS:
                    assert key_for_heading(f"  {HEADINGS[key]} ", IMPORT_COLUMNS) == key, (language, key)
        assert key_for_heading("EMAIL", IMPORT_COLUMNS) == "email"
        assert key_for_heading("favourite_colour", IMPORT_COLUMNS) == "favourite_colour"


def test_the_matchmaking_table_csv_reads_arabic_for_an_arabic_page(app, make_event, client):
    event = make_event()
    english = rows(client.get(f"/events/{event.slug}/matchmaking/table.csv"))
    assert english[0][:3] == ["practice_id", "practice", "thematic_area"]
    arabic = rows(
        client.get(f"/events/{event.slug}/matchmaking/table.csv", headers={"Accept-Language": "ar"})
    )
    assert arabic[0][:3] == ["معرّف الممارسة", "الممارسة", "المجال المواضيعي"]
