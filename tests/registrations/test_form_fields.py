"""The event's own registration questions: defining them, and answering them on the register page."""

from __future__ import annotations

import pytest
from conftest import post_form
from sqlalchemy import select

from conference.errors import Conflict
from conference.extensions import db
from conference.grants.services import grant
from conference.programme.models import Event
from conference.registrations import fields as form_fields
from conference.registrations.models import Registration
from conference.registrations.schemas import FieldDefinition


@pytest.fixture()
def organiser(app, make_user, make_event, logged_in_client):
    """(event, a client signed in as its organiser)."""
    event, user = make_event("symposium"), make_user()
    with app.app_context():
        grant(db.session, db.session.get(Event, event.id), db.session.merge(user), "organiser")
    return event, logged_in_client(user)


def add(app, event, **definition):
    with app.app_context():
        return form_fields.add_field(
            db.session, db.session.get(Event, event.id), FieldDefinition(**definition)
        ).id


def test_fields_in_order_presets_and_duplicate_keys(app, make_event):
    event = make_event()
    with app.app_context():
        e = db.session.get(Event, event.id)
        form_fields.add_preset(db.session, e, "gender")
        form_fields.add_field(db.session, e, FieldDefinition(label="Dietary needs", kind="text"))
        consent = form_fields.add_preset(db.session, e, "privacy_consent")
        assert [f.key for f in form_fields.fields_of(db.session, e)] == [
            "gender",
            "dietary_needs",
            "privacy_consent",
        ]
        assert consent.required and consent.notice.startswith("The organisers use your name")
        with pytest.raises(Conflict) as exc:
            form_fields.add_preset(db.session, e, "gender")
        assert exc.value.code == "duplicate_key"
        form_fields.move_field(db.session, consent, -1)
        form_fields.move_field(db.session, consent, -1)
        form_fields.move_field(db.session, consent, -1)  # already first: stays
        assert [f.key for f in form_fields.fields_of(db.session, e)] == [
            "privacy_consent",
            "gender",
            "dietary_needs",
        ]


def test_answers_are_checked_against_the_fields(app, make_event):
    event = make_event()
    add(app, event, label="Gender", kind="choice", choices=["Woman", "Man"], required=True)
    add(app, event, label="Topics", kind="multi", choices=["AI", "Data", "Cities"])
    add(app, event, label="Visa letter", kind="checkbox")
    add(app, event, label="Consent", kind="consent", notice="We keep your data.", required=True)
    with app.app_context():
        fields = form_fields.fields_of(db.session, event.id)
        with pytest.raises(form_fields.InvalidAnswers) as exc:
            form_fields.clean_answers(fields, {"gender": "Robot", "topics": ["AI", "Space"], "consent": ""})
        assert exc.value.problems == {
            "gender": "'Robot' is not one of the choices",
            "topics": "'Space' is not one of the choices",
            "consent": "You must agree to take part.",
        }
        answers = form_fields.clean_answers(
            fields, {"gender": "woman", "topics": ["Cities", "AI"], "visa_letter": "", "consent": "yes"}
        )
        assert answers == {
            "gender": "Woman",
            "topics": ["AI", "Cities"],
            "visa_letter": False,
            "consent": True,
        }


def test_register_page_shows_the_questions_checks_them_and_keeps_what_was_typed(
    app, client, login, make_user, make_event
):
    event = make_event("symposium")
    add(app, event, label="Gender", kind="choice", choices=["Woman", "Man"], required=True)
    add(app, event, label="Position", kind="text", required=True, help_text="As on your business card")
    add(
        app,
        event,
        label="Privacy",
        kind="consent",
        notice="We keep <b>your</b> data for a year.",
        required=True,
    )
    login(client, make_user())
    page = client.get("/events/symposium/register").get_data(as_text=True)
    assert "As on your business card" in page and "We keep &lt;b&gt;your&lt;/b&gt; data for a year." in page
    bad = post_form(
        client,
        "/events/symposium/register",
        {"mode": "online", "answer-gender": "Robot", "answer-position": "Director <of> AI"},
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "“Robot” is not one of the choices." in html and "You must agree to take part." in html
    assert 'value="Director &lt;of&gt; AI"' in html  # typed text kept (escaped)
    assert '<input checked id="mode-1" name="mode" required type="radio" value="online">' in html  # mode kept
    with app.app_context():
        assert db.session.scalar(select(Registration.id)) is None
    ok = post_form(
        client,
        "/events/symposium/register",
        {"mode": "online", "answer-gender": "Woman", "answer-position": "Director", "answer-privacy": "yes"},
    )
    assert ok.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Registration.answers)) == {
            "gender": "Woman",
            "position": "Director",
            "privacy": True,
        }
    # Coming back shows the answers given, and saving changes them.
    again = client.get("/events/symposium/register").get_data(as_text=True)
    assert 'value="Director"' in again and 'value="Woman" checked' in again
    post_form(
        client,
        "/events/symposium/register",
        {"mode": "online", "answer-gender": "Man", "answer-position": "Director", "answer-privacy": "yes"},
    )
    with app.app_context():
        assert db.session.scalar(select(Registration.answers))["gender"] == "Man"


def test_the_register_page_tells_about_the_waiting_list_and_approval(
    app, client, login, make_user, make_event
):
    event = make_event("symposium")
    with app.app_context():
        row = db.session.get(Event, event.id)
        row.in_person_capacity, row.modes_offered = 1, "both"
        db.session.commit()
    login(client, make_user())
    assert post_form(client, "/events/symposium/register", {"mode": "in_person"}).status_code == 303
    other = app.test_client()
    login(other, make_user())
    response = post_form(other, "/events/symposium/register", {"mode": "in_person"}, follow_redirects=True)
    assert "you are on the waiting list" in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(Event, event.id)
        row.modes_offered = "in_person"
        db.session.commit()
    third = app.test_client()
    login(third, make_user())
    refused = post_form(third, "/events/symposium/register", {"mode": "online"})
    assert refused.status_code == 400 and "This event takes part in person only." in refused.get_data(
        as_text=True
    )


def test_form_fields_page_adds_edits_and_refuses_bad_input(app, organiser):
    event, client = organiser
    url = "/manage/events/symposium/registration-form"
    assert client.get(url).status_code == 200
    bad = post_form(client, url, {"label": "Topics", "kind": "multi", "choices": "", "key": "Bad Key"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'value="Topics"' in html
    assert "use lower-case letters" in html
    with app.app_context():
        assert form_fields.fields_of(db.session, event.id) == []
    assert (
        post_form(client, url, {"label": "Topics", "kind": "multi", "choices": "AI\nData\n"}).status_code
        == 303
    )
    assert post_form(client, f"{url}/presets", {"preset": "gender"}).status_code == 303
    duplicate = post_form(client, url, {"label": "Gender again", "key": "gender", "kind": "text"})
    assert duplicate.status_code == 400 and "already has a field with the key" in duplicate.get_data(
        as_text=True
    )
    with app.app_context():
        topics, gender = form_fields.fields_of(db.session, event.id)
    edited = post_form(
        client,
        f"{url}/{topics.id}",
        {
            "label": "Topics of interest",
            "key": "topics",
            "kind": "multi",
            "choices": "AI\nData\nCities",
            "required": "on",
        },
    )
    assert edited.status_code == 303
    assert post_form(client, f"{url}/{gender.id}/move", {"direction": "up"}).status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert page.index("Gender") < page.index("Topics of interest") and "AI · Data · Cities" in page
    assert post_form(client, f"{url}/{topics.id}/remove", {}).status_code == 303
    with app.app_context():
        assert [f.key for f in form_fields.fields_of(db.session, event.id)] == ["gender"]


def test_the_register_page_offers_only_the_event_modes_and_says_when_registration_is_closed(
    app, client, login, make_user, make_event
):
    from datetime import timedelta

    from conference.db_types import utcnow

    event = make_event("symposium")
    with app.app_context():
        row = db.session.get(Event, event.id)
        row.modes_offered, row.registration_closes_at = "online", utcnow() - timedelta(hours=1)
        db.session.commit()
    login(client, make_user())
    page = client.get("/events/symposium/register").get_data(as_text=True)
    assert 'value="online"' in page and 'value="in_person"' not in page
    assert "Registration for this event is closed." in page
    refused = post_form(client, "/events/symposium/register", {"mode": "online"})
    assert refused.status_code == 400 and (
        '<div id="mode-help"><p class="error" role="alert">Registration for this event is closed.</p>'
        in refused.get_data(as_text=True)
    )
