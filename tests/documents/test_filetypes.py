"""The type allow-list decides on the content; the name's extension must agree."""

from __future__ import annotations

import io

import pytest
from documents_support import EXE, HTML, JPEG, PNG, ole2_bytes, ooxml_bytes, pdf_bytes

from conference.documents.filetypes import RefusedFile, sniff


def kind_of(data: bytes, name: str) -> str:
    return sniff(io.BytesIO(data), name).name


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (pdf_bytes(), "aide-memoire.pdf", "pdf"),
        (pdf_bytes(), "AGENDA.PDF", "pdf"),
        (ooxml_bytes("docx"), "information note.docx", "docx"),
        (ooxml_bytes("xlsx"), "budget.xlsx", "xlsx"),
        (ooxml_bytes("pptx"), "slides.pptx", "pptx"),
        (ole2_bytes("WordDocument"), "old note.doc", "doc"),
        (ole2_bytes("Workbook"), "old sheet.xls", "xls"),
        (ole2_bytes("PowerPoint Document"), "old deck.ppt", "ppt"),
        (PNG, "map.png", "png"),
        (JPEG, "photo.jpg", "jpeg"),
        (JPEG, "photo.jpeg", "jpeg"),
        (b"GIF89a\x01\x00\x01\x00", "anim.gif", "gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "pic.webp", "webp"),
    ],
)
def test_accepted_kinds(data, name, kind):
    assert kind_of(data, name) == kind


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (EXE, "agenda.pdf", "content_not_allowed"),
        (HTML, "agenda.pdf", "content_not_allowed"),
        (b"", "empty.pdf", "content_not_allowed"),
        (b"%PD", "short.pdf", "content_not_allowed"),
        (pdf_bytes(), "agenda.docx", "extension_mismatch"),
        (PNG, "map.jpg", "extension_mismatch"),
        (ooxml_bytes("docx"), "note.xlsx", "extension_mismatch"),
        (ooxml_bytes("docx"), "note.pdf", "extension_mismatch"),
        (ole2_bytes("Workbook"), "sheet.doc", "extension_mismatch"),
        (ooxml_bytes("docx", content_types=False), "note.docx", "content_not_allowed"),
        (ooxml_bytes("docx", main_part=False), "note.docx", "content_not_allowed"),
        (b"PK\x03\x04 not really a zip", "note.docx", "content_not_allowed"),
        (ole2_bytes("SomethingElse"), "note.doc", "content_not_allowed"),
        (HTML, "page.html", "type_not_allowed"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>x</script></svg>", "logo.svg", "type_not_allowed"),
        (EXE, "setup.exe", "type_not_allowed"),
        (pdf_bytes(), "no-extension", "type_not_allowed"),
        (ooxml_bytes("docx"), "macro.docm", "type_not_allowed"),
    ],
)
def test_refused_files(data, name, reason):
    with pytest.raises(RefusedFile) as caught:
        sniff(io.BytesIO(data), name)
    assert caught.value.reason == reason
    assert str(caught.value)  # a sentence for the organiser


def test_a_zip_whose_content_types_is_huge_is_not_inflated():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", " " * (5 * 1024 * 1024))  # compresses to a few kB
        package.writestr("word/document.xml", "<document/>")
    with pytest.raises(RefusedFile) as caught:
        sniff(io.BytesIO(buffer.getvalue()), "bomb.docx")
    assert caught.value.reason == "content_not_allowed"
