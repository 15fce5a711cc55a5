"""Uptime: the share of the monitored time a monitor was not down, over any window up to now.

Time, not checks, is what counts: `measure()` reads a monitor's state history (StateChange) and
gives, for an interval, the seconds it was *monitored* (it existed and had a verdict: up, degraded
or down; not pending, paused, in the maintenance state, nor inside a maintenance window of its
own or of its component) and the seconds of that it was *down*. Uptime is 1 - down / monitored,
None when nothing was monitored. The hourly rollups (monitoring.rollups) store the same two
figures per hour, made by the same function.

A window [since, now) is read exactly, in pieces (DESIGN.md: uptime figures read the rollups):
- live from the state history: the part of the hour `since` falls in, and the last two hours
  (the previous hour's rollup may be up to one roll-up run behind, so it is not trusted yet);
- from daily rollups: the whole days in between;
- from hourly rollups: the hours on either side of those days.
So a window of any length costs the same five queries for any number of monitors: two sums over
the rollups and the three queries of one measure() of all the live pieces together.

Components: no component uptime here. With redundancy a component is down only while all its
monitors are down at once, which per-monitor sums cannot tell; it needs the overlap of their
histories, which is not cheap over 90 days.
"""

import operator
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import reduce

from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils import timezone

from .models import MaintenanceWindow, Monitor, Rollup, StateChange

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30), "90d": timedelta(days=90)}
# States with a verdict: time in them is monitored time.
VERDICT_STATES = frozenset({Monitor.State.UP, Monitor.State.DEGRADED, Monitor.State.DOWN})

Interval = tuple[datetime, datetime]


def floor_hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def floor_day(at: datetime) -> datetime:
    """The UTC midnight before AT: daily rollups start at UTC midnights, whatever the viewer's zone."""
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def ceil_hour(at: datetime) -> datetime:
    start = floor_hour(at)
    return start if start == at else start + HOUR


def ceil_day(at: datetime) -> datetime:
    start = floor_day(at)
    return start if start == at else start + DAY


def ratio(monitored: float, down: float) -> float | None:
    """Uptime from seconds monitored and down; None when nothing was monitored."""
    if monitored <= 0:
        return None
    return min(1.0, max(0.0, 1 - down / monitored))


# --- Public figures ------------------------------------------------------------------------------


def uptime_for(monitor_ids: Collection[int], since: datetime, now: datetime | None = None) -> dict[int, float | None]:
    """Uptime of each monitor over [since, now)."""
    figures = _uptimes(monitor_ids, {"window": since}, now or timezone.now())
    return {monitor_id: by_window["window"] for monitor_id, by_window in figures.items()}


def uptime_windows(monitor_ids: Collection[int], now: datetime | None = None) -> dict[int, dict[str, float | None]]:
    """Uptime of each monitor over the last 24 hours, 7, 30 and 90 days ("24h", "7d", "30d", "90d")."""
    now = now or timezone.now()
    return _uptimes(monitor_ids, {label: now - length for label, length in WINDOWS.items()}, now)


def _uptimes(monitor_ids: Collection[int], sinces: dict[str, datetime], now: datetime) -> dict:
    plans = {label: Plan.of(since, now) for label, since in sinces.items()}
    live_intervals = sorted({interval for plan in plans.values() for interval in plan.live})
    live = measure(live_intervals, monitor_ids)
    hourly = _rollup_sums(Rollup.Period.HOUR, {label: plan.hours for label, plan in plans.items()}, monitor_ids)
    daily = _rollup_sums(Rollup.Period.DAY, {label: plan.days for label, plan in plans.items()}, monitor_ids)
    figures = {}
    for monitor_id in monitor_ids:
        live_seconds = live.get(monitor_id, {})
        figures[monitor_id] = {
            label: ratio(
                *_total(
                    [
                        hourly[monitor_id][label],
                        daily[monitor_id][label],
                        *(live_seconds.get(interval, (0.0, 0.0)) for interval in plan.live),
                    ]
                )
            )
            for label, plan in plans.items()
        }
    return figures


def _total(pieces: list[tuple[float, float]]) -> tuple[float, float]:
    return sum(monitored for monitored, _ in pieces), sum(down for _, down in pieces)


@dataclass
class Plan:
    """Where each piece of a window [since, now) is read from (see the module's docstring)."""

    live: list[Interval] = field(default_factory=list)
    hours: list[Interval] = field(default_factory=list)  # hourly rollups starting in these ranges
    days: list[Interval] = field(default_factory=list)  # daily rollups starting in these ranges

    @classmethod
    def of(cls, since: datetime, now: datetime) -> "Plan":
        plan = cls()
        settled = floor_hour(now) - HOUR  # rollups before this are complete
        if since >= settled:
            plan.live.append((since, now))
            return plan
        first_hour = ceil_hour(since)
        if since < first_hour:
            plan.live.append((since, first_hour))
        plan.live.append((settled, now))
        first_day, last_day = ceil_day(first_hour), floor_day(settled)
        if first_day < last_day:
            plan.hours += [(first_hour, first_day), (last_day, settled)]
            plan.days.append((first_day, last_day))
        else:
            plan.hours.append((first_hour, settled))
        plan.hours = [(a, b) for a, b in plan.hours if a < b]
        return plan


def _rollup_sums(period: str, ranges: dict[str, list[Interval]], monitor_ids: Collection[int]) -> dict:
    """{monitor: {label: (monitored, down)}}, summing the rollups of PERIOD starting in each label's ranges."""
    sums: dict[int, dict[str, tuple[float, float]]] = defaultdict(lambda: defaultdict(lambda: (0.0, 0.0)))
    ranges = {label: spans for label, spans in ranges.items() if spans}
    if not ranges or not monitor_ids:
        return sums
    annotations = {}
    for n, spans in enumerate(ranges.values()):
        starting_in = _any_of(Q(start__gte=a, start__lt=b) for a, b in spans)
        annotations[f"monitored_{n}"] = Sum("monitored_seconds", filter=starting_in)
        annotations[f"down_{n}"] = Sum("downtime_seconds", filter=starting_in)
    every_span = [span for spans in ranges.values() for span in spans]
    rows = (
        Rollup.objects.filter(
            monitor_id__in=monitor_ids,
            period=period,
            start__gte=min(a for a, _ in every_span),
            start__lt=max(b for _, b in every_span),
        )
        .order_by()
        .values("monitor_id")
        .annotate(**annotations)
    )
    for row in rows:
        for n, label in enumerate(ranges):
            sums[row["monitor_id"]][label] = (row[f"monitored_{n}"] or 0.0, row[f"down_{n}"] or 0.0)
    return sums


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
