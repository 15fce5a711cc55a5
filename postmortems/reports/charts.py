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


def _svg(chart_id: str, title: str, desc: str, width: int, height: int, body: str) -> SafeString:
    body = body.replace(' class="s1" ', f' class="s1" fill="url(#{chart_id}-hatch)" ')
    return mark_safe(  # noqa: S308 (see the module's docstring)
        f'<svg class="chart" id="{chart_id}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"'
        f' viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(desc)}</desc>'
        f"{STYLE % {'id': chart_id}}{body}</svg>"
    )


BAR, BAR_GAP, TOP, BOTTOM, PLOT_HEIGHT = 16, 2, 34, 34, 150


def bar_chart(
    chart_id: str, title: str, categories: list[str], series: list[tuple[str, list[float | None]]], unit: str
) -> SafeString:
    """Vertical bars, one group per category and one bar per series (two at most: solid, then hatched)."""
    group_width = (BAR + BAR_GAP) * len(series) + 12
    width = max(320, 50 + len(categories) * group_width)
    highest = max([v for _, values in series for v in values if v is not None] or [0]) or 1
    baseline = TOP + PLOT_HEIGHT
    body = [f'<line class="axis" x1="40" y1="{baseline}" x2="{width - 4}" y2="{baseline}"/>', *_legend(series, unit)]
    for i, category in enumerate(categories):
        left = 44 + i * group_width
        for n, (name, values) in enumerate(series):
            body += _bar(left + n * (BAR + BAR_GAP), n, f"{category}, {name}", values[i], highest, unit)
        middle = left + (group_width - 12) / 2
        body.append(f'<text x="{middle}" y="{baseline + 14}" text-anchor="middle">{escape(category)}</text>')
    desc = "; ".join(
        f"{category}: " + ", ".join(f"{name} {_number(values[i])}" for name, values in series)
        for i, category in enumerate(categories)
    )
    return _svg(chart_id, title, f"{unit}. {desc}.", width, baseline + BOTTOM, "".join(body))


def _legend(series: list[tuple[str, list]], unit: str) -> list[str]:
    items = []
    for n, (name, _) in enumerate(series):
        x = 40 + n * 150
        items.append(f'<rect class="s{n}" x="{x}" y="6" width="12" height="12"/>')
        items.append(f'<text x="{x + 16}" y="16">{escape(name)} ({escape(unit)})</text>')
    return items


def _bar(x: float, n: int, name: str, value: float | None, highest: float, unit: str) -> list[str]:
    height = 0 if value is None else round(PLOT_HEIGHT * value / highest, 1)
    y = TOP + PLOT_HEIGHT - height
    label = f"{name}: {_number(value)}" + ("" if value is None else f" {unit}")
    shown = "-" if value is None else _number(value)
    return [
        f'<rect class="s{n}" x="{x}" y="{y}" width="{BAR}" height="{height}"><title>{escape(label)}</title></rect>',
        f'<text x="{x + BAR / 2}" y="{y - 3}" text-anchor="middle">{escape(shown)}</text>',
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
    """Each component's uptime over DAYS as a horizontal bar, its SLO as a dashed mark across it."""
    rows, row_height, label_width, bar_width = table.rows, 26, 150, 300
    width, height = label_width + bar_width + 230, 10 + max(1, len(rows)) * row_height
    shares = [row[f"uptime_{days}d_pct"] for row in rows if row[f"uptime_{days}d_pct"] is not None]
    floor = _scale_floor(min(shares + [row["slo_pct"] for row in rows] or [100.0]))
    scale = bar_width / (100 - floor)
    body, described = [], []
    for i, row in enumerate(rows):
        y, share, slo = 6 + i * row_height, row[f"uptime_{days}d_pct"], row["slo_pct"]
        body.append(f'<text x="0" y="{y + 14}">{escape(row["component"][:24])}</text>')
        if share is None:
            text = f"no data (SLO {slo:.3f}%)"
        else:
            met = share >= slo
            fill = round(max(0.0, share - floor) * scale, 1)
            text = f"{share:.3f}% (SLO {slo:.3f}%{'' if met else ', below SLO'})"
            body.append(
                f'<rect class="{"ok" if met else "miss"}" x="{label_width}" y="{y}" width="{fill}" height="18">'
                f"<title>{escape(row['component'])}: {escape(text)}</title></rect>"
            )
        mark = label_width + round(max(0.0, slo - floor) * scale, 1)
        body.append(f'<line class="slo" x1="{mark}" y1="{y - 2}" x2="{mark}" y2="{y + 20}"/>')
        body.append(f'<text x="{label_width + bar_width + 8}" y="{y + 14}">{escape(text)}</text>')
        described.append(f"{row['component']}: {text}")
    desc = f"Scale from {floor:g}% to 100%; the dashed mark is the SLO. " + "; ".join(described)
    return _svg(f"chart-uptime-{days}", f"Uptime over {days} days against SLO", desc, width, height, "".join(body))


def _scale_floor(lowest: float) -> float:
    """Where the uptime scale starts: low enough to show the lowest figure, high enough to tell 99.9 from 99.99."""
    for floor in (99.0, 95.0, 90.0, 50.0):
        if lowest >= floor:
            return floor
    return 0.0
