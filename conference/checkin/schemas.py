"""Request bodies of the check-in API (pydantic v2): anything else is a 400 with the field named."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from ..wire import GATE_MAX, SCAN_CODE_MAX, Id

SCAN_ID_PATTERN = r"^[A-Za-z0-9_.:-]{8,64}$"


def _plausible_time(value: datetime) -> datetime:
    """A time a scanner or an organiser can mean: 2000-2200 once in UTC (0001-01-01T00:00:00+14:00
    is not even representable in UTC). Without a zone it is checked as it stands; the service decides
    what a missing zone means."""
    try:
        utc = value.astimezone(UTC) if value.tzinfo is not None else value
    except OverflowError:
        raise ValueError("the time lies outside the years 2000-2200") from None
    if not 2000 <= utc.year <= 2200:
        raise ValueError("the time lies outside the years 2000-2200")
    return value


Moment = Annotated[datetime, AfterValidator(_plausible_time)]


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    code: str = Field(max_length=SCAN_CODE_MAX)  # longer than a badge: "invalid_badge"; absurd: a 400
    list_id: Id = Field(alias="list")
    scan_id: str = Field(pattern=SCAN_ID_PATTERN)
    gate: str = Field(default="", max_length=GATE_MAX)
    scanned_at: Moment | None = None
    direction: Literal["in", "out"] = "in"


class SyncItemIn(ScanIn):
    scanned_at: Moment  # an offline scan always carries the time it was made
    # What the offline scanner showed at the door; a refusal there is recorded, never turned into an entry.
    offline_result: (
        Literal[
            "ok",
            "already_checked_in",
            "invalid_badge",
            "not_registered",
            "cancelled",
            "not_admitted",
            "full",
            "not_inside",
        ]
        | None
    ) = None


class SyncIn(BaseModel):
    scans: list[SyncItemIn] = Field(max_length=500)


class UndoIn(BaseModel):
    scan_id: str = Field(pattern=SCAN_ID_PATTERN)
    undo_id: str | None = Field(default=None, pattern=SCAN_ID_PATTERN)


class WatchIn(BaseModel):
    event_id: Id


class CheckinListIn(BaseModel):
    """A check-in list as the doors form and the API send it. `auto_checkout_at` without a zone is
    a time in the event's own zone (what organisers type); with a zone it is that instant.
    A day or a session given with a scope that does not use it is dropped; a missing one is refused by
    the service, which also knows the event's days and sessions."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    scope: Literal["event", "day", "session"] = "event"
    day: date | None = None
    session_id: Id | None = None
    capacity: int | None = Field(default=None, gt=0, le=1_000_000)
    allow_reentry: bool = True
    admits_online: bool = False
    admits_after_end: bool = False  # a session's door keeps admitting after the session ends
    auto_checkout_at: Moment | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())
        if not cleaned:
            raise ValueError("give the list a name")
        return cleaned

    @model_validator(mode="after")
    def _scope_needs(self) -> CheckinListIn:
        if self.scope != "day":
            self.day = None
        if self.scope != "session":
            self.session_id = None
        return self


class StaffIn(BaseModel):
    """Name a person check-in staff of the event by the e-mail of their account."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)


# --- answers (documented in the OpenAPI description; the services build them as dicts) --------------


class AttendeeOut(BaseModel):
    registration_id: int
    name: str
    organisation: str | None = None
    country: str | None = None
    country_name: str = ""
    mode: str


class ScanOut(BaseModel):
    """The answer to a scan: stored in the audit log, returned again for the same scan_id."""

    model_config = ConfigDict(extra="allow")

    result: Literal[
        "ok",
        "already_checked_in",
        "invalid_badge",
        "not_registered",
        "cancelled",
        "not_admitted",
        "full",
        "not_inside",
    ]
    reason: str
    message: str
    scan_id: str
    list_id: int
    direction: Literal["in", "out"]
    gate: str
    scanned_at: str
    uploaded_at: str
    offline: bool
    late: bool
    conflict: bool
    attendee: AttendeeOut | None = None
    reentry: bool | None = None
    first_checked_in_at: str | None = None
    first_checked_in_gate: str | None = None
    first_checked_in_by: str | None = None
    capacity: int | None = None
    auto_checked_out_at: str | None = None


class SyncItemError(BaseModel):
    result: Literal["error"]
    scan_id: str
    error: dict


class SyncOut(BaseModel):
    results: list[ScanOut | SyncItemError]
    conflicts: list[ScanOut]
    applied: int


class UndoOut(BaseModel):
    result: Literal["undone"]
    scan_id: str
    undo_id: str
    list_id: int
    direction: Literal["in", "out"]
    undone_at: str
    attendee: AttendeeOut
