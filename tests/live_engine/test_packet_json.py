"""The Socket.IO packet codec: orjson's speed, the standard library's results."""

from __future__ import annotations

import json
import math

import pytest

from conference import packet_json
from conference.extensions import socketio


@pytest.mark.parametrize(
    "value",
    [
        {"ok": True, "state": {"questions": [{"id": 1, "text": "<script>é 한국어 😀</script>"}]}},
        {"poll_id": 7, "counts": {"31": 900, "32": 934}, "mean": 3.25},
        ["chat:message", {"message": {"id": 2, "text": 'a\nb\t"c"'}}],
        {"big": 2**70},  # beyond orjson's 64 bits: the standard library writes it
        {"numbers": [0, -1, 1.5, None, False]},
    ],
)
def test_what_it_writes_reads_back_as_the_standard_library_reads_it(value):
    text = packet_json.dumps(value, separators=(",", ":"))
    assert isinstance(text, str)
    assert json.loads(text) == value
    assert packet_json.loads(text) == value


def test_keys_that_are_not_strings_become_strings_as_with_the_standard_library():
    assert json.loads(packet_json.dumps({1: "a", 2: "b"})) == {"1": "a", "2": "b"}


def test_text_orjson_refuses_is_read_as_the_standard_library_reads_it():
    assert math.isnan(packet_json.loads('{"a": NaN}')["a"])
    assert packet_json.loads('{"text": "\\ud800"}') == {"text": "\ud800"}
    assert packet_json.loads("[1e400]") == [math.inf]
    with pytest.raises(ValueError, match="Expecting"):
        packet_json.loads("{not json")


def test_what_neither_can_write_is_refused_with_a_type_error():
    with pytest.raises(TypeError):
        packet_json.dumps({"when": object()})


def test_the_apps_socketio_server_uses_it(app):
    assert socketio.server.packet_class.json is packet_json
