"""Helpers shared by the check-in tests (fixtures live in tests/checkin/conftest.py)."""
from __future__ import annotations

import uuid

from conference.checkin import services


def new_scan_id() -> str:
    return str(uuid.uuid4())


def scan_request(code: str, list_id: int, **fields) -> services.ScanRequest:
    return services.ScanRequest(code=code, list_id=list_id, scan_id=fields.pop("scan_id", None) or new_scan_id(),
                                **fields)
