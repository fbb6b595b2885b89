"""The staff scanner in Chromium: a badge shown to the (fake) camera turns the screen green, the same
badge again red; offline, a typed badge is decided on the device, queued in IndexedDB, survives a
reload and syncs when the network is back."""

from __future__ import annotations

import io
from pathlib import Path

from browser_support import launched_browser, served, sign_in_page
from checkin_support import attendee_badge, venue  # noqa: F401 - fixtures
from PIL import Image
from sqlalchemy import select

from conference.checkin.badges import badge_png, badge_token
from conference.checkin.lists import get_list
from conference.checkin.models import ScanRecord
from conference.checkin.stats import list_stats
from conference.extensions import db as _db
from conference.programme.models import Event
from conference.registrations.models import Registration

FRAME = (640, 480)


def write_y4m(png: bytes, path: Path, frames: int = 2) -> Path:
    """A still video of the badge for Chromium's fake camera (YUV 4:2:0: grey luma, neutral chroma)."""
    badge = Image.open(io.BytesIO(png)).convert("L")
    badge.thumbnail((440, 440), Image.NEAREST)
    frame = Image.new("L", FRAME, 255)
    frame.paste(badge, ((FRAME[0] - badge.width) // 2, (FRAME[1] - badge.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * ((FRAME[0] // 2) * (FRAME[1] // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{FRAME[0]} H{FRAME[1]} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)
    return path


def _badge(app, venue, attendee_badge, name):
    registration_id, code = attendee_badge(venue, name=name)
    with app.app_context():
        registration = _db.session.get(Registration, registration_id)
        return registration_id, code, badge_png(badge_token(_db.session, registration))


def test_camera_green_then_red_and_offline_queue_survives_reload(app, venue, attendee_badge, tmp_path):
    _first_id, _first_code, png = _badge(app, venue, attendee_badge, "Camera Carla")
    second_id, second_code, _png = _badge(app, venue, attendee_badge, "Offline Omar")
    video = write_y4m(png, tmp_path / "badge.y4m")
    with app.app_context():
        slug = _db.session.get(Event, venue.event_id).slug
    fake_camera = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with served(app) as base, launched_browser(fake_camera) as browser:
        context = browser.new_context()
        context.grant_permissions(["camera"], origin=base)
        page = context.new_page()
        sign_in_page(page, base, venue.staff)

        page.goto(f"{base}/events/{slug}/checkin?camera=1")
        page.wait_for_selector("#scanner[data-ready='1']")
        assert page.input_value("#list-select") == str(venue.entrance_id)
        green = page.wait_for_selector("#result.ok[data-result='ok']:not([hidden])", timeout=20000)
        assert "Camera Carla" in green.inner_text() and "Welcome" in green.inner_text()
        assert page.is_visible("#result-undo")  # a mistaken check-in can be undone at once
        red = page.wait_for_selector(
            "#result.bad[data-result='already_checked_in']:not([hidden])", timeout=20000
        )
        assert "Camera Carla" in red.inner_text() and "First checked in" in red.inner_text()
        assert not page.is_visible("#result-undo")
        page.click("#result")
        page.goto(f"{base}/events/{slug}/checkin")  # without the camera: the rest is typed
        page.wait_for_selector("#scanner[data-ready='1']")

        # The network goes down (the API is unreachable): the page says so and decides on the device.
        context.route("**/api/v1/checkin/**", lambda route: route.abort())
        page.fill("#code", second_code)
        page.press("#code", "Enter")
        offline = page.wait_for_selector("#result.ok:not([hidden])")
        assert "(offline)" in offline.inner_text() and "Offline Omar" in offline.inner_text()
        assert page.get_attribute("body", "data-network") == "offline"
        assert "Offline mode" in page.inner_text("#network-banner")
        assert page.inner_text("#queue-count") == "1"

        page.reload()
        page.wait_for_selector("#scanner[data-ready='1']")
        assert page.inner_text("#queue-count") == "1"  # still queued after the reload
        page.fill("#code", second_code)  # the same badge again, still offline: the device remembers
        page.press("#code", "Enter")
        again = page.wait_for_selector("#result.bad[data-result='already_checked_in']:not([hidden])")
        assert "(offline)" in again.inner_text()
        assert page.inner_text("#queue-count") == "2"
        with app.app_context():
            assert (
                _db.session.scalar(select(ScanRecord).where(ScanRecord.registration_id == second_id)) is None
            )

        context.unroute("**/api/v1/checkin/**")
        page.wait_for_function("document.getElementById('queue-count').textContent === '0'", timeout=20000)
        context.close()
    with app.app_context():
        records = _db.session.scalars(
            select(ScanRecord).where(ScanRecord.registration_id == second_id).order_by(ScanRecord.scanned_at)
        ).all()
        assert [(r.offline, r.result, r.conflict) for r in records] == [
            (True, "ok", False),
            (True, "already_checked_in", False),
        ]
        stats = list_stats(_db.session, get_list(_db.session, venue.entrance_id))
        assert stats["checked_in"] == 2


def test_dashboard_numbers_move_as_people_walk_in(app, venue, attendee_badge, make_token):
    import requests

    _id, code = attendee_badge(venue)
    token = make_token(venue.staff)
    with app.app_context():
        slug = _db.session.get(Event, venue.event_id).slug
    with served(app) as base, launched_browser() as browser:
        page = browser.new_page()
        sign_in_page(page, base, venue.staff)
        page.goto(f"{base}/events/{slug}/checkin/dashboard")
        page.wait_for_selector("#live-state:text('Live')")
        inside = f"tr[data-list-id='{venue.door_id}'] [data-field='inside_now']"
        assert page.inner_text(inside) == "0"
        answer = requests.post(
            f"{base}/api/v1/checkin/scan",
            json={"code": code, "list": venue.door_id, "scan_id": "dashboard-scan-1"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        assert answer["result"] == "ok"
        page.wait_for_function(f"document.querySelector(\"{inside}\").textContent === '1'")
        assert page.inner_text(f"tr[data-list-id='{venue.door_id}'] [data-field='checked_in']") == "1"


def test_the_badge_sheet_prints_one_a6_page_per_badge(app, venue, attendee_badge):
    import re

    for name in ("Ana Silva", "Kenji Sato", "Noor Aziz"):
        attendee_badge(venue, name=name)
    attendee_badge(venue, name="Online Only", mode="online")
    with app.app_context():
        slug = _db.session.get(Event, venue.event_id).slug
    with served(app) as base, launched_browser() as browser:
        page = browser.new_page()
        sign_in_page(page, base, venue.staff)
        page.goto(f"{base}/events/{slug}/badges")
        page.wait_for_load_state("networkidle")
        assert page.locator(".a6-badge").count() == 3
        assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf)
    assert len(pages) == 3
    size = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\]", pdf)
    width, height = (float(v) for v in size.groups())
    assert abs(width - 297.6) < 2 and abs(height - 419.5) < 2  # A6 in points (105 x 148 mm)


def test_a_handheld_scanner_can_scan_the_next_badge_while_the_answer_shows(app, venue, attendee_badge):
    _id, first = attendee_badge(venue, name="First Fatima")
    _id, second = attendee_badge(venue, name="Second Sione")
    with app.app_context():
        slug = _db.session.get(Event, venue.event_id).slug
    with served(app) as base, launched_browser() as browser:
        page = browser.new_page()
        sign_in_page(page, base, venue.staff)
        page.goto(f"{base}/events/{slug}/checkin")
        page.wait_for_selector("#scanner[data-ready='1']")
        page.keyboard.type(first + "\n")  # a USB scanner types the code and Enter into the focused field
        page.wait_for_selector("#result.ok:not([hidden]) >> text=First Fatima")
        page.keyboard.type(second + "\n")  # the next person, while the green screen still shows
        page.wait_for_selector("#result.ok:not([hidden]) >> text=Second Sione")
