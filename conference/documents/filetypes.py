"""Which files organisers may attach, decided on the content (magic bytes), never on the name alone.

The name's extension must agree with what the content is: an HTML page or a program renamed
`.pdf` is refused, and so is a real PDF named `.docx`. SVG, HTML and archives are never accepted
(they can carry scripts or anything at all).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import IO, Any


@dataclass(frozen=True)
class FileKind:
    name: str
    content_type: str
    extensions: tuple[str, ...]
    inline: bool = False  # browsers show it themselves (PDF, images); the rest is downloaded
    label: str = ""


_OOXML = "application/vnd.openxmlformats-officedocument"
KINDS = {
    k.name: k
    for k in (
        FileKind("pdf", "application/pdf", ("pdf",), inline=True, label="PDF"),
        FileKind("docx", f"{_OOXML}.wordprocessingml.document", ("docx",), label="Word"),
        FileKind("xlsx", f"{_OOXML}.spreadsheetml.sheet", ("xlsx",), label="Excel"),
        FileKind("pptx", f"{_OOXML}.presentationml.presentation", ("pptx",), label="PowerPoint"),
        FileKind("doc", "application/msword", ("doc",), label="Word 97-2003"),
        FileKind("xls", "application/vnd.ms-excel", ("xls",), label="Excel 97-2003"),
        FileKind("ppt", "application/vnd.ms-powerpoint", ("ppt",), label="PowerPoint 97-2003"),
        FileKind("png", "image/png", ("png",), inline=True, label="PNG image"),
        FileKind("jpeg", "image/jpeg", ("jpg", "jpeg"), inline=True, label="JPEG image"),
        FileKind("gif", "image/gif", ("gif",), inline=True, label="GIF image"),
        FileKind("webp", "image/webp", ("webp",), inline=True, label="WebP image"),
    )
}
ACCEPTED_EXTENSIONS = tuple(sorted(ext for kind in KINDS.values() for ext in kind.extensions))

# The part that makes an OOXML package a document, a workbook or a presentation, and the
# content type [Content_Types].xml must declare for it.
_OOXML_MAIN = {
    "docx": ("word/document.xml", f"{_OOXML}.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", f"{_OOXML}.spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", f"{_OOXML}.presentationml.presentation.main+xml"),
}
# The stream that an OLE2 compound file of each legacy Office kind holds, as its directory
# stores the name (UTF-16LE).
_OLE2_STREAMS = {
    "doc": ("WordDocument",),
    "xls": ("Workbook", "Book"),
    "ppt": ("PowerPoint Document",),
}
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CONTENT_TYPES_LIMIT = 512 * 1024  # a real [Content_Types].xml is a few kB; never inflate a bomb


class RefusedFile(ValueError):
    """Not a file we accept; `reason` is a stable code, the message says why to a person."""

    def __init__(self, reason: str, message: str, **details: str):
        super().__init__(message)
        self.reason = reason
        self.details: dict[str, Any] = (
            details  # the values the message names, for a page that says it in another language
        )


def extension_of(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def sniff(stream: IO[bytes], filename: str) -> FileKind:
    """The kind of an uploaded file, from its content; RefusedFile if it is none we accept or if
    the name's extension says something else. Leaves the stream at its start."""
    extension = extension_of(filename)
    if extension not in ACCEPTED_EXTENSIONS:
        raise RefusedFile(
            "type_not_allowed",
            f"files ending in .{extension or '(nothing)'} are not accepted; "
            f"accepted: {', '.join('.' + e for e in ACCEPTED_EXTENSIONS)}",
            extension=extension,
            accepted=", ".join("." + e for e in ACCEPTED_EXTENSIONS),
        )
    stream.seek(0)
    head = stream.read(64)
    stream.seek(0)
    kind = _kind_of(stream, head, extension)
    stream.seek(0)
    if kind is None:
        raise RefusedFile(
            "content_not_allowed", "the file's content is not a PDF, Office document or image we accept"
        )
    if extension not in kind.extensions:
        raise RefusedFile(
            "extension_mismatch",
            f"the file is a {kind.label} but its name ends in .{extension}; name it .{kind.extensions[0]}",
            extension=extension,
            expected=kind.extensions[0],
        )
    return kind


def _kind_of(stream: IO[bytes], head: bytes, extension: str) -> FileKind | None:
    if head.startswith(b"%PDF-"):
        return KINDS["pdf"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return KINDS["jpeg"]
    if head.startswith((b"GIF87a", b"GIF89a")):
        return KINDS["gif"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return KINDS["webp"]
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_kind(stream)
    if head.startswith(_OLE2_MAGIC):
        return _ole2_kind(stream, extension)
    return None


def _ooxml_kind(stream: IO[bytes]) -> FileKind | None:
    """A ZIP is an Office document only with [Content_Types].xml declaring its main part."""
    try:
        with zipfile.ZipFile(stream) as package:
            names = set(package.namelist())
            info = package.getinfo("[Content_Types].xml") if "[Content_Types].xml" in names else None
            if info is None or info.file_size > _CONTENT_TYPES_LIMIT:
                return None
            with package.open(info) as handle:
                content_types = handle.read(_CONTENT_TYPES_LIMIT + 1).decode("utf-8", "replace")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
        return None
    for name, (main_part, main_type) in _OOXML_MAIN.items():
        if main_part in names and main_type in content_types:
            return KINDS[name]
    return None


def _ole2_kind(stream: IO[bytes], extension: str) -> FileKind | None:
    """Legacy Office files share one container (OLE2); the stream names inside tell them apart.
    We look for the directory entries' UTF-16 names rather than parse the whole container."""
    stream.seek(0)
    content = stream.read()
    found = [
        name
        for name, streams in _OLE2_STREAMS.items()
        if any(s.encode("utf-16-le") + b"\x00\x00" in content for s in streams)
    ]
    if extension in found:
        return KINDS[extension]
    return KINDS[found[0]] if found else None
