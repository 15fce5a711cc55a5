"""The dashboard's charts: mention volume and mean sentiment per brand over time, as inline SVG.

Drawn with vigil.svg's primitives and palette (the page's CSS variables, so both schemes
apply), no script. Each brand's line has its own dash pattern as well as its own colour, the
legend names them, and the chart's description gives each brand's figures in words.
"""

from collections.abc import Callable
from itertools import groupby

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString

from vigil import svg

from .stats import Comparison, Series

# (colour, dash pattern) per line, ours first.
STYLES = [
    ("var(--accent)", ""),
    ("var(--warn)", "6 3"),
    ("var(--bad)", "2 3"),
    ("var(--muted)", "8 3 2 3"),
    ("var(--ok)", "1 3"),
]


def _line_style(n: int) -> str:
    colour, dash = STYLES[n % len(STYLES)]
    style = f"fill:none;stroke:{colour};stroke-width:2;stroke-linejoin:round;stroke-linecap:round"
    return style + (f";stroke-dasharray:{dash}" if dash else "")


def _time_labels(comparison: Comparison, left: float, slot: float, top: float, bottom: float, height: int):
    parts = []
    every = 1 if len(comparison.starts) <= 14 else 7
    for n, start in enumerate(comparison.starts):
        local = timezone.localtime(start)
        if comparison.unit == "hour":
            # A day: every six hours; a week: each midnight.
            every_hours = 6 if len(comparison.starts) <= 48 else 24
            if local.minute or local.hour % every_hours:
                continue
            text = f"{local:%H:%M}" if local.hour else f"{local:%b %d}"
        else:
            if n % every:
                continue
            text = f"{local:%b %d}"
        x = left + n * slot
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" style="{svg.GRID}"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 18}" style="{svg.LABEL}">{escape(text)}</text>')
    return parts


def _legend(series: list[Series], left: float, width: int) -> list[str]:
    parts, x = [], left
    for n, line in enumerate(series):
        parts.append(f'<line x1="{x:.1f}" x2="{x + 22:.1f}" y1="8" y2="8" style="{_line_style(n)}"/>')
        parts.append(f'<text x="{x + 27:.1f}" y="12" style="{svg.LABEL}">{escape(line.name)}</text>')
        x += 40 + 7 * len(line.name)
        if x > width - 60:
            break
    return parts


def line_chart(
    comparison: Comparison,
    values: Callable[[Series], list[float | None]],
    *,
    title: str,
    ident: str,
    description: str,
    low: float,
    high: float,
    ticks: list[float],
    tick_label: Callable[[float], str],
    width: int = 720,
    height: int = 240,
) -> SafeString:
    """One line per brand of COMPARISON, VALUES(series) per bucket (None leaves a gap)."""
    left, right, top, bottom = 56, width - 10, 24, height - 34
    slot = (right - left) / max(len(comparison.starts), 1)

    def y(value: float) -> float:
        return bottom - (value - low) / ((high - low) or 1) * (bottom - top)

    parts = []
    for tick in ticks:
        level = y(tick)
        parts.append(f'<line x1="{left}" x2="{right}" y1="{level:.1f}" y2="{level:.1f}" style="{svg.GRID}"/>')
        parts.append(
            f'<text x="{left - 6}" y="{level + 4:.1f}" text-anchor="end" style="{svg.LABEL}">'
            f"{escape(tick_label(tick))}</text>"
        )
    parts += _time_labels(comparison, left, slot, top, bottom, height)
    for n, line in enumerate(comparison.series):
        style = _line_style(n)
        for present, run in groupby(enumerate(values(line)), key=lambda item: item[1] is not None):
            points = [(left + (i + 0.5) * slot, y(value)) for i, value in run] if present else []
            if len(points) == 1:
                x, level = points[0]
                parts.append(f'<circle cx="{x:.1f}" cy="{level:.1f}" r="2" style="{style}"/>')
            elif points:
                parts.append(f'<polyline points="{svg.polyline_points(points)}" style="{style}"/>')
    parts += _legend(comparison.series, left, width)
    return svg.element(
        f'class="chart" role="img" aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {width} {height}"'
        ' width="100%" preserveAspectRatio="xMidYMid meet"',
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(description)}</desc>'
        + "".join(parts),
    )


def _per(comparison: Comparison) -> str:
    return "an hour" if comparison.unit == "hour" else "a day"


def volume_chart(comparison: Comparison, ident: str = "rep-volume") -> SafeString:
    top = svg.nice_ceiling(max((max(line.counts, default=0) for line in comparison.series), default=0))
    words = "; ".join(
        f"{line.name}: {line.total} mentions, at most {max(line.counts, default=0)} {_per(comparison)}"
        for line in comparison.series
    )
    return line_chart(
        comparison,
        lambda line: line.counts,
        title=f"Mentions {_per(comparison)}, per brand",
        ident=ident,
        description=(words or "No mentions in this period.") + ".",
        low=0,
        high=top,
        ticks=[0, top / 2, top],
        tick_label=lambda v: f"{v:g}",
    )


def sentiment_chart(comparison: Comparison, ident: str = "rep-sentiment") -> SafeString:
    words = "; ".join(
        f"{line.name}: mean sentiment {line.mean_sentiment:+.2f}, {line.negative_share:.0%} negative"
        for line in comparison.series
        if line.total
    )
    return line_chart(
        comparison,
        lambda line: line.sentiment,
        title=f"Mean sentiment {_per(comparison)}, per brand (-1 to +1)",
        ident=ident,
        description=(words or "No mentions in this period.") + ".",
        low=-1,
        high=1,
        ticks=[-1, 0, 1],
        tick_label=lambda v: f"{v:+g}" if v else "0",
    )
