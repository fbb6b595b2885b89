"""ICE servers handed to browsers: TURN credentials in coturn's shared-secret scheme, config checks."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from conference.calls.ice import ice_servers_for, parse_ice_servers
from conference.config import ConfigError, read_environment


def test_turn_credentials_are_per_person_and_expire():
    configured = [
        {"urls": "stun:stun.example.org:3478"},
        {"urls": ["turn:turn.example.org:3478?transport=udp"], "secret": "s3cret", "ttl": 600},
    ]
    stun, turn = ice_servers_for(configured, user_id=42, now=1_900_000_000)
    assert stun == {"urls": "stun:stun.example.org:3478"}
    assert turn["username"] == "1900000600:42"
    expected = base64.b64encode(hmac.new(b"s3cret", b"1900000600:42", hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected
    assert "secret" not in turn  # the secret never leaves the server
    other = ice_servers_for(configured, user_id=43, now=1_900_000_000)[1]
    assert other["credential"] != turn["credential"]


@pytest.mark.parametrize(
    "raw, message",
    [
        ("not json", "JSON list"),
        ('{"urls": "stun:x"}', "JSON list"),
        ('[{"urls": "http://x"}]', "stun:, stuns:, turn: or turns:"),
        ('[{"urls": "turn:x:3478"}]', "secret"),
        ("[{}]", "urls"),
    ],
)
def test_bad_ice_server_lists_are_refused_with_a_reason(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_ice_servers(raw)


def test_the_environment_sets_the_ice_servers():
    good = {"CONFERENCE_ICE_SERVERS": '[{"urls": "turn:t.example:3478", "secret": "x"}]'}
    assert read_environment(good)["CALLS_ICE_SERVERS"][0]["secret"] == "x"
    with pytest.raises(ConfigError, match="CONFERENCE_ICE_SERVERS"):
        read_environment({"CONFERENCE_ICE_SERVERS": '[{"urls": "turn:t.example:3478"}]'})
