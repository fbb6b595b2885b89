"""The certificate PDF (ReportLab): A4 landscape, the name, the event, its dates and place, the short code,
and a QR code to the public verification page.

Text in Arabic (or any right-to-left script) is shaped (arabic-reshaper: the joined letter forms) and put
in visual order (python-bidi) before ReportLab draws it, with a font that has Arabic glyphs: DejaVu Sans
shipped with the package (certificates/fonts, from Debian's fonts-dejavu-core), so every install has it.
The words come translated in `CertificateText.labels` (gettext in the request, see services.pdf_text);
a right-to-left language mirrors the page: the QR code on the left, the code and address on the right.
The drawing is CPU work: callers run `render` through `offload.run_blocking` with plain values.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import qrcode
from arabic_reshaper import ArabicReshaper
from bidi.algorithm import get_display
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from ..errors import ServiceError

FONT_DIRS = (str(Path(__file__).with_name("fonts")),)
REGULAR, BOLD = "CertSans", "CertSans-Bold"
_fonts_lock = threading.Lock()
# Names like "عبد الله" must keep their letters: DejaVu Sans has no glyph for the Allah ligature (U+FDF2).
_reshaper = ArabicReshaper(configuration={"delete_harakat": False, "ARABIC LIGATURE ALLAH": False})


@dataclass(frozen=True)
class CertificateText:
    name: str
    event_title: str
    dates: str  # e.g. "6–8 May 2030"
    place: str  # e.g. "Incheon, Republic of Korea"
    code: str  # as printed, e.g. "7K3D-9QHX-M2PA"
    verify_url: str
    labels: dict[str, str] = field(default_factory=dict)  # the page's words in its language (ENGLISH's keys)
    rtl: bool = False  # a right-to-left language: the page is mirrored


# The words of the page in English: services.pdf_text passes them translated.
ENGLISH = {
    "title": "Certificate of attendance",
    "certify": "This is to certify that",
    "attended": "attended",
    "code": "Certificate code: %(code)s",
    "check": "Check it at %(url)s",
}


def _register_fonts() -> None:
    with _fonts_lock:
        if REGULAR in pdfmetrics.getRegisteredFontNames():
            return
        for folder in FONT_DIRS:
            if folder and (Path(folder) / "DejaVuSans.ttf").is_file():
                pdfmetrics.registerFont(TTFont(REGULAR, str(Path(folder) / "DejaVuSans.ttf")))
                bold = Path(folder) / "DejaVuSans-Bold.ttf"
                pdfmetrics.registerFont(
                    TTFont(BOLD, str(bold if bold.is_file() else Path(folder) / "DejaVuSans.ttf"))
                )
                return
        raise ServiceError(
            "certificate_font_missing",
            "the certificate font is missing from this installation (conference/certificates/fonts)",
            status=503,
        )


def _is_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def visual(text: str) -> str:
    """The text as drawn left to right: right-to-left runs shaped and reordered, the rest unchanged."""
    if not _is_rtl(text):
        return text
    return get_display(_reshaper.reshape(text))


def _fit(c: canvas.Canvas, text: str, font: str, size: float, width: float) -> float:
    while size > 10 and c.stringWidth(text, font, size) > width:
        size -= 1
    return size


def qr_png(data: str) -> bytes:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(data)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(out, format="PNG")  # type: ignore[call-arg]  # the stubs type the PyPNG image, which takes no format; Pillow's is made here
    return out.getvalue()


def render(text: CertificateText) -> bytes:
    """The PDF's bytes."""
    _register_fonts()
    out = io.BytesIO()
    width, height = landscape(A4)
    c = canvas.Canvas(out, pagesize=(width, height))
    words = {**ENGLISH, **text.labels}
    c.setTitle(f"{words['title']} – {text.event_title}")
    c.setAuthor("conference")
    c.setStrokeColor(HexColor("#1f6feb"))
    c.setLineWidth(3)
    c.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    middle, usable = width / 2, width - 60 * mm

    def centred(y: float, line: str, font: str, size: float, colour: str = "#1b1f24") -> None:
        shown = visual(line)
        c.setFillColor(HexColor(colour))
        c.setFont(font, _fit(c, shown, font, size, usable))
        c.drawCentredString(middle, y, shown)

    centred(height - 45 * mm, words["title"], BOLD, 30, "#1f6feb")
    centred(height - 62 * mm, words["certify"], REGULAR, 14)
    centred(height - 82 * mm, text.name, BOLD, 28)
    centred(height - 98 * mm, words["attended"], REGULAR, 14)
    centred(height - 114 * mm, text.event_title, BOLD, 20)
    centred(height - 126 * mm, f"{text.dates} · {text.place}" if text.place else text.dates, REGULAR, 13)

    qr_size = 38 * mm
    qr_x = 22 * mm if text.rtl else width - 22 * mm - qr_size
    c.drawImage(ImageReader(io.BytesIO(qr_png(text.verify_url))), qr_x, 20 * mm, qr_size, qr_size)
    c.setFillColor(HexColor("#57606a"))
    c.setFont(REGULAR, 10)
    # The code and the address are left-to-right runs: inside a right-to-left sentence they stay whole.
    lines = (
        (32 * mm, visual(words["code"] % {"code": text.code})),
        (26 * mm, visual(words["check"] % {"url": text.verify_url})),
    )
    for y, line in lines:
        if text.rtl:
            c.drawRightString(width - 24 * mm, y, line)
        else:
            c.drawString(24 * mm, y, line)
    c.showPage()
    c.save()
    return out.getvalue()
