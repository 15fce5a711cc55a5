"""Charts as inline SVG, drawn on the server (no chart library).

Each chart is an <svg role="img"> named by its <title> and described by its <desc>, carries its
numbers as text next to the bars, and tells series apart by pattern as well as colour; the page
shows each chart's numbers as a table too. Every text goes through escape(), every number a format.
"""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .tables import Table

# The charts' colours are in static/vigil.css (svg.chart): a <style> element here would be refused by the
# Content-Security-Policy. Only the hatch of a second series is per chart: a fill attribute names its pattern.
STYLE = (
    '<defs><pattern id="%(id)s-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    '<rect width="6" height="6" fill="#f3c9a9"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c2571a" stroke-width="3"/>'
    "</pattern></defs>"
)


def _number(value: float | None) -> str:
    if value is None:
        return "no data"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}".removesuffix(".0")


# Legible at any size the page gives a chart (issue #15: 320 px wide with 11 px labels). Text is FONT
# units high; a chart is never drawn narrower than MIN_TEXT_PX / FONT of its width (its inline
# min-width), so no label is under 12 px, nor under 600 px wide on a desktop (MIN_WIDTH units); it
# grows with the page up to GROW times its width. On a phone the figure scrolls sideways
# (static/vigil.css: .report-chart).
FONT, MIN_TEXT_PX, MIN_WIDTH, GROW = 15, 12.5, 760, 1.3
CHAR = FONT * 0.62  # a generous average width of a character of the chart's font, in units


def _text_width(text: str) -> float:
    return len(text) * CHAR


def _svg(chart_id: str, title: str, desc: str, width: int, height: int, body: str) -> SafeString:
    body = body.replace(' class="s1" ', f' class="s1" fill="url(#{chart_id}-hatch)" ')
    smallest = round(width * MIN_TEXT_PX / FONT)
    return mark_safe(  # noqa: S308 (see the module's docstring)
        f'<svg class="chart" id="{chart_id}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"'
        f' viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet"'
        f' style="min-width:{smallest}px;max-width:{round(width * GROW)}px">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(desc)}</desc>'
        f"{STYLE % {'id': chart_id}}{body}</svg>"
    )


BAR, BAR_GAP, GROUP_GAP, TOP, BOTTOM, PLOT_HEIGHT, LEFT = 30, 4, 26, 48, 40, 220, 64


def bar_chart(
    chart_id: str, title: str, categories: list[str], series: list[tuple[str, list[float | None]]], unit: str
) -> SafeString:
    """Vertical bars, one group per category and one bar per series (two at most: solid, then hatched),
    each with its value above it, a value axis on the left and the categories below."""
    widest = max([_text_width(c) for c in categories] or [0])
    group_width = max((BAR + BAR_GAP) * len(series) - BAR_GAP, widest) + GROUP_GAP
    width = max(MIN_WIDTH, LEFT + len(categories) * group_width + 10)
    highest = max([v for _, values in series for v in values if v is not None] or [0]) or 1
    baseline = TOP + PLOT_HEIGHT
    body = [*_value_axis(highest, baseline, width), *_legend(series, unit)]
    for i, category in enumerate(categories):
        left = LEFT + 6 + i * group_width
        bars_width = (BAR + BAR_GAP) * len(series) - BAR_GAP
        start = left + (group_width - GROUP_GAP - bars_width) / 2
        for n, (name, values) in enumerate(series):
            body += _bar(start + n * (BAR + BAR_GAP), n, f"{category}, {name}", values[i], highest, unit)
        middle = left + (group_width - GROUP_GAP) / 2
        body.append(f'<text x="{middle}" y="{baseline + FONT + 8}" text-anchor="middle">{escape(category)}</text>')
    desc = "; ".join(
        f"{category}: " + ", ".join(f"{name} {_number(values[i])}" for name, values in series)
        for i, category in enumerate(categories)
    )
    return _svg(chart_id, title, f"{unit}. {desc}.", width, baseline + BOTTOM, "".join(body))


def _value_axis(highest: float, baseline: float, width: float) -> list[str]:
    """The baseline, a faint line at half and at the top, each with its value on the left."""
    items = []
    for share in (0, 0.5, 1):
        y = round(baseline - PLOT_HEIGHT * share, 1)
        kind = "axis" if share == 0 else "grid"
        items.append(f'<line class="{kind}" x1="{LEFT}" y1="{y}" x2="{width - 4}" y2="{y}"/>')
        value = _number(highest * share)
        items.append(f'<text class="tick" x="{LEFT - 6}" y="{y + FONT / 3}" text-anchor="end">{value}</text>')
    return items


def _legend(series: list[tuple[str, list]], unit: str) -> list[str]:
    items, x = [], LEFT
    for n, (name, _) in enumerate(series):
        text = f"{name} ({unit})"
        items.append(f'<rect class="s{n}" x="{x}" y="8" width="{FONT}" height="{FONT}"/>')
        items.append(f'<text x="{x + FONT + 6}" y="{8 + FONT - 2}">{escape(text)}</text>')
        x += FONT + 6 + _text_width(text) + 24
    return items


def _bar(x: float, n: int, name: str, value: float | None, highest: float, unit: str) -> list[str]:
    height = 0 if value is None else round(PLOT_HEIGHT * value / highest, 1)
    y = TOP + PLOT_HEIGHT - height
    label = f"{name}: {_number(value)}" + ("" if value is None else f" {unit}")
    shown = "-" if value is None else _number(value)
    return [
        f'<rect class="s{n}" x="{x}" y="{y}" width="{BAR}" height="{height}"><title>{escape(label)}</title></rect>',
        f'<text x="{x + BAR / 2}" y="{y - 5}" text-anchor="middle">{escape(shown)}</text>',
    ]


def durations_chart(table: Table) -> SafeString:
    """MTTA and MTTR per month."""
    return bar_chart(
        "chart-monthly",
        "MTTA and MTTR per month",
        [row["month"] for row in table.rows],
        [("MTTA", [row["mtta_minutes"] for row in table.rows]), ("MTTR", [row["mttr_minutes"] for row in table.rows])],
        "minutes",
    )


def severity_chart(table: Table) -> SafeString:
    return bar_chart(
        "chart-severity",
        "Incidents by severity",
        [row["severity"] for row in table.rows],
        [("Incidents", [row["incidents"] for row in table.rows])],
        "incidents",
    )


def uptime_chart(table: Table, days: int = 30) -> SafeString:
    """Each component's uptime over DAYS as a horizontal bar, its SLO as a dashed mark across it, and the
    period in the title (the table's periods: "over the last 30 days, to Dec 4")."""
    rows, row_height = table.rows, 34
    label_width = max([_text_width(row["component"][:32]) for row in rows] or [0]) + 12
    bar_width = 360
    texts = []
    for row in rows:
        share, slo = row[f"uptime_{days}d_pct"], row["slo_pct"]
        if share is None:
            texts.append(f"no data (SLO {slo:.3f}%)")
        else:
            texts.append(f"{share:.3f}% (SLO {slo:.3f}%{'' if share >= slo else ', below SLO'})")
    width = max(MIN_WIDTH, round(label_width + bar_width + 16 + max([_text_width(t) for t in texts] or [0])))
    height = 12 + max(1, len(rows)) * row_height
    shares = [row[f"uptime_{days}d_pct"] for row in rows if row[f"uptime_{days}d_pct"] is not None]
    floor = _scale_floor(min(shares + [row["slo_pct"] for row in rows] or [100.0]))
    scale = bar_width / (100 - floor)
    body, described = [], []
    for i, (row, text) in enumerate(zip(rows, texts, strict=True)):
        y, share, slo = 8 + i * row_height, row[f"uptime_{days}d_pct"], row["slo_pct"]
        body.append(f'<text x="0" y="{y + FONT + 1}">{escape(row["component"][:32])}</text>')
        if share is not None:
            fill = round(max(0.0, share - floor) * scale, 1)
            body.append(
                f'<rect class="{"ok" if share >= slo else "miss"}" x="{label_width}" y="{y}"'
                f' width="{fill}" height="22">'
                f"<title>{escape(row['component'])}: {escape(text)}</title></rect>"
            )
        mark = label_width + round(max(0.0, slo - floor) * scale, 1)
        body.append(f'<line class="slo" x1="{mark}" y1="{y - 3}" x2="{mark}" y2="{y + 25}"/>')
        body.append(f'<text x="{label_width + bar_width + 16}" y="{y + FONT + 1}">{escape(text)}</text>')
        described.append(f"{row['component']}: {text}")
    period = table.periods.get(days, f"over {days} days")
    desc = f"Scale from {floor:g}% to 100%; the dashed mark is the SLO. " + "; ".join(described)
    title = f"Uptime {period}, against SLO"
    return _svg(f"chart-uptime-{days}", title, desc, width, height, "".join(body))


def _scale_floor(lowest: float) -> float:
    """Where the uptime scale starts: low enough to show the lowest figure, high enough to tell 99.9 from 99.99."""
    for floor in (99.0, 95.0, 90.0, 50.0):
        if lowest >= floor:
            return floor
    return 0.0
