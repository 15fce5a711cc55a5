"""What every server-drawn chart shares: the palette and the few primitives of inline SVG.

Monitoring's latency charts (monitoring.svg) and reputation's mention charts (reputation.charts)
draw with these, so both follow the page's own colours (CSS variables: the light and dark schemes
both apply) and build their markup the same safe way. No script and no chart library.
"""

from collections.abc import Sequence

from django.utils.safestring import SafeString, mark_safe

LINE = "fill:none;stroke:var(--accent);stroke-width:1.5;stroke-linejoin:round;stroke-linecap:round"
FAINT = "fill:none;stroke:var(--muted);stroke-width:1;stroke-dasharray:3 3"
GRID = "stroke:var(--line);stroke-width:1"
FAILED = "fill:var(--bad)"
LABEL = "fill:var(--muted);font-size:11px;font-family:inherit"


def element(attributes: str, body: str) -> SafeString:
    """An <svg> element from markup its caller built: every text in it went through escape()
    and every number through a format spec, so nothing from the database reaches it raw."""
    return mark_safe(f"<svg {attributes}>{body}</svg>")  # noqa: S308 (see the docstring)


def polyline_points(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least VALUE (an axis's top)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= value:
            return float(factor * magnitude)
    return float(10 * magnitude)
