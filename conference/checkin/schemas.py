"""Request bodies of the check-in API (pydantic v2): anything else is a 400 with the field named."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..db_types import MAX_DB_ID

SCAN_ID_PATTERN = r"^[A-Za-z0-9_.:-]{8,64}$"


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    code: str = Field(max_length=4096)  # longer than a badge is answered "invalid_badge"; absurd is a 400
    list_id: int = Field(alias="list", gt=0, le=MAX_DB_ID)
    scan_id: str = Field(pattern=SCAN_ID_PATTERN)
    gate: str = Field(default="", max_length=80)
    scanned_at: datetime | None = None
    direction: Literal["in", "out"] = "in"


class SyncItemIn(ScanIn):
    scanned_at: datetime  # an offline scan always carries the time it was made
    # What the offline scanner showed at the door; a refusal there is recorded, never turned into an entry.
    offline_result: Literal["ok", "already_checked_in", "invalid_badge", "not_registered", "cancelled",
                            "not_admitted", "full", "not_inside"] | None = None


class SyncIn(BaseModel):
    scans: list[SyncItemIn] = Field(max_length=500)


class UndoIn(BaseModel):
    scan_id: str = Field(pattern=SCAN_ID_PATTERN)
    undo_id: str | None = Field(default=None, pattern=SCAN_ID_PATTERN)


class WatchIn(BaseModel):
    event_id: int = Field(gt=0, le=MAX_DB_ID)
