"""Real files of every kind the documents feature meets, built byte by byte."""

from __future__ import annotations

import io
import zipfile


def stored_files(upload_dir) -> list:
    """Every file in the store (temporary names included: a failed upload must leave none)."""
    return sorted(p for p in upload_dir.rglob("*") if p.is_file()) if upload_dir.exists() else []


def pdf_bytes(text: str = "Aide memoire", padding: int = 0) -> bytes:
    body = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% " + text.encode() + b"\n"
    )
    return body + b"%" * padding + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"


_MAIN_TYPES = {
    "docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", "presentationml.presentation.main+xml"),
}


def ooxml_bytes(kind: str = "docx", *, main_part: bool = True, content_types: bool = True) -> bytes:
    """A minimal Office Open XML package: [Content_Types].xml and the main part it declares."""
    part, suffix = _MAIN_TYPES[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        if content_types:
            package.writestr(
                "[Content_Types].xml",
                (
                    '<?xml version="1.0" encoding="UTF-8"?>'
                    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                    '<Default Extension="xml" ContentType="application/xml"/>'
                    f'<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-officedocument.{suffix}"/>'
                    "</Types>"
                ),
            )
        if main_part:
            package.writestr(part, "<document/>")
    return buffer.getvalue()


def ole2_bytes(stream_name: str = "WordDocument") -> bytes:
    """The start of a legacy Office compound file with one directory entry named `stream_name`."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    entry = (stream_name.encode("utf-16-le") + b"\x00\x00").ljust(128, b"\x00")
    return header + b"\x00" * 512 + entry + b"\x00" * 384


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run in DOS mode"
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
