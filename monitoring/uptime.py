"""Uptime: the share of the monitored time a monitor was not down, over any window. One function for every figure.

Time, not checks, is what counts: `measure()` reads a monitor's state history (StateChange) and
gives, for an interval, the seconds it was *monitored* (it existed and had a verdict: up, degraded
or down; not pending, paused, in the maintenance state, nor inside a maintenance window of its
own or of its component) and the seconds of that it was *down*. Uptime is 1 - down / monitored,
None when nothing was monitored. The hourly rollups (monitoring.rollups) store the same two
figures per hour, made by the same function.

`seconds()` is the one function every uptime figure comes from (issue #15: the reports once said
100% where the status page said 99.56% for the same component, as each summed rollups its own
way over its own days): the monitor page and the API (uptime_windows, uptime_for), the status
page's bars and figures and the reports' uptime, SLO and error budget (component_seconds) all
read it. A window [since, until) is read exactly, in pieces (DESIGN.md: uptime figures read the rollups):
- live from the state history: the part of the hour `since` falls in, the part of the hour
  `until` falls in, and anything after the settled hours (the previous hour's rollup may be up
  to one roll-up run behind, so the last two hours are not trusted yet);
- from daily rollups: the whole days in between;
- from hourly rollups: the hours on either side of those days.
So any number of windows of any length, for any number of monitors, costs the same five
queries: the rollup rows of the two periods and the three queries of one measure() of all the
live pieces together.

"The last N days" is always [now - N days, now), and a figure is shown with its period in words
("over the last 90 days, to Dec 4"): vigil.figures writes them, for every page that shows one.
The status page and the reports, beside monitoring, ask for component_seconds() through
incidents.providers.component_uptime (registered in MonitoringConfig.ready()).

Components: a component's figure sums its monitors' seconds (component_seconds), as the status
page and the reports always have. With redundancy a component is down only while all its
monitors are down at once, which per-monitor sums cannot tell; it needs the overlap of their
histories, which is not cheap over 90 days.
"""

import operator
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import reduce

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from vigil.figures import DAY, HOUR, Interval, floor_day, ratio

from .models import MaintenanceWindow, Monitor, Rollup, StateChange

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30), "90d": timedelta(days=90)}
# States with a verdict: time in them is monitored time.
VERDICT_STATES = frozenset({Monitor.State.UP, Monitor.State.DEGRADED, Monitor.State.DOWN})


def floor_hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(at: datetime) -> datetime:
    start = floor_hour(at)
    return start if start == at else start + HOUR


def ceil_day(at: datetime) -> datetime:
    start = floor_day(at)
    return start if start == at else start + DAY


# --- The one function ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Seconds:
    """What a window holds for a monitor, or summed for a component's monitors."""

    monitored: float = 0.0
    down: float = 0.0
    monitors: int = 0  # how many monitors had monitored time in it (per-monitor minutes in the reports)

    @property
    def uptime(self) -> float | None:
        return ratio(self.monitored, self.down)

    def __add__(self, other: "Seconds") -> "Seconds":
        return Seconds(self.monitored + other.monitored, self.down + other.down, self.monitors + other.monitors)


def seconds(
    monitor_ids: Collection[int], windows: Mapping[Hashable, Interval], now: datetime | None = None
) -> dict[int, dict[Hashable, Seconds]]:
    """{monitor: {label: Seconds}} for each window [since, until) of WINDOWS, read exactly (see the module's
    docstring). A window reaching past NOW ends at NOW. Five queries, whatever the windows and monitors."""
    now = now or timezone.now()
    monitor_ids = list(monitor_ids)
    plans = {label: Plan.of(since, min(until, now), now) for label, (since, until) in windows.items()}
    live_intervals = sorted({interval for plan in plans.values() for interval in plan.live})
    live = measure(live_intervals, monitor_ids) if monitor_ids else {}
    hourly = _rollup_rows(Rollup.Period.HOUR, [span for plan in plans.values() for span in plan.hours], monitor_ids)
    daily = _rollup_rows(Rollup.Period.DAY, [span for plan in plans.values() for span in plan.days], monitor_ids)
    figures = {}
    for monitor_id in monitor_ids:
        pieces_live = live.get(monitor_id, {})
        figures[monitor_id] = {}
        for label, plan in plans.items():
            pieces = [
                *_summed(hourly.get(monitor_id), plan.hours),
                *_summed(daily.get(monitor_id), plan.days),
                *(pieces_live.get(interval, (0.0, 0.0)) for interval in plan.live),
            ]
            monitored, down = sum(m for m, _ in pieces), sum(d for _, d in pieces)
            figures[monitor_id][label] = Seconds(monitored, down, 1 if monitored > 0 else 0)
    return figures


def component_seconds(
    windows: Mapping[Hashable, Interval], component_ids: Collection[int] | None = None, now: datetime | None = None
) -> dict[int, dict[Hashable, Seconds]]:
    """{component: {label: Seconds}}: seconds() of each component's monitors, summed. Six queries."""
    monitors = Monitor.objects.filter(component__isnull=False)
    if component_ids is not None:
        monitors = monitors.filter(component_id__in=list(component_ids))
    component_of = dict(monitors.values_list("pk", "component_id"))
    by_monitor = seconds(list(component_of), windows, now)
    totals: dict[int, dict[Hashable, Seconds]] = defaultdict(lambda: dict.fromkeys(windows, Seconds()))
    for monitor_id, figures in by_monitor.items():
        component = totals[component_of[monitor_id]]
        for label, figure in figures.items():
            component[label] = component[label] + figure
    return dict(totals)


def uptime_for(monitor_ids: Collection[int], since: datetime, now: datetime | None = None) -> dict[int, float | None]:
    """Uptime of each monitor over [since, now)."""
    now = now or timezone.now()
    figures = seconds(monitor_ids, {"window": (since, now)}, now)
    return {monitor_id: by_window["window"].uptime for monitor_id, by_window in figures.items()}


def uptime_windows(monitor_ids: Collection[int], now: datetime | None = None) -> dict[int, dict[str, float | None]]:
    """Uptime of each monitor over the last 24 hours, 7, 30 and 90 days ("24h", "7d", "30d", "90d")."""
    now = now or timezone.now()
    figures = seconds(monitor_ids, {label: (now - length, now) for label, length in WINDOWS.items()}, now)
    return {
        monitor_id: {label: figure.uptime for label, figure in by_window.items()}
        for monitor_id, by_window in figures.items()
    }


@dataclass
class Plan:
    """Where each piece of a window [since, until) is read from (see the module's docstring)."""

    live: list[Interval] = field(default_factory=list)
    hours: list[Interval] = field(default_factory=list)  # hourly rollups starting in these ranges
    days: list[Interval] = field(default_factory=list)  # daily rollups starting in these ranges

    @classmethod
    def of(cls, since: datetime, until: datetime, now: datetime) -> "Plan":
        plan = cls()
        if until <= since:
            return plan
        settled = floor_hour(now) - HOUR  # rollups before this are complete
        rolled_until = min(until, settled)
        if since < rolled_until:
            plan._read_rolled(since, rolled_until)
        if settled < until:
            plan.live.append((max(since, settled), until))
        return plan

    def _read_rolled(self, since: datetime, until: datetime) -> None:
        """[since, until), all before the settled hours: whole days and hours from rollups, the edges live."""
        first_hour, last_hour = ceil_hour(since), floor_hour(until)
        if first_hour >= last_hour:
            self.live.append((since, until))
            return
        if since < first_hour:
            self.live.append((since, first_hour))
        if last_hour < until:
            self.live.append((last_hour, until))
        first_day, last_day = ceil_day(first_hour), floor_day(last_hour)
        if first_day < last_day:
            self.hours += [(first_hour, first_day), (last_day, last_hour)]
            self.days.append((first_day, last_day))
        else:
            self.hours.append((first_hour, last_hour))
        self.hours = [(a, b) for a, b in self.hours if a < b]


def _rollup_rows(period: str, spans: list[Interval], monitor_ids: Collection[int]) -> dict[int, list]:
    """{monitor: [(start, monitored, down), ...] by start}: the rollups of PERIOD starting in any of SPANS."""
    rows: dict[int, list] = defaultdict(list)
    if not spans or not monitor_ids:
        return rows
    starting_in = _any_of(Q(start__gte=a, start__lt=b) for a, b in _union(spans))
    found = (
        Rollup.objects.filter(starting_in, monitor_id__in=monitor_ids, period=period)
        .order_by("monitor_id", "start")
        .values_list("monitor_id", "start", "monitored_seconds", "downtime_seconds")
    )
    for monitor_id, start, monitored, down in found.iterator(chunk_size=5000):
        rows[monitor_id].append((start, monitored, down))
    return rows


def _summed(rows: list | None, spans: list[Interval]) -> Iterable[tuple[float, float]]:
    """(monitored, down) of the ROWS starting in each of SPANS."""
    if not rows:
        return
    for a, b in spans:
        for start, monitored, down in rows[bisect_left(rows, a, key=lambda row: row[0]) :]:
            if start >= b:
                break
            yield monitored, down


def _any_of(conditions: Iterable[Q]) -> Q:
    return reduce(operator.or_, conditions)


# --- Seconds monitored and down, from the state history -------------------------------------------


def measure(
    intervals: Sequence[Interval], monitor_ids: Collection[int] | None = None
) -> dict[int, dict[Interval, tuple[float, float]]]:
    """{monitor: {interval: (monitored seconds, down seconds)}} for MONITOR_IDS (None: all monitors).

    Three queries whatever the number of monitors and intervals: the monitors with their state at
    the start of each interval, the state changes within the intervals, and the maintenance windows
    overlapping them.
    """
    if not intervals:
        return {}
    monitors = _monitors_with_states_at(intervals, monitor_ids)
    changes = _changes_within(intervals, monitor_ids)
    windows = _maintenance_within(intervals, monitors)
    figures = {}
    for monitor in monitors:
        excluded = windows.get(monitor["pk"], [])
        history = changes.get(monitor["pk"], [])
        figures[monitor["pk"]] = {
            (a, b): _seconds(monitor[f"state_{n}"], history, excluded, max(a, monitor["created_at"]), b)
            for n, (a, b) in enumerate(intervals)
        }
    return figures


def _monitors_with_states_at(intervals: Sequence[Interval], monitor_ids: Collection[int] | None) -> list[dict]:
    """The monitors that existed in the intervals, with `state_<n>`: their state when interval n starts.

    That state is the latest change's before the start; with none, the state the first change
    after it left; with no change at all, the monitor's state now.
    """
    monitors = Monitor.objects.order_by("pk").filter(created_at__lt=max(b for _, b in intervals))
    if monitor_ids is not None:
        monitors = monitors.filter(pk__in=monitor_ids)
    annotations = {}
    for n, (a, _) in enumerate(intervals):
        history = StateChange.objects.filter(monitor=OuterRef("pk"))
        annotations[f"before_{n}"] = Subquery(history.filter(at__lt=a).order_by("-at", "-id").values("to_state")[:1])
        annotations[f"after_{n}"] = Subquery(history.filter(at__gte=a).order_by("at", "id").values("from_state")[:1])
    rows = list(monitors.annotate(**annotations).values("pk", "created_at", "component_id", "state", *annotations))
    for row in rows:
        for n in range(len(intervals)):
            before, after = row.pop(f"before_{n}"), row.pop(f"after_{n}")
            row[f"state_{n}"] = before or after or row["state"]
    return rows


def _changes_within(intervals: Sequence[Interval], monitor_ids: Collection[int] | None) -> dict[int, list]:
    """{monitor: [(at, to_state), ...]} in time order, for the changes inside any of the intervals."""
    changes = StateChange.objects.filter(_any_of(Q(at__gte=a, at__lt=b) for a, b in intervals))
    if monitor_ids is not None:
        changes = changes.filter(monitor_id__in=monitor_ids)
    history: dict[int, list] = defaultdict(list)
    rows = changes.order_by("monitor_id", "at", "id").values_list("monitor_id", "at", "to_state")
    for monitor_id, at, to_state in rows.iterator(chunk_size=5000):
        history[monitor_id].append((at, to_state))
    return history


def _maintenance_within(intervals: Sequence[Interval], monitors: list[dict]) -> dict[int, list[Interval]]:
    """{monitor: disjoint, sorted maintenance spans} from the windows of each monitor and of its component."""
    overlapping = _any_of(Q(starts_at__lt=b, ends_at__gt=a) for a, b in intervals)
    by_monitor, by_component = defaultdict(list), defaultdict(list)
    for monitor_id, component_id, starts_at, ends_at in MaintenanceWindow.objects.filter(overlapping).values_list(
        "monitor_id", "component_id", "starts_at", "ends_at"
    ):
        if monitor_id:
            by_monitor[monitor_id].append((starts_at, ends_at))
        if component_id:
            by_component[component_id].append((starts_at, ends_at))
    spans = {}
    for monitor in monitors:
        own = by_monitor.get(monitor["pk"], []) + by_component.get(monitor["component_id"], [])
        if own:
            spans[monitor["pk"]] = _union(own)
    return spans


def _union(spans: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _seconds(
    state: str, history: list[tuple[datetime, str]], excluded: list[Interval], start: datetime, end: datetime
) -> tuple[float, float]:
    """(monitored, down) seconds in [start, end) for a monitor in STATE at START whose later changes are HISTORY."""
    if start >= end:
        return 0.0, 0.0
    monitored = down = 0.0
    at = start
    for change_at, to_state in history[bisect_left(history, start, key=lambda change: change[0]) :]:
        if change_at >= end:
            break
        seconds = _counted(at, change_at, excluded)
        monitored, down = _add(monitored, down, state, seconds)
        at, state = change_at, to_state
    return _add(monitored, down, state, _counted(at, end, excluded))


def _add(monitored: float, down: float, state: str, seconds: float) -> tuple[float, float]:
    if state not in VERDICT_STATES:
        return monitored, down
    return monitored + seconds, down + (seconds if state == Monitor.State.DOWN else 0.0)


def _counted(a: datetime, b: datetime, excluded: list[Interval]) -> float:
    """Seconds of [a, b) outside the EXCLUDED spans."""
    if b <= a:
        return 0.0
    inside = sum(max(timedelta(0), min(b, end) - max(a, start)).total_seconds() for start, end in excluded)
    return (b - a).total_seconds() - inside
