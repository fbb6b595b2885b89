"""Schedule files on the web: who may upload (page and API), the preview-then-apply page, the CLI."""

from __future__ import annotations

import copy
import io
import json
import re
from datetime import UTC, datetime

import pytest
from conftest import csrf_token, post_form
from sqlalchemy import func, select

from conference.extensions import db as _db
from conference.grants.services import grant
from conference.programme.models import Event, ProgrammeSession

from .test_schedule_file import BERLIN_FILE


@pytest.fixture()
def events(app):
    """Two Berlin events and the people around them: organisers of each, an attendee, an admin."""
    with app.app_context():
        for slug in ("democon", "othercon"):
            _db.session.add(
                Event(
                    slug=slug,
                    title=slug.title(),
                    timezone="Europe/Berlin",
                    starts_at=datetime(2030, 3, 30, 7, 0, tzinfo=UTC),
                    ends_at=datetime(2030, 3, 31, 20, 0, tzinfo=UTC),
                )
            )
        _db.session.commit()


@pytest.fixture()
def people(app, events, make_user):
    organiser, other_organiser = make_user(), make_user()
    with app.app_context():
        session = _db.session
        grant(
            session,
            session.scalar(select(Event).where(Event.slug == "democon")),
            session.merge(organiser),
            "organiser",
        )
        grant(
            session,
            session.scalar(select(Event).where(Event.slug == "othercon")),
            session.merge(other_organiser),
            "organiser",
        )
    return {
        "organiser": organiser,
        "other_organiser": other_organiser,
        "attendee": make_user(),
        "admin": make_user("admin"),
    }


def session_count(app, slug: str = "democon") -> int:
    with app.app_context():
        return _db.session.scalar(
            select(func.count(ProgrammeSession.id)).join(Event).where(Event.slug == slug)
        )


def file_bytes(data: dict = BERLIN_FILE) -> bytes:
    return json.dumps(data).encode()


PAGE = "/manage/events/democon/programme-file"


@pytest.mark.parametrize(
    ("who", "status"), [("organiser", 200), ("admin", 200), ("other_organiser", 403), ("attendee", 403)]
)
def test_only_this_events_organisers_and_admins_open_the_upload_page(
    app, people, logged_in_client, who, status
):
    client = logged_in_client(people[who])
    assert client.get(PAGE).status_code == status
    assert client.get(f"{PAGE}/schedule.json").status_code == status
    upload = post_form(
        client,
        PAGE,
        {"file": (io.BytesIO(file_bytes()), "schedule.json"), "action": "apply"},
        content_type="multipart/form-data",
    )
    assert upload.status_code == (200 if status == 200 else 403)
    assert session_count(app) == (3 if status == 200 else 0)


def test_the_anonymous_are_sent_to_sign_in(app, people, client):
    page = client.get(PAGE)
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    upload = post_form(
        client,
        PAGE,
        {"file": (io.BytesIO(file_bytes()), "schedule.json")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302 and session_count(app) == 0


def test_the_programme_page_tab_is_there_for_organisers(people, logged_in_client):
    page = logged_in_client(people["organiser"]).get(PAGE).get_data(as_text=True)
    assert 'aria-current="page">Programme file</a>' in page
    assert 'href="/manage/events/democon/programme-file/schedule.json"' in page


def test_upload_shows_a_preview_first_and_applies_it_on_confirmation(app, people, logged_in_client):
    client = logged_in_client(people["organiser"])
    preview = post_form(
        client,
        PAGE,
        {"file": (io.BytesIO(file_bytes()), "schedule.json"), "action": "preview"},
        content_type="multipart/form-data",
    )
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Preview: nothing written yet" in page
    assert re.search(r"<th scope=\"row\">Sessions</th><td>3</td><td>0</td><td>0</td>", page)
    assert session_count(app) == 0
    preview_id = re.search(r'name="preview" value="([0-9a-f]{64})"', page).group(1)

    applied = post_form(client, PAGE, {"preview": preview_id, "action": "apply"})
    page = applied.get_data(as_text=True)
    assert applied.status_code == 200 and "Imported" in page and 'name="preview"' not in page
    assert re.search(r"<th scope=\"row\">Sessions</th><td>3</td><td>0</td><td>0</td>", page)
    assert session_count(app) == 3
    # An applied preview is gone: sending it again asks for the file.
    stale = post_form(client, PAGE, {"preview": preview_id, "action": "apply"})
    assert stale.status_code == 400 and "Upload the file again" in stale.get_data(as_text=True)

    again = post_form(
        client,
        PAGE,
        {"file": (io.BytesIO(file_bytes()), "schedule.json"), "action": "apply"},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert re.search(r"<th scope=\"row\">Sessions</th><td>0</td><td>0</td><td>3</td>", again)
    assert session_count(app) == 3


def test_a_large_file_goes_from_preview_to_apply(app, people, logged_in_client):
    big = copy.deepcopy(BERLIN_FILE)
    big["schedule"]["conference"]["days"][0]["rooms"]["Saal 1"][0]["description"] = "word " * 200_000  # 1 MB
    client = logged_in_client(people["organiser"])
    preview = post_form(
        client,
        PAGE,
        {"file": (io.BytesIO(file_bytes(big)), "schedule.json"), "action": "preview"},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200 and session_count(app) == 0
    preview_id = re.search(r'name="preview" value="([0-9a-f]{64})"', preview.get_data(as_text=True)).group(1)
    assert post_form(client, PAGE, {"preview": preview_id, "action": "apply"}).status_code == 200
    assert session_count(app) == 3


def test_a_preview_belongs_to_its_event(app, people, logged_in_client):
    client = logged_in_client(people["admin"])
    preview = post_form(
        client,
        PAGE,
        {"file": (io.BytesIO(file_bytes()), "schedule.json"), "action": "preview"},
        content_type="multipart/form-data",
    )
    preview_id = re.search(r'name="preview" value="([0-9a-f]{64})"', preview.get_data(as_text=True)).group(1)
    elsewhere = post_form(
        client, "/manage/events/othercon/programme-file", {"preview": preview_id, "action": "apply"}
    )
    assert elsewhere.status_code == 400 and session_count(app, "othercon") == 0
    forged = post_form(client, PAGE, {"preview": "../../etc/passwd", "action": "apply"})
    assert forged.status_code == 400 and session_count(app) == 0


def test_a_bad_upload_lists_each_problem_with_its_path_and_writes_nothing(app, people, logged_in_client):
    client = logged_in_client(people["organiser"])
    bad = copy.deepcopy(BERLIN_FILE)
    talks = bad["schedule"]["conference"]["days"][0]["rooms"]["Saal 1"]
    talks[0]["date"] = "2031-01-01T10:00:00+01:00"
    talks[1]["title"] = "<script>alert(1)</script>"
    talks[1]["duration"] = "0:00"
    response = post_form(
        client,
        PAGE,
        {"file": (io.BytesIO(file_bytes(bad)), "schedule.json"), "action": "apply"},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "The file was refused: nothing was imported" in page
    assert "<code>days[0].rooms.Saal 1[0].date</code>" in page and "outside the event" in page
    assert "<code>days[0].rooms.Saal 1[1].duration</code>" in page
    assert "<script>alert(1)</script>" not in page
    assert session_count(app) == 0

    not_json = post_form(
        client, PAGE, {"file": (io.BytesIO(b"{oops"), "schedule.json")}, content_type="multipart/form-data"
    )
    assert not_json.status_code == 400 and "not valid JSON" in not_json.get_data(as_text=True)
    nothing = post_form(client, PAGE, {"action": "preview"})
    assert nothing.status_code == 400 and "Choose a schedule.json file" in nothing.get_data(as_text=True)


def test_an_upload_without_the_csrf_token_is_refused(app, people, logged_in_client):
    client = logged_in_client(people["organiser"])
    response = client.post(
        PAGE,
        data={"file": (io.BytesIO(file_bytes()), "schedule.json"), "action": "apply"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and session_count(app) == 0


API = "/api/v1/events/democon/schedule"


def _post(client, token: str | None, body: bytes, query: str = ""):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(API + query, data=body, headers=headers, content_type="application/json")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 400),
        ("forged", 401),
        ("attendee", 403),
        ("other_organiser", 403),
        ("organiser", 200),
        ("admin", 200),
    ],
)
def test_the_import_api_answers_only_this_events_organisers(app, client, people, make_token, who, status):
    # Without any token the request is a cookie request, and a cookie POST needs its CSRF token first.
    token = make_token(people[who]) if who in people else {None: None, "forged": "not-a-real-token"}[who]
    response = _post(client, token, file_bytes())
    assert response.status_code == status
    if status == 200:
        assert response.get_json()["sessions"] == {"created": 3, "updated": 0, "unchanged": 0}
        assert response.get_json()["applied"] is True
    else:
        assert (
            response.get_json()["error"]["code"]
            == {400: "csrf_failed", 401: "unauthorized", 403: "forbidden"}[status]
        )
    assert session_count(app) == (3 if status == 200 else 0)


def test_the_import_api_has_a_dry_run_and_refuses_bad_files_with_paths(app, client, people, make_token):
    token = make_token(people["organiser"])
    dry = _post(client, token, file_bytes(), "?dry_run=1")
    assert dry.status_code == 200 and dry.get_json()["applied"] is False
    assert dry.get_json()["sessions"]["created"] == 3 and session_count(app) == 0

    bad = copy.deepcopy(BERLIN_FILE)
    bad["schedule"]["conference"]["time_zone_name"] = "Mars/Olympus"
    refused = _post(client, token, file_bytes(bad))
    error = refused.get_json()["error"]
    assert refused.status_code == 422 and error["code"] == "invalid_schedule"
    assert error["details"]["errors"][0]["path"] == "time_zone_name"
    broken = _post(client, token, b"[not json")
    assert broken.status_code == 400 and broken.get_json()["error"]["code"] == "invalid_json"
    assert session_count(app) == 0


def test_a_cookie_api_post_needs_the_csrf_token(app, people, logged_in_client):
    client = logged_in_client(people["organiser"])
    assert client.post(API, data=file_bytes(), content_type="application/json").status_code == 400
    ok = client.post(
        API, data=file_bytes(), content_type="application/json", headers={"X-CSRFToken": csrf_token(client)}
    )
    assert ok.status_code == 200 and session_count(app) == 3


def test_the_public_file_and_the_api_copy(app, client, people, make_token):
    _post(client, make_token(people["organiser"]), file_bytes())
    with app.app_context():
        talk = _db.session.scalar(
            select(ProgrammeSession).where(ProgrammeSession.title == "Focused hardware")
        )
        talk.stream_url = "https://stream.example/secret"
        _db.session.commit()
    public = client.get("/events/democon/schedule.json")
    assert public.status_code == 200 and public.is_json
    conference = public.get_json()["schedule"]["conference"]
    assert conference["time_zone_name"] == "Europe/Berlin"
    assert b"stream.example" not in public.data
    assert client.get("/api/v1/events/democon/schedule.json").get_json() == public.get_json()
    organiser_copy = client.get(
        "/api/v1/events/democon/schedule.json",
        headers={"Authorization": f"Bearer {make_token(people['organiser'])}"},
    )
    assert b"https://stream.example/secret" in organiser_copy.data
    assert client.get("/api/v1/events/nope/schedule.json").status_code == 404


def test_a_draft_events_file_is_for_its_organisers_only(app, client, people, make_token):
    with app.app_context():
        _db.session.scalar(select(Event).where(Event.slug == "democon")).published = False
        _db.session.commit()
    assert client.get("/api/v1/events/democon/schedule.json").status_code == 404
    other = make_token(people["other_organiser"])
    assert (
        client.get(
            "/api/v1/events/democon/schedule.json", headers={"Authorization": f"Bearer {other}"}
        ).status_code
        == 404
    )
    mine = make_token(people["organiser"])
    assert (
        client.get(
            "/api/v1/events/democon/schedule.json", headers={"Authorization": f"Bearer {mine}"}
        ).status_code
        == 200
    )


def test_the_commands_import_and_export_a_programme(app, events, runner, tmp_path):
    path = tmp_path / "schedule.json"
    path.write_bytes(file_bytes())
    dry = runner.invoke(args=["import-programme", "--dry-run", str(path), "democon"])
    assert dry.exit_code == 0 and "would import sessions: 3 created" in dry.output and session_count(app) == 0
    done = runner.invoke(args=["import-programme", str(path), "democon"])
    assert done.exit_code == 0 and "imported sessions: 3 created, 0 updated, 0 unchanged" in done.output
    again = runner.invoke(args=["import-programme", str(path), "democon"])
    assert "imported sessions: 0 created, 0 updated, 3 unchanged" in again.output

    out = tmp_path / "out.json"
    exported = runner.invoke(
        args=["export-programme", "democon", str(out), "--base-url", "https://x.example/e/"]
    )
    assert exported.exit_code == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    titles = {
        t["title"]
        for d in written["schedule"]["conference"]["days"]
        for ts in d["rooms"].values()
        for t in ts
    }
    assert titles == {"Focused hardware", "Night across the clock change", "Summer time talk"}
    into_other = runner.invoke(args=["import-programme", str(out), "othercon"])
    assert into_other.exit_code == 0 and session_count(app, "othercon") == 3

    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"schedule": {"conference": {"days": [{"date": "2030-03-30", "rooms": {"Saal 1": '
        '[{"guid": "g", "start": "10:00", "duration": "00:00", "title": "T"}]}}]}}}'
    )
    refused = runner.invoke(args=["import-programme", str(bad), "democon"])
    assert refused.exit_code == 1 and "days[0].rooms.Saal 1[0].duration" in refused.output
    missing = runner.invoke(args=["import-programme", str(path), "no-such-event"])
    assert missing.exit_code == 1 and "no event" in missing.output


def test_the_preview_says_which_sessions_the_file_leaves_alone(app, people, logged_in_client):
    with app.app_context():
        event = _db.session.scalar(select(Event).where(Event.slug == "democon"))
        _db.session.add(
            ProgrammeSession(
                event_id=event.id,
                title="Organisers' welcome",
                kind="plenary",
                starts_at=datetime(2030, 3, 30, 7, 0, tzinfo=UTC),
                ends_at=datetime(2030, 3, 30, 7, 30, tzinfo=UTC),
            )
        )
        _db.session.commit()
    client = logged_in_client(people["organiser"])
    preview = post_form(
        client,
        PAGE,
        {"file": (io.BytesIO(file_bytes()), "schedule.json"), "action": "preview"},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "1 session of this event is not in the file and stays as it is." in " ".join(preview.split())
