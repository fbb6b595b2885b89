"""The schedule round trip on PostgreSQL, on a schema built by the migrations (including 0013)."""

from __future__ import annotations

import json

from pg_support import postgres_app

from conference.extensions import db
from conference.schedule.services import export_schedule, import_schedule

from .test_schedule_file import (
    agenda,
    build_demo_programme,
    empty_event_like,
    row_counts,
)


def test_the_demo_round_trip_and_a_second_import_on_postgresql():
    with postgres_app("schedule") as app, app.app_context():
        source = build_demo_programme(db.session)
        document = json.loads(json.dumps(export_schedule(db.session, source, include_private=True)))
        target = empty_event_like(db.session, source, "copy")
        assert import_schedule(db.session, target, document).sessions.created == 14
        assert agenda(db.session, target) == agenda(db.session, source)
        before = row_counts(db.session)
        again = import_schedule(db.session, target, json.loads(json.dumps(document)))
        assert again.sessions.to_dict() == {"created": 0, "updated": 0, "unchanged": 14}
        assert row_counts(db.session) == before
