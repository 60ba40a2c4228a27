"""Server-rendered SVG charts: no JavaScript, nothing from a CDN, no inline styles.

A chart is an ``<svg role="img">`` labelled by its ``<title>`` and described by its
``<desc>`` (the one-line summary). GOV.UK asks that every chart is followed by its data
as a table and a summary; the templates do that (``templates/reports/_chart.html``), so
the SVG is a picture of figures that are also on the page in words. Colours are SVG
presentation attributes (allowed by a Content-Security-Policy that forbids inline
``style``) and classes for the page's stylesheet; the same SVG goes into the PDF.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 32, 16, 48
LINE = "#1d70b8"  # GOV.UK blue
TARGET = "#505a5f"  # GOV.UK secondary text
GRID = "#b1b4b6"
TEXT = "#0b0c0c"


def nice_ceiling(value: float) -> float:
    """The axis maximum: 1, 2, 2.5 or 5 times a power of ten, at or above ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover (the loop ends at 10)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _axes(labels: Sequence[str], top: float, x: Callable, y: Callable) -> list[str]:
    """Grid lines with the value axis's numbers (0, a quarter, ... the top) and up to
    eight month labels."""
    parts = []
    for tick in range(5):
        value = top * tick / 4
        ty = y(value)
        parts.append(
            f'<line class="app-chart__grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" '
            f'y2="{ty:.1f}" stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{_number(value)}</text>'
        )
    every = max(1, math.ceil(len(labels) / 8))
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    return parts


def _lines(points: list[tuple[float, float | None]]) -> list[str]:
    """The line through the points, broken where a value is missing, and a dot at each."""
    runs: list[list[tuple[float, float]]] = [[]]
    for px, py in points:
        if py is None:
            runs.append([])
        else:
            runs[-1].append((px, py))
    parts = []
    for run in runs:
        if len(run) > 1:
            coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
            parts.append(
                f'<polyline class="app-chart__line" points="{coords}" fill="none" '
                f'stroke="{LINE}" stroke-width="3"/>'
            )
        parts += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{LINE}"/>' for px, py in run]
    return parts


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[Decimal | float | None],
    target: Decimal | float | None = None,
    target_label: str = "Target",
) -> SafeString:
    """A line chart of ``values`` (None: no data; the line breaks there) over ``labels``,
    with a dashed target line when ``target`` is given."""
    points = [None if v is None else float(v) for v in values]
    known = [v for v in points if v is not None]
    top = nice_ceiling(max(known + ([float(target)] if target is not None else []) + [0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg class="app-chart" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="Arial, Helvetica, sans-serif" '
        f'font-size="12" fill="{TEXT}">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(description)}</desc>',
    ]
    parts += _axes(labels, top, x, y)
    if target is not None:
        ty = y(float(target))
        parts.append(
            f'<line class="app-chart__target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" '
            f'y2="{ty:.1f}" stroke="{TARGET}" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{WIDTH - RIGHT}" y="{ty - 6:.1f}" text-anchor="end">'
            f"{escape(target_label)}</text>"
        )
    parts += _lines([(x(i), None if v is None else y(v)) for i, v in enumerate(points)])
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="{TEXT}"/>'
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="{TEXT}"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)
