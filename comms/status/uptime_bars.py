"""The 90-day uptime bars: one bar a day per public component, from the monitors' daily rollups.

A component's uptime on a day is the share of its monitors' monitored time that was not down
(their daily rollups summed: time in maintenance or paused is not monitored, so a maintenance
window does not count as downtime). Each bar carries its day, that figure and the public
incidents and maintenances the component had that day, in words: in a <title> (the tooltip and
the accessible name) of a focusable bar, so neither a mouse nor colour is needed to read it.
"""

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from monitoring.models import Monitor, Rollup
from monitoring.uptime import floor_day

from .public import DayBar, PublicComponent, PublicEvent

BAR_WIDTH, BAR_GAP, BAR_HEIGHT = 3, 1, 34


def days_shown() -> int:
    return int(getattr(settings, "VIGIL_STATUS_UPTIME_DAYS", 90))


def attach_bars(
    components: list[PublicComponent], incidents: list[PublicEvent], maintenances: list[PublicEvent], now: datetime
) -> None:
    """Give each component its bars and its uptime over them (two queries for all components)."""
    count = days_shown()
    first = floor_day(now) - timedelta(days=count - 1)
    days = [first + timedelta(days=n) for n in range(count)]
    seconds = _rollup_seconds([c.id for c in components], first)
    monitored_components = set(
        Monitor.objects.filter(component_id__in=[c.id for c in components]).values_list("component_id", flat=True)
    )
    for component in components:
        component.monitored = component.id in monitored_components
        by_day = seconds.get(component.id, {})
        component.bars = [
            DayBar(
                day=day,
                uptime=_ratio(*by_day.get(day, (0.0, 0.0))),
                incidents=_names_on(day, component.id, incidents, now),
                maintenances=_names_on(day, component.id, maintenances, now, started_only=True),
            )
            for day in days
        ]
        totals = [by_day.get(day, (0.0, 0.0)) for day in days]
        component.uptime = _ratio(sum(m for m, _ in totals), sum(d for _, d in totals))


def _rollup_seconds(component_ids: list[int], since: datetime) -> dict[int, dict[datetime, tuple[float, float]]]:
    """{component: {day: (monitored, down)}}: its monitors' daily rollups summed."""
    rows = Rollup.objects.filter(
        period=Rollup.Period.DAY, start__gte=since, monitor__component_id__in=component_ids
    ).values_list("monitor__component_id", "start", "monitored_seconds", "downtime_seconds")
    sums: dict[int, dict[datetime, tuple[float, float]]] = defaultdict(dict)
    for component_id, start, monitored, down in rows:
        day = start.astimezone(UTC)
        before = sums[component_id].get(day, (0.0, 0.0))
        sums[component_id][day] = (before[0] + monitored, before[1] + down)
    return sums


def _ratio(monitored: float, down: float) -> float | None:
    if monitored <= 0:
        return None
    return min(1.0, max(0.0, 1 - down / monitored))


def _names_on(
    day: datetime, component_id: int, events: list[PublicEvent], now: datetime, started_only: bool = False
) -> list[str]:
    end_of_day = day + timedelta(days=1)
    names = []
    for event in events:
        if started_only and event.status == "scheduled":
            continue
        start, end = event.started_at, event.ends_at or now
        if start < end_of_day and end >= day and any(c.id == component_id for c in event.components):
            names.append(event.name)
    return names


# --- Drawing ---------------------------------------------------------------------------------------


def percent(share: float | None) -> str:
    """99.95%, floored: 99.999% is not shown as 100.00%."""
    if share is None:
        return "no data"
    return f"{math.floor(share * 10000) / 100:.2f}%"


def level(bar: DayBar) -> str:
    """The bar's class: how bad the day was, from downtime and incidents (the text says it too)."""
    if bar.uptime is None:
        worst = "none" if not bar.incidents else "minor"
    elif bar.uptime < 0.95:
        worst = "critical"
    elif bar.uptime < 0.99:
        worst = "major"
    elif bar.uptime < 0.999 or bar.incidents:
        worst = "minor"
    else:
        worst = "ok"
    if worst in ("ok", "none") and bar.maintenances:
        return "maint"
    return worst


def describe(bar: DayBar) -> str:
    text = f"{bar.day.day} {bar.day:%b %Y}: "
    text += f"{percent(bar.uptime)} uptime." if bar.uptime is not None else "no data."
    if bar.incidents:
        text += " Incidents: " + "; ".join(bar.incidents) + "."
    elif bar.uptime is not None:
        text += " No incidents."
    if bar.maintenances:
        text += " Maintenance: " + "; ".join(bar.maintenances) + "."
    return text


def _class(bar: DayBar) -> str:
    """A good day takes the default colour (the page's CSS): most days, so most bars, carry no class."""
    name = level(bar)
    return "" if name == "ok" else f' class="b-{name}"'


def bars_svg(component: PublicComponent) -> SafeString:
    """The component's bars as inline SVG. Every text went through escape(), every number a format."""
    width = len(component.bars) * (BAR_WIDTH + BAR_GAP) - BAR_GAP
    rects = "".join(
        f'<rect x="{n * (BAR_WIDTH + BAR_GAP)}" width="{BAR_WIDTH}" height="{BAR_HEIGHT}"{_class(bar)}'
        f' tabindex="0" role="img"><title>{escape(describe(bar))}</title></rect>'
        for n, bar in enumerate(component.bars)
    )
    label = f"Uptime of {component.name} over the last {len(component.bars)} days: {percent(component.uptime)}"
    return mark_safe(  # noqa: S308 (see the docstring)
        f'<svg class="bars" role="group" aria-label="{escape(label)}" viewBox="0 0 {width} {BAR_HEIGHT}"'
        f' preserveAspectRatio="none" width="100%" height="{BAR_HEIGHT}">{rects}</svg>'
    )
