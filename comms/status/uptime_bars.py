"""The uptime bars: one bar a day per public component, from the day its monitoring began, and its figure.

Every number comes from monitoring.uptime.component_seconds, the one function the monitor page
and the reports read too (issue #15: one number, one function), asked for through
incidents.providers.component_uptime (comms imports no app beside it, issue #16), and is written
by vigil.figures: a component's uptime on a day is
the share of its monitors' monitored time that was not down (time in maintenance or paused is not
monitored, so a maintenance window does not count as downtime), and its figure is the same over
the last VIGIL_STATUS_UPTIME_DAYS days, [now - N days, now), as the report's and the monitor
page's "90 days", shown with its period in words.

The bars start on the UTC day monitoring of the component began (its first monitor's creation, or
an older rollup: history imported or kept): no grey days before it, where there was nothing to
show. A day after that with nothing monitored (monitors paused, not checking) is grey and says so.
A component without monitors has no bars: it says "Not monitored".

Each bar carries its day, that figure and the public incidents and maintenances the component had
that day, in words: in a <title> (the tooltip and the accessible name) of a focusable bar, so
neither a mouse nor colour is needed to read it.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from incidents import providers
from vigil.figures import floor_day, last_days, period_words
from vigil.figures import percent as uptime_percent

from .public_types import DayBar, PublicComponent, PublicEvent

BAR_WIDTH, BAR_GAP, BAR_HEIGHT = 3, 1, 34
TOTAL = "total"


def days_shown() -> int:
    return settings.VIGIL_STATUS_UPTIME_DAYS


def attach_bars(
    components: list[PublicComponent], incidents: list[PublicEvent], maintenances: list[PublicEvent], now: datetime
) -> None:
    """Give each monitored component its bars, its uptime and the period of that figure (seven queries)."""
    count = days_shown()
    first = floor_day(now) - timedelta(days=count - 1)
    days = [first + timedelta(days=n) for n in range(count)]
    ids = [c.id for c in components]
    began = providers.monitored_since(ids)
    windows = {day: (day, day + timedelta(days=1)) for day in days}
    windows[TOTAL] = last_days(count, now)
    figures = providers.component_uptime(windows, ids, now)
    for component in components:
        if component.id not in began:
            continue
        by_day = figures.get(component.id, {})
        # Monitoring began: the monitors' creation, or the first day a rollup already has time for.
        start = min([began[component.id], *(day for day in days if by_day.get(day) and by_day[day].monitored > 0)])
        component.monitored = True
        component.monitored_since = start
        component.bars = [
            DayBar(
                day=day,
                uptime=by_day[day].uptime if day in by_day else None,
                incidents=_names_on(day, component.id, incidents, now),
                maintenances=_names_on(day, component.id, maintenances, now, started_only=True),
            )
            for day in days
            if day >= floor_day(start)
        ]
        total = by_day.get(TOTAL)
        component.uptime = total.uptime if total else None
        component.uptime_period = period_words(*windows[TOTAL], began=start)


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
    """99.95%, floored: 99.999% is not shown as 100.00% (vigil.figures.percent, as everywhere)."""
    return uptime_percent(share)


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
    if bar.uptime is not None:
        text += f"{percent(bar.uptime)} uptime."
    else:
        text += "no data: nothing was monitored that day (monitors paused or not checking)."
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
    """The component's bars as inline SVG, the newest on the right. Every text went through escape(),
    every number a format. The box always holds VIGIL_STATUS_UPTIME_DAYS bars, so a bar is as wide on
    a component monitored for a week as on one monitored for a year: the days before monitoring
    began are left empty, not drawn grey."""
    slots = days_shown()
    width = slots * (BAR_WIDTH + BAR_GAP) - BAR_GAP
    offset = slots - len(component.bars)
    rects = "".join(
        f'<rect x="{(offset + n) * (BAR_WIDTH + BAR_GAP)}" width="{BAR_WIDTH}" height="{BAR_HEIGHT}"{_class(bar)}'
        f' tabindex="0" role="img"><title>{escape(describe(bar))}</title></rect>'
        for n, bar in enumerate(component.bars)
    )
    label = f"Uptime of {component.name} {component.uptime_period}: {percent(component.uptime)}"
    return mark_safe(  # noqa: S308 (see the docstring)
        f'<svg class="bars" role="group" aria-label="{escape(label)}" viewBox="0 0 {width} {BAR_HEIGHT}"'
        f' preserveAspectRatio="none" width="100%" height="{BAR_HEIGHT}">{rects}</svg>'
    )
