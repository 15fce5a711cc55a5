"""Charts drawn on the server as inline SVG: the list's latency sparkline and the monitor page's
response-time chart. No script and no chart library: the page shows them as it arrives.

Each chart is an image with a name (role="img" and a title) that says in words what it shows,
so a screen reader gets the figures, and colours come from the page's own palette (the CSS
variables), so the light and dark schemes both apply. Failures are drawn as marks of their own
shape, not only a colour.
"""

from collections.abc import Sequence
from itertools import groupby

from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

from vigil.svg import FAILED, FAINT, GRID, LABEL, LINE, element, nice_ceiling, polyline_points


def format_ms(ms: float | None) -> str:
    """42 ms, 1.3 s; <1 ms for a loopback answer."""
    if ms is None:
        return "—"
    if ms < 1:
        return "<1 ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.1f} s"


def sparkline(results: Sequence, width: int = 120, height: int = 28) -> SafeString:
    """RESULTS (oldest first; each with .ok and .latency_ms) as a small line of their latencies,
    with a tick under each failed check."""
    if not results:
        return format_html('<span class="muted">{}</span>', "No checks yet")
    answered = [r.latency_ms for r in results if r.ok and r.latency_ms is not None]
    failed = sum(not r.ok for r in results)
    label = f"Response time of the last {len(results)} checks: "
    if answered:
        label += f"{format_ms(min(answered))} to {format_ms(max(answered))}, latest {format_ms(answered[-1])}."
    else:
        label += "no answer."
    label += f" {failed} failed." if failed else " None failed."
    top, bottom = 2.0, height - 6.0
    step = (width - 4) / max(len(results) - 1, 1)
    scale = (bottom - top) / (max(answered) if answered and max(answered) > 0 else 1)
    line, marks = [], []
    for n, result in enumerate(results):
        x = 2 + n * step
        if not result.ok:
            marks.append(f'<rect x="{x - 1.5:.1f}" y="{height - 4}" width="3" height="4" style="{FAILED}"/>')
        elif result.latency_ms is not None:
            line.append((x, bottom - result.latency_ms * scale))
    path = f'<polyline points="{polyline_points(line)}" style="{LINE}"/>' if len(line) > 1 else ""
    return element(
        f'class="sparkline" role="img" aria-label="{escape(label)}" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}"',
        f"<title>{escape(label)}</title>{path}{''.join(marks)}",
    )


def chart_summary(buckets) -> str:
    """The chart in words: what the checks found over the whole period."""
    checks = sum(b.checks for b in buckets)
    if not checks:
        return "No checks in this period."
    failures = sum(b.failures for b in buckets)
    answered = [(b.avg_ms, b.checks - b.failures) for b in buckets if b.avg_ms is not None]
    weight = sum(count for _, count in answered)
    average = sum(avg * count for avg, count in answered) / weight if weight else None
    slowest = max((b.max_ms for b in buckets if b.max_ms is not None), default=None)
    periods = sum(1 for failing, _ in groupby(buckets, key=lambda b: b.failures > 0) if failing)
    text = f"{checks} checks, {failures} failed"
    text += f" in {periods} period{'s' if periods != 1 else ''}." if failures else "."
    if average is not None:
        text += f" Average response time {format_ms(average)}, slowest {format_ms(slowest)}."
    return text


def response_time_chart(buckets, title: str, ident: str, width: int = 720, height: int = 220) -> SafeString:
    """BUCKETS (monitoring.services.Bucket, in time order) as a line of average latency, a dashed
    line of the slowest check, and a mark under each slice with failures. IDENT makes the ids unique."""
    left, right, top, bottom = 56, width - 10, 10, height - 34
    ceiling = nice_ceiling(max((b.max_ms for b in buckets if b.max_ms is not None), default=0))
    slot = (right - left) / max(len(buckets), 1)

    def y(ms: float) -> float:
        return bottom - ms / ceiling * (bottom - top)

    parts = []
    for fraction in (0, 0.5, 1):
        level = y(ceiling * fraction)
        parts.append(f'<line x1="{left}" x2="{right}" y1="{level:.1f}" y2="{level:.1f}" style="{GRID}"/>')
        parts.append(
            f'<text x="{left - 6}" y="{level + 4:.1f}" text-anchor="end" style="{LABEL}">'
            f"{escape(format_ms(ceiling * fraction) if fraction else '0')}</text>"
        )
    for n, bucket in enumerate(buckets):
        start = timezone.localtime(bucket.start)
        if start.minute == 0 and start.hour % 6 == 0:
            x = left + n * slot
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" style="{GRID}"/>')
            parts.append(f'<text x="{x:.1f}" y="{height - 18}" style="{LABEL}">{start:%H:%M}</text>')
        if bucket.failures:
            x = left + n * slot
            parts.append(
                f'<rect x="{x:.1f}" y="{height - 12}" width="{max(slot - 1, 2):.1f}" height="8" style="{FAILED}">'
                f"<title>{bucket.failures} of {bucket.checks} checks failed from {start:%H:%M}</title></rect>"
            )
    for key, style in (("max_ms", FAINT), ("avg_ms", LINE)):
        for answered, run in groupby(enumerate(buckets), key=lambda item: getattr(item[1], key) is not None):
            points = [(left + (n + 0.5) * slot, y(getattr(b, key))) for n, b in run] if answered else []
            if len(points) == 1:
                x, level = points[0]
                parts.append(f'<circle cx="{x:.1f}" cy="{level:.1f}" r="1.5" style="{LINE}"/>')
            elif points:
                parts.append(f'<polyline points="{polyline_points(points)}" style="{style}"/>')
    return element(
        f'class="chart" role="img" aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {width} {height}"'
        ' width="100%" preserveAspectRatio="xMidYMid meet"',
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(chart_summary(buckets))}'
        " The solid line is the average response time, the dashed line the slowest check; red marks along"
        f" the bottom are failed checks.</desc>{''.join(parts)}",
    )
