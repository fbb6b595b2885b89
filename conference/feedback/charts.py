"""The results chart: one horizontal bar per session, its average rating (1 to 5) and its number of answers."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"


def averages_chart(title: str, rows: list[tuple[str, float | None, int]], *, width: int = 760) -> Markup:
    """rows: (session title, average or None, answers). The scale runs from 0 to 5."""
    label_w, bar_h, gap, top = 260, 22, 6, 8
    plot_w = width - label_w - 130
    height = top * 2 + max(len(rows), 1) * (bar_h + gap)
    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>']
    for i, (label, average, answers) in enumerate(rows):
        y = top + i * (bar_h + gap)
        short = label if len(label) <= 38 else label[:37] + "…"
        length = (average or 0) / 5 * plot_w
        said = (
            ngettext(
                "%(average)s / 5 (%(num)s answer)",
                "%(average)s / 5 (%(num)s answers)",
                answers,
                average=format(average, ".2f"),
            )
            if average
            else _("no answers")
        )
        body.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end" fill="#1b1f24">{escape(short)}</text>'
        )
        body.append(
            f'<rect class="bar" data-label="{escape(label)}" data-value="{average or 0}" x="{label_w}" y="{y}" '
            f'width="{length:.1f}" height="{bar_h}" fill="#1f6feb"><title>{escape(label)}: {escape(said)}</title></rect>'
        )
        body.append(
            f'<text x="{label_w + length + 6:.1f}" y="{y + bar_h * 0.7:.1f}" fill="#1b1f24">{escape(said)}</text>'
        )
    if not rows:
        body.append(
            f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" fill="#57606a">{escape(_("No sessions"))}</text>'
        )
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}" font-family="{FONT}" font-size="12">'
    )
    return Markup(head + f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")
