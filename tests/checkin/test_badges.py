"""Badge tokens: compact, opaque, signed; forged, altered, truncated, other-event and old badges fail."""

from __future__ import annotations

import base64

import pytest
import qrcode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conference.checkin import badges
from conference.checkin.badges import BadgeClaims, InvalidBadge, badge_token, reissue_badge, verify_token
from conference.registrations.models import Registration


def _reason(db, code, event_id):
    with pytest.raises(InvalidBadge) as caught:
        verify_token(db, code, event_id)
    return caught.value.reason


def _other_key() -> str:
    return badges._raw_private(Ed25519PrivateKey.generate()).hex()


def test_a_genuine_badge_verifies_and_carries_no_personal_data(db, venue, attendee_badge):
    registration_id, code = attendee_badge(venue, name="Zainab Quisling-Example", email="zq@example.org")
    claims = verify_token(db, code, venue.event_id)
    assert claims == BadgeClaims(venue.event_id, registration_id, 1)
    raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    assert b"Zainab" not in raw and b"zq@" not in raw and b"example" not in raw
    assert code.isascii() and all(c.isalnum() or c in "-_" for c in code)


def test_the_largest_token_fits_qr_version_6_at_level_m():
    biggest = badges.sign_claims(
        _other_key(), BadgeClaims(badges.MAX_ID - 1, badges.MAX_ID - 1, badges.MAX_ID - 1)
    )
    qr = qrcode.QRCode(version=None, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(biggest)
    qr.make(fit=True)
    assert qr.version <= 6
    with pytest.raises(ValueError):
        badges.sign_claims(_other_key(), BadgeClaims(badges.MAX_ID, 1, 1))


def test_forged_altered_truncated_oversized_and_non_ascii_codes_are_refused(db, venue, attendee_badge):
    registration_id, code = attendee_badge(venue)
    forged = badges.sign_claims(_other_key(), BadgeClaims(venue.event_id, registration_id, 1))
    assert _reason(db, forged, venue.event_id) == "bad_signature"
    # flip one character in the signature part, and one in the claims part
    for position in (len(code) - 10, 3):
        flipped = code[:position] + ("A" if code[position] != "A" else "B") + code[position + 1 :]
        assert _reason(db, flipped, venue.event_id) in ("bad_signature", "malformed")
    assert _reason(db, code[:-5], venue.event_id) in ("bad_signature", "malformed")
    assert _reason(db, code[:20], venue.event_id) == "malformed"
    assert _reason(db, code + "A" * 200, venue.event_id) == "oversized"
    assert _reason(db, code[:-1] + "é", venue.event_id) == "malformed"
    assert _reason(db, "", venue.event_id) == "malformed"
    assert _reason(db, "https://example.org/not-a-badge", venue.event_id) == "malformed"
    assert _reason(db, None, venue.event_id) == "malformed"


def test_a_badge_of_another_event_is_refused(db, venue, attendee_badge, make_event):
    _registration_id, code = attendee_badge(venue)
    other = make_event()
    assert _reason(db, code, other.id) == "other_event"


def test_reissuing_bumps_the_version_and_the_old_badge_stops_working(db, venue, attendee_badge):
    registration_id, old_code = attendee_badge(venue)
    registration = db.get(Registration, registration_id)
    assert reissue_badge(db, registration) == 2
    new_code = badge_token(db, registration)
    assert new_code != old_code
    claims = verify_token(db, new_code, venue.event_id)
    badges.check_version(db, claims)  # current: no error
    with pytest.raises(InvalidBadge) as caught:
        badges.check_version(db, verify_token(db, old_code, venue.event_id))
    assert caught.value.reason == "reissued"
    assert reissue_badge(db, registration) == 3


def test_the_signing_key_lives_in_the_database(db, venue, attendee_badge, app):
    _registration_id, code = attendee_badge(venue)
    db.expunge_all()
    # a second "process" (a fresh session) reads the same key and verifies the badge
    from conference.extensions import db as ext_db

    with app.app_context():
        other_session = ext_db.session
        assert verify_token(other_session, code, venue.event_id).event_id == venue.event_id
