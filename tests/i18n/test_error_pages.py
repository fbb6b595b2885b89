"""Error pages speak the viewer's language (issue 16): werkzeug's own errors (404, 405...), the pages
only staff may open, a void badge and the unexpected error; the JSON answers keep English and a code."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from conference.extensions import db
from conference.i18n.messages import BY_CODE
from conference.registrations.models import Registration
from conference.registrations.services import cancel_registration


def said(app, code: str, language: str) -> str:
    with app.test_request_context("/"), force_locale(language):
        return str(BY_CODE[code])


@pytest.mark.parametrize("language", ["ar", "fr", "zh"])
def test_a_missing_page_is_explained_in_the_viewers_language(app, client, language):
    response = client.get("/no/such/page", headers={"Accept-Language": language})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert said(app, "not_found", language) in page
    assert "The requested URL was not found" not in page  # werkzeug's English description


def test_the_api_keeps_its_english_message_and_code(client):
    response = client.get(
        "/api/v1/no/such/thing", headers={"Accept-Language": "ar", "Accept": "application/json"}
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert response.get_json()["error"]["message"].startswith("The requested URL was not found")


def test_a_wrong_method_is_explained_in_russian(app, client):
    response = client.get("/language", headers={"Accept-Language": "ru"})  # a form posts there
    assert response.status_code == 405
    assert said(app, "method_not_allowed", "ru") in response.get_data(as_text=True)


def test_a_participant_on_the_check_in_page_is_refused_in_spanish(
    app, make_event, make_user, make_registration, logged_in_client
):
    event = make_event("majlis")
    amina = make_user(name="Amina Haddad")
    make_registration(amina, event, "in_person")
    response = logged_in_client(amina).get("/events/majlis/checkin", headers={"Accept-Language": "es"})
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert said(app, "not_checkin_staff", "es") in page
    assert "check-in staff" not in page


def test_a_cancelled_registrations_badge_is_void_in_french(
    app, make_event, make_user, make_registration, logged_in_client
):
    event = make_event("majlis")
    amina = make_user(name="Amina Haddad")
    registration = make_registration(amina, event, "in_person")
    with app.app_context():
        cancel_registration(db.session, db.session.get(Registration, registration.id))
        db.session.commit()
    browser = logged_in_client(amina)
    response = browser.get(f"/badges/{registration.id}.svg", headers={"Accept-Language": "fr"})
    assert response.status_code == 410
    assert said(app, "badge_void", "fr") in response.get_data(as_text=True)
    answer = browser.get(f"/badges/{registration.id}.svg", headers={"Accept": "application/json"})
    assert answer.status_code == 410
    assert answer.get_json()["error"]["code"] == "badge_void"


def test_an_unexpected_error_gives_its_reference_in_arabic(app, client):
    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/test-broken", "test_broken", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/test-broken", headers={"Accept-Language": "ar"})
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "حدث خطأ من جهتنا" in page
    reference = response.headers.get("X-Request-ID")
    assert reference and reference in page
