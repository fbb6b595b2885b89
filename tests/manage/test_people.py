"""The people of an event in its back-office: who may see and change them, and every action over HTTP."""

from __future__ import annotations

import pytest
from conftest import post_form
from sqlalchemy import func, select

from conference.accounts.models import User
from conference.extensions import db
from conference.grants.services import grant
from conference.mail.models import OutboxMessage
from conference.programme.models import Event
from conference.registrations import services
from conference.registrations.models import Registration, RegistrationField

BASE = "/manage/events/symposium"


@pytest.fixture()
def people(app, make_user, make_event):
    """The event "symposium", another event, and one person per role (with signed-in clients by name)."""
    event, other = make_event("symposium"), make_event("other")
    users = {
        "admin": make_user("admin"),
        "organiser": make_user(),
        "other_organiser": make_user(),
        "moderator": make_user(),
        "staff": make_user(),
        "attendee": make_user(),
    }
    with app.app_context():
        e, o = db.session.get(Event, event.id), db.session.get(Event, other.id)
        grant(db.session, e, db.session.merge(users["organiser"]), "organiser")
        grant(db.session, o, db.session.merge(users["other_organiser"]), "organiser")
        grant(db.session, e, db.session.merge(users["moderator"]), "moderator")
        grant(db.session, e, db.session.merge(users["staff"]), "staff")
        db.session.add(
            RegistrationField(
                event_id=event.id,
                key="gender",
                label="Gender",
                kind="choice",
                choices=["Woman", "Man"],
                position=0,
            )
        )
        db.session.commit()
        services.register(db.session, db.session.merge(users["attendee"]), e, "online", {"gender": "Woman"})
    return event, users


def client_for(app, login, users, who):
    client = app.test_client()
    if who != "anonymous":
        login(client, users[who])
    return client


SEE = {
    "admin": 200,
    "organiser": 200,
    "moderator": 200,
    "staff": 200,
    "other_organiser": 403,
    "attendee": 403,
}
MANAGE = {
    "admin": 200,
    "organiser": 200,
    "moderator": 403,
    "staff": 403,
    "other_organiser": 403,
    "attendee": 403,
}


@pytest.mark.parametrize("who", [*SEE, "anonymous"])
def test_who_may_see_the_people_and_who_may_change_them(app, login, people, who):
    client = client_for(app, login, people[1], who)
    pages = {
        "participants": SEE,
        "participants.csv": SEE,
        "registration-form": MANAGE,
        "participants/upload": MANAGE,
    }
    for path, table in pages.items():
        response = client.get(f"{BASE}/{path}")
        if who == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"], path
        else:
            assert response.status_code == table[who], (path, who)
    if who in SEE and SEE[who] == 200:
        page = client.get(f"{BASE}/participants").get_data(as_text=True)
        assert ("Add a participant" in page) == (MANAGE[who] == 200)
        assert ("Upload a CSV list" in page) == (MANAGE[who] == 200)
    # Every change is refused to those who may not manage, and nothing changes.
    with app.app_context():
        registration_id = db.session.scalar(select(Registration.id))
    posts = {
        "participants/add": {"email": "new@example.org", "name": "New", "mode": "online"},
        f"participants/{registration_id}/cancel": {},
        f"participants/{registration_id}/mode": {"mode": "in_person"},
        "registration-form": {"label": "Position", "kind": "text"},
        "registration-form/presets": {"preset": "title"},
    }
    if who in ("anonymous", "moderator", "staff", "other_organiser", "attendee"):
        for path, data in posts.items():
            response = post_form(client, f"{BASE}/{path}", data)
            assert response.status_code == (302 if who == "anonymous" else 403), (path, who)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Registration)) == 1
            assert db.session.scalar(select(Registration.status)) == "confirmed"
            assert db.session.scalar(select(func.count()).select_from(RegistrationField)) == 1


def test_a_post_without_csrf_is_refused(app, login, people):
    client = client_for(app, login, people[1], "organiser")
    response = client.post(
        f"{BASE}/participants/add", data={"email": "x@example.org", "name": "X", "mode": "online"}
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "x@example.org")) is None


def test_add_one_creates_the_account_and_keeps_what_was_typed_on_errors(app, login, people):
    client = client_for(app, login, people[1], "organiser")
    bad = post_form(
        client,
        f"{BASE}/participants/add",
        {"email": "not-an-email", "name": "Zara <b>Q</b>", "country": "ZZ"},
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert (
        "&#39;not-an-email&#39; is not a valid e-mail address" in html and "This field is required." in html
    )
    assert 'value="Zara &lt;b&gt;Q&lt;/b&gt;"' in html
    wrong_answer = post_form(
        client,
        f"{BASE}/participants/add",
        {"email": "zara@example.org", "name": "Zara Q", "mode": "online", "answer-gender": "Robot"},
    )
    assert wrong_answer.status_code == 400
    assert "&#39;Robot&#39; is not one of the choices" in wrong_answer.get_data(as_text=True)
    ok = post_form(
        client,
        f"{BASE}/participants/add",
        {
            "email": "Zara@Example.org",
            "name": "Zara Q",
            "organisation": "UNDP",
            "country": "KE",
            "mode": "in_person",
            "invitations": "later",
            "answer-gender": "woman",
        },
        follow_redirects=True,
    )
    assert "Added Zara Q (a new account), confirmed." in ok.get_data(as_text=True)
    again = post_form(
        client, f"{BASE}/participants/add", {"email": "zara@example.org", "name": "Zara Q", "mode": "online"}
    )
    assert again.status_code == 409 and "already registered" in again.get_data(as_text=True)
    now = post_form(
        client,
        f"{BASE}/participants/add",
        {"email": "yusuf@example.org", "name": "Yusuf N", "mode": "online", "invitations": "now"},
    )
    assert now.status_code == 303
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "zara@example.org"))
        assert (user.name, user.organisation, user.country, user.password_hash) == (
            "Zara Q",
            "UNDP",
            "KE",
            None,
        )
        assert db.session.scalar(select(Registration.answers).where(Registration.user_id == user.id)) == {
            "gender": "Woman"
        }
        # "later" sends nothing (not even a confirmation: organisers decide when people hear of it);
        # "now" queues the invitation with the registration.
        mail = db.session.execute(
            select(OutboxMessage.to_address, OutboxMessage.kind).where(
                OutboxMessage.to_address.in_(["zara@example.org", "yusuf@example.org"])
            )
        ).all()
        assert [tuple(m) for m in mail] == [("yusuf@example.org", "invitation")]


def test_approve_decline_change_mode_and_cancel(app, login, people, make_user):
    event, users = people
    with app.app_context():
        e = db.session.get(Event, event.id)
        e.requires_approval, e.in_person_capacity = True, 1
        db.session.commit()
        ids = {}
        for name in ("Ada", "Ben", "Cai"):
            user = make_user(name=name)
            ids[name] = services.register(
                db.session, db.session.merge(user), db.session.get(Event, event.id), "in_person"
            ).id
    client = client_for(app, login, users, "organiser")
    pending = client.get(f"{BASE}/participants?status=pending").get_data(as_text=True)
    assert (
        "3 registrations found" in pending and 'Approve<span class="visually-hidden"> Ada</span>' in pending
    )

    def status(name):
        with app.app_context():
            return db.session.get(Registration, ids[name]).status

    post_form(client, f"{BASE}/participants/{ids['Ada']}/approve", {})
    post_form(client, f"{BASE}/participants/{ids['Ben']}/approve", {})
    post_form(client, f"{BASE}/participants/{ids['Cai']}/decline", {})
    assert (status("Ada"), status("Ben"), status("Cai")) == ("confirmed", "waitlisted", "declined")
    refused = post_form(client, f"{BASE}/participants/{ids['Cai']}/approve", {}, follow_redirects=True)
    assert "Only a pending registration can be approved" in refused.get_data(as_text=True)
    # Ada moves online: her place goes to Ben, who waited.
    post_form(client, f"{BASE}/participants/{ids['Ada']}/mode", {"mode": "online"})
    assert status("Ben") == "confirmed"
    cancelled = post_form(
        client,
        f"{BASE}/participants/{ids['Ada']}/cancel",
        {"back": f"{BASE}/participants?status=confirmed&page=2"},
    )
    assert status("Ada") == "cancelled"
    assert cancelled.headers["Location"].endswith(f"{BASE}/participants?status=confirmed&page=2")
    elsewhere = post_form(
        client, f"{BASE}/participants/{ids['Ada']}/cancel", {"back": "https://evil.example/"}
    )
    assert elsewhere.headers["Location"].endswith(f"{BASE}/participants")
    # Another event's registration id is not reachable through this event.
    with app.app_context():
        other_event_reg = services.register(
            db.session,
            db.session.merge(make_user()),
            db.session.scalar(select(Event).where(Event.slug == "other")),
            "online",
        ).id
    assert post_form(client, f"{BASE}/participants/{other_event_reg}/cancel", {}).status_code == 404


def test_search_filters_and_pages(app, login, people):
    event, users = people
    csv_rows = "\n".join(
        f"p{n:03}@example.org,Person {n:03},{'Ministry' if n % 2 else 'City'},"
        f"{'KR' if n % 3 else 'FR'},{'online' if n % 4 else 'in_person'},{'Man' if n % 5 else ''}"
        for n in range(120)
    )
    from conference.registrations.imports import apply_import

    with app.app_context():
        apply_import(
            db.session,
            db.session.get(Event, event.id),
            "email,name,organisation,country,mode,gender\n" + csv_rows + "\n",
        )
    client = client_for(app, login, users, "staff")
    first = client.get(f"{BASE}/participants").get_data(as_text=True)
    assert (
        "121 registrations found, page 1 of 3." in first
        and "Person 000" in first
        and "Person 050" not in first
    )
    third = client.get(f"{BASE}/participants?page=3").get_data(as_text=True)
    assert "Person 119" in third and 'rel="prev"' in third and 'rel="next"' not in third
    assert "page 3 of 3" in client.get(f"{BASE}/participants?page=99").get_data(as_text=True)
    assert "1 registration found" in client.get(f"{BASE}/participants?q=p007@").get_data(as_text=True)
    # 60 in Ministry (odd numbers); of those, in person (n % 4 == 0) none; online all 60.
    assert "60 registrations found" in client.get(f"{BASE}/participants?q=ministry&mode=online").get_data(
        as_text=True
    )
    assert "40 registrations found" in client.get(f"{BASE}/participants?country=FR").get_data(as_text=True)
    men = client.get(f"{BASE}/participants?answer=gender%3DMan").get_data(as_text=True)
    assert "96 registrations found" in men
    women = client.get(f"{BASE}/participants?answer=gender%3DWoman").get_data(as_text=True)
    assert "1 registration found" in women and users["attendee"].name in women
    assert "0 registrations found" in client.get(f"{BASE}/participants?status=declined").get_data(
        as_text=True
    )


def test_export_has_the_answers_and_neutralises_formulas(app, login, people, make_user):
    event, users = people
    with app.app_context():
        sneaky = make_user(name='=HYPERLINK("http://evil")', organisation="@SUM(A1)")
        services.register(
            db.session,
            db.session.merge(sneaky),
            db.session.get(Event, event.id),
            "in_person",
            {"gender": "Man"},
        )
    response = client_for(app, login, users, "moderator").get(f"{BASE}/participants.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="symposium-participants.csv"'
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "email,name,organisation,country,mode,status,registered_at,gender"
    attendee = next(line for line in lines if line.startswith(users["attendee"].email))
    assert attendee.endswith(",online,confirmed," + attendee.split(",")[6] + ",Woman")
    sneaky_line = next(line for line in lines if "HYPERLINK" in line)
    assert '"\'=HYPERLINK(""http://evil"")"' in sneaky_line and ",'@SUM(A1)," in sneaky_line


def test_upload_with_a_bad_row_writes_nothing_then_the_fixed_file_is_imported(app, login, people):
    users = people[1]
    client = client_for(app, login, users, "organiser")
    bad = (
        "email,name,organisation,country,mode,gender\n"
        "ana@example.org,Ana Silva,City Hall,BR,in_person,Woman\n"
        "bo@example.org,Bo Chen,Ministry,CN,hybrid,Man\n"
        "cy@example.org,Cy Diallo,NGO,SN,online,\n"
    )
    from io import BytesIO

    def upload(text):
        return post_form(
            client,
            f"{BASE}/participants/upload",
            {"file": (BytesIO(text.encode()), "people.csv")},
            content_type="multipart/form-data",
        )

    response = upload(bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "1 problem in the file: nothing was imported" in html
    assert "line 3: mode must be in_person or online, not &#39;hybrid&#39;" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 1
    preview = upload(bad.replace("hybrid", "online"))
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Preview: nothing is written until you confirm" in html
    assert "<li>3 new accounts, each registered</li>" in html and "Import 3 rows" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 1  # still nothing written
    import re

    digest = re.search(r'name="preview_digest" value="([0-9a-f]+)"', html).group(1)
    csv_text = re.search(
        r'<textarea name="csv_text" hidden aria-hidden="true">(.*?)</textarea>', html, re.DOTALL
    ).group(1)
    assert csv_text == bad.replace("hybrid", "online")  # nothing in the file needed escaping
    done = post_form(
        client,
        f"{BASE}/participants/upload/confirm",
        {"csv_text": csv_text, "preview_digest": digest, "invitations": "none"},
        follow_redirects=True,
    )
    page = done.get_data(as_text=True)
    assert "Imported 3 rows: 3 new accounts, 3 new registrations, 0 changed, 0 on the waiting list." in page
    assert all(name in page for name in ("Ana Silva", "Bo Chen", "Cy Diallo"))
    with app.app_context():
        answers = dict(db.session.execute(select(User.email, Registration.answers).join(User)).all())
        assert answers["ana@example.org"] == {"gender": "Woman"} and answers["cy@example.org"] == {}


def test_upload_refuses_a_file_that_is_not_utf8_text(app, login, people):
    from io import BytesIO

    client = client_for(app, login, people[1], "organiser")
    response = post_form(
        client,
        f"{BASE}/participants/upload",
        {"file": (BytesIO("email\nå".encode("latin-1")), "people.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "The file is not UTF-8 text" in response.get_data(as_text=True)
    nothing = post_form(client, f"{BASE}/participants/upload", {}, content_type="multipart/form-data")
    assert nothing.status_code == 400 and "Choose a file to upload." in nothing.get_data(as_text=True)
