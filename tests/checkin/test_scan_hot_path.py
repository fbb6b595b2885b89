"""The check-in rush's hot path: what one scan over the API asks of the database.

At the doors most scans are repeats (a badge shown twice, a retry): each is one HTTP request whose
CPU sets how many scans a worker answers per second (bench/live_engine.py --scenarios checkin). The
statements are counted here, not timed: the API token with its owner, everything the decision needs
(the list, the scanner's grant, the stored answer to this scan_id, due check-outs, the signing key,
the registration, its person, its badge version and its first entry), and the audit row. The live
numbers an accepted scan moves leave at most once per list and CHECKIN_STATS_COALESCE_SECONDS.
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy import event

from conference.extensions import db as _db

SCAN = "/api/v1/checkin/scan"


def _statements(app, client, body: dict, headers: dict) -> tuple[dict, list[str]]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    with app.app_context():
        engine = _db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        answer = client.post(SCAN, json=body, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert answer.status_code == 200, answer.json
    return answer.json, seen


def test_a_repeat_scan_asks_two_questions_and_writes_one_row(app, client, venue, attendee_badge, make_token):
    _registration_id, code = attendee_badge(venue, name="Ana Folau")
    headers = {"Authorization": f"Bearer {make_token(venue.staff)}"}
    first = client.post(
        SCAN, json={"code": code, "list": venue.entrance_id, "scan_id": str(uuid.uuid4())}, headers=headers
    )
    assert first.json["result"] == "ok"

    body = {"code": code, "list": venue.entrance_id, "scan_id": str(uuid.uuid4()), "gate": "B"}
    answer, statements = _statements(app, client, body, headers)
    assert answer["result"] == "already_checked_in" and answer["attendee"]["name"] == "Ana Folau"
    assert answer["first_checked_in_by"] == venue.staff.name
    # main asked eleven: token, its owner, list, grant, stored answer, due check-outs, signing key,
    # registration with its person, badge version, first entry; then the audit row
    assert statements == ["SELECT", "SELECT", "INSERT"]

    # the same scan_id again: the stored answer, read with the list; nothing written
    again, statements = _statements(app, client, body, headers)
    assert again == answer
    assert statements == ["SELECT", "SELECT"]


def _stats(client) -> list[dict]:
    return [m["args"][0] for m in client.get_received("/live") if m["name"] == "checkin:stats"]


def test_a_rush_of_entries_leaves_as_few_stats_broadcasts_the_last_one_current(
    app, client, venue, attendee_badge, make_token, live_client
):
    interval = 1.0
    app.config["CHECKIN_STATS_COALESCE_SECONDS"] = interval
    headers = {"Authorization": f"Bearer {make_token(venue.staff)}"}
    codes = [attendee_badge(venue)[1] for _ in range(5)]
    watcher = live_client(venue.staff)
    assert watcher.emit("checkin:watch", {"event_id": venue.event_id}, namespace="/live", callback=True)["ok"]
    watcher.get_received("/live")

    started = time.monotonic()
    for code in codes:
        body = {"code": code, "list": venue.entrance_id, "scan_id": str(uuid.uuid4())}
        answer = client.post(SCAN, json=body, headers=headers)
        assert answer.json["result"] == "ok"  # each scan is answered at once, not held for the broadcast
    windows = int((time.monotonic() - started) / interval) + 1

    seen: list[dict] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (seen and seen[-1]["list"]["inside_now"] == 5):
        seen += _stats(watcher)
        time.sleep(0.02)
    assert seen and seen[-1]["list"]["inside_now"] == 5, seen
    assert len(seen) <= windows < 5, ([s["list"]["inside_now"] for s in seen], windows)
    assert seen[-1]["session_ids"] == [] and seen[-1]["event_id"] == venue.event_id

    # a later entry after the flush leaves too, with the number then
    late = attendee_badge(venue)[1]
    client.post(
        SCAN, json={"code": late, "list": venue.entrance_id, "scan_id": str(uuid.uuid4())}, headers=headers
    )
    deadline = time.monotonic() + 10
    later: list[dict] = []
    while time.monotonic() < deadline and not later:
        later = _stats(watcher)
        time.sleep(0.02)
    assert [s["list"]["inside_now"] for s in later] == [6]
