"""Small inline SVG charts for the board pack: no scripts, no network, print-friendly."""

from __future__ import annotations

import math
from html import escape

WIDTH, HEIGHT, PAD = 640, 240, 44
MIN_ROW = 24  # a bar chart grows taller rather than squeeze its bars
COLOURS = {"bar": "#1d70b8", "target": "#d4351c", "line": "#1d70b8", "grid": "#b1b4b6"}


def line_chart(title: str, points: list[tuple[str, float | None]],
               target: float | None = None) -> str:
    """A percentage over periods, with the target as a dashed line."""
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = inner_w / max(1, len(points) - 1)

    def y(value: float) -> float:
        return PAD + inner_h * (1 - value / 100)

    parts = [_frame(title), *_grid(y)]
    coords = [(PAD + i * step, y(v)) for i, (_, v) in enumerate(points) if v is not None]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in coords)
        parts.append(f'<polyline class="series" points="{path}" fill="none" '
                     f'stroke="{COLOURS["line"]}" stroke-width="3"/>')
    for x, yy in coords:
        parts.append(f'<circle class="point" cx="{x:.1f}" cy="{yy:.1f}" r="4" '
                     f'fill="{COLOURS["line"]}"/>')
    for i, (label, _) in enumerate(points):
        parts.append(f'<text x="{PAD + i * step:.1f}" y="{HEIGHT - 14}" font-size="11" '
                     f'text-anchor="middle">{escape(label)}</text>')
    if target is not None:
        parts.append(f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(target):.1f}" '
                     f'y2="{y(target):.1f}" stroke="{COLOURS["target"]}" stroke-width="2" '
                     f'stroke-dasharray="6 4"/><text x="{WIDTH - PAD}" y="{y(target) - 6:.1f}" '
                     f'font-size="11" text-anchor="end" fill="{COLOURS["target"]}">target '
                     f'{target:g}%</text>')
    return _svg(title, parts)


def bar_chart(title: str, bars: list[tuple[str, float]], unit: str = "%",
              maximum: float | None = None) -> str:
    """Horizontal bars, labelled with their values (non-numbers are left out)."""
    bars = [(label, value) for label, value in bars if math.isfinite(value)]
    top = maximum or max([value for _, value in bars] + [1])
    height = max(HEIGHT, 2 * PAD + MIN_ROW * len(bars))  # every bar, however many
    row = (height - 2 * PAD) / max(1, len(bars))
    label_w = 170
    parts = [_frame(title)]
    for i, (label, value) in enumerate(bars):
        y = PAD + i * row + 4
        length = (WIDTH - PAD - label_w - 60) * value / top if top else 0
        parts.append(f'<text x="{label_w - 8}" y="{y + row / 2:.1f}" font-size="12" '
                     f'text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect class="bar" x="{label_w}" y="{y:.1f}" width="{max(length, 0):.1f}" '
                     f'height="{row - 8:.1f}" fill="{COLOURS["bar"]}"/>')
        shown = f"{value:.1f}{unit}" if unit == "%" else f"{value:g}{unit}"
        parts.append(f'<text x="{label_w + max(length, 0) + 6:.1f}" y="{y + row / 2:.1f}" '
                     f'font-size="12">{escape(shown)}</text>')
    return _svg(title, parts, height)


def _frame(title: str) -> str:
    return (f'<text x="{PAD}" y="22" font-size="15" font-weight="bold">{escape(title)}</text>')


def _grid(y) -> list[str]:  # type: ignore[no-untyped-def]
    lines = []
    for value in (0, 25, 50, 75, 100):
        lines.append(f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}" stroke="{COLOURS["grid"]}" stroke-width="0.5"/>'
                     f'<text x="{PAD - 6}" y="{y(value) + 4:.1f}" font-size="10" '
                     f'text-anchor="end">{value}%</text>')
    return lines


def _svg(title: str, parts: list[str], height: int = HEIGHT) -> str:
    return (f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} '
            f'{height}" width="{WIDTH}" height="{height}" font-family="Arial, sans-serif" '
            'xmlns="http://www.w3.org/2000/svg">'
            + "".join(parts) + "</svg>")


def range_chart(title: str, points: list[tuple[str, float | None, float | None, float | None,
                                               float | None]]) -> str:
    """A forecast's track record: per label, its 10-90 range as a bar, its median as a
    circle, and what happened as a dark square."""
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = inner_w / max(1, len(points))

    def y(value: float) -> float:
        return PAD + inner_h * (1 - value / 100)

    parts = [_frame(title), *_grid(y)]
    for i, (label, low, median, high, actual) in enumerate(points):
        x = PAD + (i + 0.5) * step
        if low is not None and high is not None:
            parts.append(f'<rect class="range" x="{x - step / 4:.1f}" y="{y(high):.1f}" '
                         f'width="{step / 2:.1f}" height="{max(y(low) - y(high), 1):.1f}" '
                         f'fill="{COLOURS["grid"]}"/>')
        if median is not None:
            parts.append(f'<circle class="point" cx="{x:.1f}" cy="{y(median):.1f}" r="3" '
                         f'fill="{COLOURS["line"]}"/>')
        if actual is not None:
            parts.append(f'<rect class="actual" x="{x - 3:.1f}" y="{y(actual) - 3:.1f}" '
                         'width="6" height="6" fill="#0b0c0c"/>')
        if i % max(1, len(points) // 8) == 0:
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 14}" font-size="10" '
                         f'text-anchor="middle">{escape(label)}</text>')
    parts.append(f'<text x="{PAD}" y="37" font-size="10">Grey bar: 8 runs in 10; blue '
                 'circle: the forecast; black square: what happened</text>')
    return _svg(title, parts)
