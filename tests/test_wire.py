"""The wire vocabulary (conference/wire.py): strict ids, one UTC time format, one validation-error
shape, and limits stated once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from conference import wire
from conference.db_types import MAX_DB_ID


class Ref(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: wire.Id
    parent_id: wire.Id | None = None
    ids: list[wire.Id] = []


@pytest.mark.parametrize("value", [True, False, "5", " 5", 5.0, 5.5, 0, -1, MAX_DB_ID + 1, None, [5]])
def test_an_id_on_the_wire_is_a_positive_json_integer(value):
    with pytest.raises(wire.InvalidPayload) as caught:
        wire.validate(Ref, {"session_id": value})
    assert caught.value.code == "invalid_request" and list(caught.value.fields) == ["session_id"]


def test_ids_that_are_json_integers_pass():
    assert wire.validate(Ref, {"session_id": 1, "ids": [2, MAX_DB_ID]}).ids == [2, MAX_DB_ID]


@pytest.mark.parametrize(("text", "expected"), [("5", 5), (" 7 ", 7)])
def test_a_browser_form_sends_digits_and_they_count_as_the_id(text, expected):
    assert wire.validate(Ref, {"session_id": text, "ids": [text]}, form=True).session_id == expected


@pytest.mark.parametrize("text", ["5.0", "true", "-3", "0", "", "٥", str(MAX_DB_ID + 1)])
def test_a_form_sends_no_id_that_json_could_not(text):
    with pytest.raises(wire.InvalidPayload):
        wire.validate(Ref, {"session_id": text}, form=True)


def test_instants_are_iso_8601_in_utc_with_a_z():
    seoul = timezone(timedelta(hours=9))
    assert wire.isoformat_utc(datetime(2030, 3, 31, 17, 0, tzinfo=seoul)) == "2030-03-31T08:00:00Z"
    assert (
        wire.isoformat_utc(datetime(2030, 3, 31, 8, 0, 0, 120000, tzinfo=UTC))
        == "2030-03-31T08:00:00.120000Z"
    )
    assert (
        wire.isoformat_utc(datetime(2030, 3, 31, 8, 0, tzinfo=UTC), milliseconds=True)
        == "2030-03-31T08:00:00.000Z"
    )
    assert wire.isoformat_utc(None) is None
    with pytest.raises(ValueError, match="naive"):
        wire.isoformat_utc(datetime(2030, 3, 31, 8, 0))  # noqa: DTZ001 (the naive instant is the point)


class Poll(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    options: list[int]

    @model_validator(mode="after")
    def _enough(self):
        if len(self.options) < 2:
            raise wire.FieldProblem("options", "give at least two options")
        return self


def test_one_shape_for_every_validation_error():
    with pytest.raises(ValidationError) as caught:
        Poll.model_validate({"options": [1, "x"], "colour": "red"})
    assert wire.field_problems(caught.value) == {
        "title": ["This field is required."],
        "options.1": ["Input should be a valid integer, unable to parse string as an integer"],
        "colour": ["unknown field"],
    }
    with pytest.raises(wire.InvalidPayload) as raised:
        wire.validate(Poll, {"title": "T", "options": [1]}, code="invalid_payload")
    error = raised.value
    assert error.status == 400 and error.to_dict() == {
        "code": "invalid_payload",
        "message": "options: give at least two options",
        "details": {"fields": {"options": ["give at least two options"]}},
    }
    assert wire.summary({"": ["the payload must be a JSON object"]}) == ("the payload must be a JSON object")


@pytest.mark.parametrize("data", [None, [], "text", 5])
def test_a_payload_that_is_not_an_object(data):
    with pytest.raises(wire.InvalidPayload) as caught:
        wire.validate(Ref, data)
    assert caught.value.fields == {"": ["the payload must be a JSON object"]}


def test_the_limits_sent_to_the_javascript_are_the_ones_the_server_enforces():
    from conference.rooms import services as rooms
    from conference.rooms.announcements.models import Announcement
    from conference.rooms.polls import services as polls

    limits = wire.client_limits()
    assert limits["question_max"] == rooms.QUESTION_MAX and limits["chat_max"] == rooms.CHAT_MAX
    assert limits["poll_options_max"] == polls.OPTIONS_MAX and limits["poll_word_max"] == polls.WORD_MAX
    assert Announcement.__table__.c.text.type.length == limits["announcement_max"]
    limits["question_max"] = 1
    assert wire.client_limits()["question_max"] == rooms.QUESTION_MAX
