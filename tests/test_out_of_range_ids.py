"""An id beyond the database's integer range in any URL is a 404, never a driver error (a 500)."""

from __future__ import annotations

import pytest

BIG = "9" * 23


@pytest.mark.parametrize(
    "path",
    [
        f"/events/{{slug}}/sessions/{BIG}",
        f"/events/{{slug}}/sessions/{BIG}/live",
        f"/events/{{slug}}/sessions/{BIG}/moderate",
        f"/events/{{slug}}/sessions/{BIG}/screen",
        f"/events/{{slug}}/sessions/{BIG}/live-qr.svg",
        f"/events/{{slug}}/sessions/{BIG}/breakouts.json",
        f"/events/{{slug}}/sessions/1/polls/{BIG}.csv",
        f"/badges/{BIG}.png",
        f"/badges/{BIG}.svg",
        f"/api/v1/checkin/lists/{BIG}/stats",
    ],
)
def test_a_huge_id_is_not_found(app, make_user, make_event, logged_in_client, path):
    event = make_event()
    client = logged_in_client(make_user("admin"))
    response = client.get(path.format(slug=event.slug))
    assert response.status_code == 404
