"""Charts drawn on the server as inline SVG: no script, no CDN, printable, mirrored for Arabic.

Each function takes plain figures, the text of its labels (already translated) and a
``fmt`` that writes a number the way the reader wants (Western or Arabic-Indic digits), and
returns SVG markup. Colours come from CSS classes (``bar``, ``female``...), never inline
styles, so a strict Content-Security-Policy holds.

Every value drawn is escaped, and a class name (often a stored value such as a transport,
which may arrive by sync without passing a form) is cut down to letters, digits, ``-`` and
``_``: nothing a record holds can add markup to a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import Markup, escape

Fmt = Callable[[int], str]
ROW = 30
LABEL_W = 180
WIDTH = 480


def css_class(name: object) -> str:
    """Return a stored value as a safe CSS class name (letters, digits, - and _ only)."""
    return re.sub(r"[^A-Za-z0-9_-]", "", str(name))[:40]


def _svg(height: int, body: str, title: str) -> Markup:
    """Wrap chart elements in an accessible, scalable SVG."""
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMin meet">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _x(x: float, rtl: bool, w: float = 0) -> float:
    """Mirror a horizontal position (of a box w wide) for right-to-left pages."""
    return WIDTH - x - w if rtl else x


def hbars(items: list[tuple[str, int, str]], title: str, fmt: Fmt, rtl: bool = False) -> Markup:
    """Draw horizontal bars: (label, value, css class) per row, labels on the reading side."""
    top = max((value for _label, value, _cls in items), default=0) or 1
    span = WIDTH - LABEL_W - 60
    parts = []
    for i, (label, value, cls) in enumerate(items):
        y, w = i * ROW, round(span * value / top, 1)
        anchor = "end" if not rtl else "start"
        parts.append(
            f'<text x="{_x(LABEL_W - 8, rtl)}" y="{y + 20}" text-anchor="{anchor}">'
            f"{escape(label)}</text>"
            f'<rect class="bar {escape(css_class(cls))}" x="{_x(LABEL_W, rtl, w)}" y="{y + 5}" '
            f'width="{w}" height="{ROW - 10}"/>'
            f'<text class="value" x="{_x(LABEL_W + w + 6, rtl)}" y="{y + 20}" '
            f'text-anchor="{"start" if not rtl else "end"}">{escape(fmt(value))}</text>'
        )
    return _svg(max(len(items), 1) * ROW, "".join(parts), title)


def columns(items: list[tuple[str, int]], title: str, fmt: Fmt, rtl: bool = False) -> Markup:
    """Draw a column chart over time (label, value), oldest on the reading start side."""
    height, base = 220, 190
    top = max((value for _label, value in items), default=0) or 1
    step = (WIDTH - 20) / max(len(items), 1)
    parts = [f'<line class="axis" x1="10" y1="{base}" x2="{WIDTH - 10}" y2="{base}"/>']
    for i, (label, value) in enumerate(items):
        h = round((base - 30) * value / top, 1)
        x = _x(10 + i * step, rtl, step - 4)
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{base - h}" width="{step - 4:.1f}" height="{h}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
        )
        if value:
            parts.append(
                f'<text class="value small" x="{x + (step - 4) / 2:.1f}" y="{base - h - 4}" '
                f'text-anchor="middle">{escape(fmt(value))}</text>'
            )
        if i % 3 == 0:
            parts.append(
                f'<text class="small" x="{x + (step - 4) / 2:.1f}" y="{base + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return _svg(height, "".join(parts), title)


def pyramid(
    rows: list[tuple[str, int, int]], sides: tuple[str, str], title: str, fmt: Fmt
) -> Markup:
    """Draw a population pyramid: (age group, females, males), oldest on top.

    Females are on the left and males on the right in both languages, as the labels say:
    a mirrored pyramid would read the same and only confuse a reader switching language.
    """
    mid, half, label_w = WIDTH / 2, WIDTH / 2 - 50, 70
    top = max((max(f, m) for _g, f, m in rows), default=0) or 1
    span = half - label_w / 2
    parts = [
        f'<text class="female-label" x="{mid - label_w / 2 - 4}" y="14" '
        f'text-anchor="end">{escape(sides[0])}</text>'
        f'<text class="male-label" x="{mid + label_w / 2 + 4}" y="14">{escape(sides[1])}</text>'
    ]
    for i, (group, females, males) in enumerate(reversed(rows)):
        y = 22 + i * ROW
        wf, wm = round(span * females / top, 1), round(span * males / top, 1)
        parts.append(
            f'<rect class="bar female" x="{mid - label_w / 2 - wf}" y="{y}" width="{wf}" '
            f'height="{ROW - 8}"/>'
            f'<rect class="bar male" x="{mid + label_w / 2}" y="{y}" width="{wm}" '
            f'height="{ROW - 8}"/>'
            f'<text x="{mid}" y="{y + 16}" text-anchor="middle" direction="ltr">'
            f"{escape(group)}</text>"
            f'<text class="value" x="{mid - label_w / 2 - wf - 4}" y="{y + 16}" '
            f'text-anchor="end">{escape(fmt(females))}</text>'
            f'<text class="value" x="{mid + label_w / 2 + wm + 4}" y="{y + 16}">'
            f"{escape(fmt(males))}</text>"
        )
    return _svg(24 + len(rows) * ROW, "".join(parts), title)
