"""The same races on PostgreSQL (schema built by the migrations, 0017_board_feedback included)."""

from __future__ import annotations

import pytest
from feedback.test_races import (  # noqa: F401 - collected again here, on PostgreSQL
    test_eight_simultaneous_answers_of_one_person_store_one,
    test_simultaneous_requests_issue_one_certificate,
    test_two_processes_moving_one_sessions_questions_move_each_once,
)
from pg_support import postgres_app


@pytest.fixture()
def app():
    with postgres_app("after_talk") as app:
        yield app
