"""Charts as SVG drawn on the server: no JavaScript, printable, readable without colour alone.

Every chart is a complete `<svg>` document (with `xmlns`), so it can be inlined in a page or served
on its own as image/svg+xml. All text goes through `escape`.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

ONLINE_COLOUR = "#0b5cad"
ON_SITE_COLOUR = "#c2580a"
BOTH_COLOUR = "#6f42c1"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]
    colour: str
    dashed: bool = False


def axis_ticks(value: int) -> tuple[int, int]:
    """(step, count) of a readable whole-number axis reaching `value`: step 1, 2, 5 × 10^n, at most 5 steps."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = magnitude * factor
            if value <= 5 * step:
                return step, max(1, -(-value // step))
        magnitude *= 10


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{FONT}" font-size="12">'
    )
    return Markup(head + f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def line_chart(
    title: str,
    labels: list[str],
    series: list[Series],
    *,
    width: int = 760,
    height: int = 280,
    label_every: int = 4,
) -> Markup:
    """Lines over time: `labels[i]` names the i-th point of every series (e.g. "09:15")."""
    left, right, top, bottom = 44, 12, 30, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    step, ticks = axis_ticks(max((max(s.values, default=0) for s in series), default=0))
    ceiling = step * ticks
    count = max(len(labels), 1)
    x_step = plot_w / max(count - 1, 1)

    def x(i: int) -> float:
        return left + i * x_step

    def y(value: int) -> float:
        return top + plot_h - value / ceiling * plot_h

    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>']
    for tick in range(ticks + 1):
        value = step * tick
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#d0d7de" stroke-width="1"/>'
        )
        body.append(
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" fill="#57606a">{value:,}</text>'
        )
    for i, label in enumerate(labels):
        if i % label_every == 0:
            body.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'fill="#57606a">{escape(label)}</text>'
            )
    for s in series:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s.values))
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        body.append(
            f'<polyline class="series" data-series="{escape(s.name)}" fill="none" stroke="{s.colour}" '
            f'stroke-width="2.5"{dash} points="{points}"><title>{escape(s.name)}</title></polyline>'
        )
    legend_x = left
    for s in series:
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        body.append(
            f'<line x1="{legend_x}" x2="{legend_x + 22}" y1="14" y2="14" stroke="{s.colour}" '
            f'stroke-width="3"{dash}/>'
        )
        body.append(f'<text x="{legend_x + 28}" y="18" fill="#1b1f24">{escape(s.name)}</text>')
        legend_x += 40 + 8 * len(s.name)
    return _svg(width, height, title, body)


def bar_chart(
    title: str,
    rows: list[tuple[str, int]],
    *,
    colour: str = ONLINE_COLOUR,
    width: int = 760,
    bar_height: int = 22,
    label_width: int = 230,
) -> Markup:
    """Horizontal bars, one per (label, value), in the order given, each with its value written out."""
    top, gap = 8, 6
    height = top * 2 + max(len(rows), 1) * (bar_height + gap)
    plot_w = width - label_width - 60
    ceiling = max((value for _, value in rows), default=0) or 1
    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>']
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_height + gap)
        length = value / ceiling * plot_w
        body.append(
            f'<text x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" '
            f'fill="#1b1f24">{escape(label)}</text>'
        )
        body.append(
            f'<rect class="bar" data-label="{escape(label)}" data-value="{value}" x="{label_width}" '
            f'y="{y}" width="{length:.1f}" height="{bar_height}" fill="{colour}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        body.append(
            f'<text x="{label_width + length + 6:.1f}" y="{y + bar_height * 0.7:.1f}" '
            f'fill="#1b1f24">{value:,}</text>'
        )
    if not rows:
        body.append(
            f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" fill="#57606a">'
            "No attendance recorded yet</text>"
        )
    return _svg(width, height, title, body)


def mode_chart(title: str, *, online_only: int, hybrid: int, on_site_only: int, width: int = 760) -> Markup:
    """One bar split into online only, both ways, and on site only, with a legend that states the numbers."""
    parts = [
        ("Online only", online_only, ONLINE_COLOUR),
        ("Both online and on site", hybrid, BOTH_COLOUR),
        ("On site only", on_site_only, ON_SITE_COLOUR),
    ]
    total = sum(value for _, value, _ in parts)
    left, bar_y, bar_h, height = 10, 10, 34, 100
    plot_w = width - 2 * left
    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>']
    x = float(left)
    for name, value, colour in parts:
        length = value / total * plot_w if total else 0
        body.append(
            f'<rect class="bar" data-label="{escape(name)}" data-value="{value}" x="{x:.1f}" y="{bar_y}" '
            f'width="{length:.1f}" height="{bar_h}" fill="{colour}"><title>{escape(name)}: {value}</title></rect>'
        )
        x += length
    legend_x = left
    for name, value, colour in parts:
        share = f" ({value / total:.0%})" if total else ""
        text = f"{name}: {value:,}{share}"
        body.append(f'<rect x="{legend_x}" y="{bar_y + bar_h + 20}" width="14" height="14" fill="{colour}"/>')
        body.append(
            f'<text x="{legend_x + 20}" y="{bar_y + bar_h + 32}" fill="#1b1f24">{escape(text)}</text>'
        )
        legend_x += 40 + 7 * len(text)
    return _svg(width, height, title, body)


def paired_bar_chart(
    title: str,
    rows: list[tuple[str, int, int]],
    *,
    names: tuple[str, str] = ("Online", "On site"),
    colours: tuple[str, str] = (ONLINE_COLOUR, ON_SITE_COLOUR),
    width: int = 760,
    label_width: int = 300,
) -> Markup:
    """Two thin bars per row (e.g. online and on site attendees of a session), values written out."""
    bar, gap, top = 11, 10, 30
    height = top + max(len(rows), 1) * (2 * bar + gap) + 8
    plot_w = width - label_width - 60
    ceiling = max((max(a, b) for _, a, b in rows), default=0) or 1
    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>']
    legend_x = label_width
    for name, colour in zip(names, colours, strict=False):
        body.append(f'<rect x="{legend_x}" y="8" width="14" height="14" fill="{colour}"/>')
        body.append(f'<text x="{legend_x + 20}" y="20" fill="#1b1f24">{escape(name)}</text>')
        legend_x += 40 + 8 * len(name)
    for i, (label, first, second) in enumerate(rows):
        y = top + i * (2 * bar + gap)
        shown = label if len(label) <= 42 else label[:41] + "…"
        body.append(
            f'<text x="{label_width - 8}" y="{y + bar + 4}" text-anchor="end" fill="#1b1f24">'
            f"<title>{escape(label)}</title>{escape(shown)}</text>"
        )
        for offset, (name, value, colour) in enumerate(
            ((names[0], first, colours[0]), (names[1], second, colours[1]))
        ):
            length = value / ceiling * plot_w
            bar_y = y + offset * bar
            body.append(
                f'<rect class="bar" data-label="{escape(label)}" data-series="{escape(name)}" '
                f'data-value="{value}" x="{label_width}" y="{bar_y}" width="{length:.1f}" height="{bar - 1}" '
                f'fill="{colour}"><title>{escape(label)} — {escape(name)}: {value}</title></rect>'
            )
            body.append(
                f'<text x="{label_width + length + 5:.1f}" y="{bar_y + bar - 2}" font-size="10" '
                f'fill="#1b1f24">{value:,}</text>'
            )
    return _svg(width, height, title, body)
