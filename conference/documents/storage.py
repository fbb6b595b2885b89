"""Where uploaded bytes live. The documents feature speaks to a `Storage` only, so another store
(an S3-like bucket) can replace the local folder by implementing the same four methods.

The local store keeps each file under a generated name (never the uploader's), in
`CONFERENCE_UPLOAD_DIR` or else `<instance>/uploads`.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, BinaryIO, Protocol

from flask import Flask, current_app

_KEY = re.compile(r"^[a-f0-9]{32}\.[a-z0-9]{1,5}$")


class Storage(Protocol):
    def save(self, stream: IO[bytes], extension: str) -> str:
        """Store the stream's bytes; return the generated key."""

    def open(self, key: str) -> BinaryIO:
        """The stored bytes, as a file object to read (FileNotFoundError if gone)."""

    def delete(self, key: str) -> None:
        """Remove the bytes; removing a missing key is not an error."""

    def exists(self, key: str) -> bool: ...

    def keys(self) -> Iterator[tuple[str, datetime]]:
        """Every stored key with the time it was written (to find files no row points at)."""


class LocalStorage:
    """Files in one folder; written to a temporary name first and renamed, so a reader never sees
    half a file and a crash leaves no stored key without its bytes."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):  # keys are ours; anything else never reaches the file system
            raise FileNotFoundError(key)
        return self.root / key[:2] / key

    def save(self, stream: IO[bytes], extension: str) -> str:
        key = f"{secrets.token_hex(16)}.{extension}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        stream.seek(0)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                shutil.copyfileobj(stream, handle, 1024 * 1024)
            os.chmod(temporary, 0o640)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except FileNotFoundError:
            return False

    def keys(self) -> Iterator[tuple[str, datetime]]:
        if not self.root.is_dir():
            return
        for path in self.root.glob("*/*"):
            if _KEY.match(path.name) and path.is_file():
                yield path.name, datetime.fromtimestamp(path.stat().st_mtime, UTC)

    def local_path(self, key: str) -> Path:
        return self._path(key)


def upload_dir(app: Flask) -> Path:
    configured = app.config["UPLOAD_DIR"]
    return Path(configured) if configured else Path(app.instance_path) / "uploads"


def get_storage(app: Flask | None = None) -> Storage:
    """The app's document store (the local folder unless a test or a deployment set another)."""
    app = app or current_app
    store = app.extensions.get("conference_document_storage")
    if store is None:
        store = LocalStorage(upload_dir(app))
        app.extensions["conference_document_storage"] = store
    return store
