"""bench/scaling.py's chart: one small panel per path, time per unit against size (log x), as SVG.

Built as plain text (no charting library is among Vigil's dependencies, and a chart of a few
points does not justify one): the y axis of each panel starts at zero, so a flat line reads as
flat, and a dashed line marks 1.5x the smallest size's cost, for scale.
"""

import math
from html import escape
from pathlib import Path

PANEL_W, PANEL_H, PAD_L, PAD_B, PAD_T, PAD_R = 240, 180, 52, 34, 28, 12
COLUMNS = 3


def _number(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def _panel(path: str, summary: dict, goal: float, x0: int, y0: int) -> list[str]:
    sizes, values = summary["sizes"], summary["ms_per_unit"]
    w, h = PANEL_W - PAD_L - PAD_R, PANEL_H - PAD_T - PAD_B
    low, high = math.log10(min(sizes)), math.log10(max(sizes))
    top = max(max(values), values[0] * goal) * 1.15 or 1.0

    def x(size):
        return x0 + PAD_L + (w * (math.log10(size) - low) / (high - low) if high > low else w / 2)

    def y(value):
        return y0 + PAD_T + h - h * value / top

    title = f"{path}: ms per {summary['unit']} (growth {summary['growth_ratio']:.2f}x)"
    out = [
        f'<text x="{x0 + PANEL_W / 2}" y="{y0 + 16}" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{x0 + PAD_L}" y1="{y(0):.1f}" x2="{x0 + PAD_L + w}" y2="{y(0):.1f}" stroke="#888"/>',
        f'<line x1="{x0 + PAD_L}" y1="{y0 + PAD_T}" x2="{x0 + PAD_L}" y2="{y(0):.1f}" stroke="#888"/>',
        f'<line x1="{x0 + PAD_L}" y1="{y(values[0] * goal):.1f}" x2="{x0 + PAD_L + w}" '
        f'y2="{y(values[0] * goal):.1f}" stroke="#c33" stroke-dasharray="4 3"/>',
    ]
    for tick in (0, top / 2, top):
        out.append(f'<text x="{x0 + PAD_L - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:.3g}</text>')
    for size in sizes:
        out.append(f'<text x="{x(size):.1f}" y="{y(0) + 14:.1f}" text-anchor="middle">{_number(size)}</text>')
    pairs = list(zip(sizes, values, strict=True))
    points = " ".join(f"{x(s):.1f},{y(v):.1f}" for s, v in pairs)
    out.append(f'<polyline points="{points}" fill="none" stroke="#2563eb" stroke-width="2"/>')
    out += [f'<circle cx="{x(s):.1f}" cy="{y(v):.1f}" r="3" fill="#2563eb"/>' for s, v in pairs]
    return out


def write_svg(target: Path, results: dict, goal: float) -> None:
    """RESULTS: bench/scaling.py's summaries by path (sizes, ms_per_unit, unit, growth_ratio)."""
    rows = math.ceil(len(results) / COLUMNS)
    width, height = PANEL_W * min(COLUMNS, len(results)), PANEL_H * rows + 34
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for n, (path, summary) in enumerate(results.items()):
        parts += _panel(path, summary, goal, PANEL_W * (n % COLUMNS), PANEL_H * (n // COLUMNS))
    parts.append(
        f'<text x="6" y="{height - 20}" fill="#555">size (log scale) on x; dashed: {goal:g}x the smallest '
        "size's cost per unit, for scale</text>"
    )
    parts.append(
        f'<text x="6" y="{height - 6}" fill="#555">growth: the most the cost per unit rose from a size to a '
        f"larger one (goal &lt;= {goal:g}). bench/scaling.py</text>"
    )
    parts.append("</svg>")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(parts) + "\n")
