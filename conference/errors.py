"""The error that services raise, carrying a stable code for HTTP and Socket.IO replies."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A rule said no. `code` is machine-readable, `message` is for people, `status` for HTTP."""

    status = 400

    def __init__(self, code: str, message: str | None = None, *, status: int | None = None, **details):
        super().__init__(message or code)
        self.code = code
        self.message = message or code.replace("_", " ")
        if status is not None:
            self.status = status
        self.details = details

    def to_dict(self) -> dict:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409
