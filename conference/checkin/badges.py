"""Badge tokens: a compact, opaque Ed25519-signed code per in-person registration, and its QR images.

Token layout (before base64url without padding):

    b"\\x01" | uvarint(event_id) | uvarint(registration_id) | uvarint(badge_version) | signature(64)

The signature covers `DOMAIN + payload`, so a token from another system never verifies here. No
personal data is inside: the scanner looks the person up by registration id. A typical demo badge is
69 bytes, 92 characters; the largest ids allowed (2**28 - 1) still fit in QR version 6 at level M.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from functools import lru_cache

import qrcode
import qrcode.image.svg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..db_session import DbSession
from ..db_types import utcnow
from ..errors import ServiceError
from ..wire import BADGE_CODE_MAX
from .models import BadgeIssue, EventSigningKey

FORMAT = 1
DOMAIN = b"conference-badge-v1:"
SIGNATURE_BYTES = 64
MAX_ID = 2**28  # four varint bytes each: the largest token is 103 characters, QR version 6-M
MAX_TOKEN_CHARS = BADGE_CODE_MAX  # anything longer is not one of ours: refuse before decoding
QR_MAX_VERSION = 6
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M


class InvalidBadge(ServiceError):
    """The code is not a valid badge; `reason` says why (malformed, bad_signature, other_event...)."""

    status = 422

    def __init__(self, reason: str, message: str):
        super().__init__("invalid_badge", message, reason=reason)
        self.reason = reason


@dataclass(frozen=True)
class BadgeClaims:
    event_id: int
    registration_id: int
    version: int


# --- keys -------------------------------------------------------------------------------------------


def _raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def signing_key_row(db: DbSession, event_id: int) -> EventSigningKey:
    """The event's key row, created on first use; concurrent creators agree on the first one saved."""
    row = db.get(EventSigningKey, event_id)
    if row is not None:
        return row
    key = Ed25519PrivateKey.generate()
    row = EventSigningKey(
        event_id=event_id, private_key=_raw_private(key).hex(), public_key=_raw_public(key.public_key()).hex()
    )
    db.add(row)
    try:
        db.commit()
        return row
    except IntegrityError:
        db.rollback()
        return db.scalars(select(EventSigningKey).where(EventSigningKey.event_id == event_id)).one()


def ensure_signing_key(db: DbSession, event_id: int) -> None:
    """Create the event's key inside the caller's transaction (a savepoint, no commit), for code
    that needs a badge before its own commit, e.g. a confirmation e-mail queued with a registration."""
    if db.get(EventSigningKey, event_id) is not None:
        return
    key = Ed25519PrivateKey.generate()
    try:
        with db.begin_nested():
            db.add(
                EventSigningKey(
                    event_id=event_id,
                    private_key=_raw_private(key).hex(),
                    public_key=_raw_public(key.public_key()).hex(),
                )
            )
    except IntegrityError:  # another transaction created it first: use theirs
        pass


def public_key_bytes(db: DbSession, event_id: int) -> bytes:
    return bytes.fromhex(signing_key_row(db, event_id).public_key)


def current_version(db: DbSession, registration_id: int) -> int:
    row = db.get(BadgeIssue, registration_id)
    return row.version if row is not None else 1


# --- encoding ---------------------------------------------------------------------------------------


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _read_uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    for _ in range(4):  # 4 bytes hold 2**28: more is not a token of ours
        if pos >= len(data):
            raise InvalidBadge("malformed", "this code is not a badge")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise InvalidBadge("malformed", "this code is not a badge")


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)


def sign_claims(private_key_hex: str, claims: BadgeClaims) -> str:
    for value in (claims.event_id, claims.registration_id, claims.version):
        if not 0 < value < MAX_ID:
            raise ValueError("badge ids and versions must be between 1 and 2**28")
    payload = (
        bytes([FORMAT])
        + _uvarint(claims.event_id)
        + _uvarint(claims.registration_id)
        + _uvarint(claims.version)
    )
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_key_hex))
    return _b64encode(payload + key.sign(DOMAIN + payload))


def parse_token(code: object) -> tuple[BadgeClaims, bytes, bytes]:
    """Split a code into its claims, the signed payload and the signature, or raise InvalidBadge."""
    if not isinstance(code, str):
        raise InvalidBadge("malformed", "this code is not a badge")
    code = code.strip()
    if len(code) > MAX_TOKEN_CHARS:
        raise InvalidBadge("oversized", "this code is too long to be a badge")
    if not code.isascii():
        raise InvalidBadge("malformed", "this code is not a badge")
    try:
        raw = _b64decode(code)
    except (binascii.Error, ValueError):
        raise InvalidBadge("malformed", "this code is not a badge") from None
    if len(raw) < 1 + 3 + SIGNATURE_BYTES or raw[0] != FORMAT:
        raise InvalidBadge("malformed", "this code is not a badge")
    payload, signature = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
    event_id, pos = _read_uvarint(payload, 1)
    registration_id, pos = _read_uvarint(payload, pos)
    version, pos = _read_uvarint(payload, pos)
    if pos != len(payload) or not (event_id and registration_id and version):
        raise InvalidBadge("malformed", "this code is not a badge")
    return BadgeClaims(event_id, registration_id, version), payload, signature


@lru_cache(maxsize=256)
def _public_key(public_key_hex: str) -> Ed25519PublicKey:
    """The key object of a public key (a pure function of its bytes: kept, whatever event it is)."""
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))


def verify_token(
    db: DbSession, code: object, event_id: int, public_key_hex: str | None = None
) -> BadgeClaims:
    """The claims of a genuine badge of `event_id`, or InvalidBadge with the reason.

    `public_key_hex`: the event's public key when the caller read it already (a scan reads it with
    its list), else it is read (and created on first use). The badge version is checked by the
    caller against the registration (see `check_version`).
    """
    claims, payload, signature = parse_token(code)
    if claims.event_id != event_id:
        raise InvalidBadge("other_event", "this badge belongs to another event")
    public = _public_key(public_key_hex or signing_key_row(db, event_id).public_key)
    try:
        public.verify(signature, DOMAIN + payload)
    except InvalidSignature:
        raise InvalidBadge(
            "bad_signature", "this badge is forged or damaged: its signature does not verify"
        ) from None
    return claims


def check_version(db: DbSession, claims: BadgeClaims, current: int | None = None) -> None:
    """InvalidBadge `reissued` unless the claims carry the current badge version (`current` when the
    caller read it already: a scan reads it with the registration)."""
    if current is None:
        current = current_version(db, claims.registration_id)
    if claims.version != current:
        raise InvalidBadge("reissued", "this badge was replaced by a newer one (lost badge reissued)")


def badge_token(db: DbSession, registration) -> str:
    """The current badge code of a registration."""
    key = signing_key_row(db, registration.event_id)
    claims = BadgeClaims(registration.event_id, registration.id, current_version(db, registration.id))
    return sign_claims(key.private_key, claims)


def reissue_badge(db: DbSession, registration, staff_user_id: int | None = None) -> int:
    """Bump the badge version (a lost badge): the old code stops working. Returns the new version."""
    row = db.get(BadgeIssue, registration.id)
    if row is None:
        db.add(BadgeIssue(registration_id=registration.id, version=2, reissued_by_id=staff_user_id))
        try:
            db.commit()
            return 2
        except IntegrityError:
            db.rollback()
    db.execute(
        update(BadgeIssue)
        .where(BadgeIssue.registration_id == registration.id)
        .values(version=BadgeIssue.version + 1, reissued_at=utcnow(), reissued_by_id=staff_user_id)
    )
    db.commit()
    return current_version(db, registration.id)


# --- images -----------------------------------------------------------------------------------------


def qr_code(token: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(version=None, error_correction=QR_ERROR_CORRECTION, box_size=10, border=4)
    qr.add_data(token)
    qr.make(fit=True)
    if qr.version > QR_MAX_VERSION:  # pragma: no cover - guarded by the token format
        raise ValueError(f"badge QR code needs version {qr.version}")
    return qr


def badge_png(token: str, box_size: int = 10) -> bytes:
    qr = qr_code(token)
    qr.box_size = box_size
    buffer = io.BytesIO()
    qr.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def badge_svg(token: str) -> bytes:
    qr = qr_code(token)
    image = qr.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
