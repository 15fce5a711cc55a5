"""Confirmation across locations (issue #21): a monitor checked from several places is *down* only
when at least K of them see it down; fewer make it *degraded*, "failing from eu-west".

Each location's own results stay raw (CheckResult.location; none for the central install). What
the monitor's state machine (monitoring.state) is fed instead of a raw outcome is the verdict of
its locations at that moment:

- the locations that count are the monitor's (those chosen, or every active one when none is),
  and of those only the ones whose latest result lies within the window (the monitor's
  `confirm_window_seconds`, by default two intervals plus the timeout). A silent agent is not
  counted: its silence is its own alert (monitoring.agent_health), never a monitor's outage;
- K is the monitor's `confirm_locations` (by default a majority of the locations that count),
  never more than the locations that count, so a monitor whose other agents went silent is still
  watched by the ones left;
- K or more down: "down", naming where from; some down, fewer than K: "degraded" ("failing from
  eu-west: ..."); none down but some degraded: "degraded"; else "up".

The state machine then applies the monitor's thresholds, flapping, maintenance, dependencies and
redundancy to the verdicts exactly as it does to one location's outcomes, so nothing downstream
knows how many places looked. A monitor with one location (every install without agents) is not
touched: its outcomes go to the state machine as they are, and this module costs it no query.

Verdicts are worked out in check time order, each from the results up to that time, so results
an agent buffered during an outage and sends late are judged as of when they were taken.
"""

from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Q

from .models import CheckResult, Location, Monitor

CENTRAL = None  # the central install's key among a monitor's locations (its results carry no location)
STATES = {CheckResult.Outcome.UP: "up", CheckResult.Outcome.DEGRADED: "degraded", CheckResult.Outcome.DOWN: "down"}


@dataclass(frozen=True, slots=True)
class Seen:
    """The latest result one location has for one monitor."""

    checked_at: datetime
    state: str
    reason: str


@dataclass(slots=True)
class Panel:
    """One monitor's locations and what each saw last; judge() folds in one result at a time."""

    monitor: Monitor
    locations: frozenset  # location ids, CENTRAL for the central install
    names: dict  # location id -> name, for reasons
    latest: dict = field(default_factory=dict)  # location id -> Seen, as of the last result judged
    stored: deque = field(default_factory=deque)  # (location id, Seen) already stored, in time order, not folded yet

    @property
    def window(self) -> timedelta:
        return window_of(self.monitor)

    def judge(self, location_id: int | None, state: str, reason: str, checked_at: datetime) -> tuple[str, str]:
        """Fold in one location's result and return the monitor's verdict (state, reason) then:
        stored results taken up to CHECKED_AT count, later ones do not (yet)."""
        while self.stored and self.stored[0][1].checked_at <= checked_at:
            self._fold(*self.stored.popleft())
        self._fold(location_id, Seen(checked_at, state, reason))
        counted = {
            loc: seen
            for loc, seen in self.latest.items()
            if loc in self.locations and checked_at - self.window < seen.checked_at <= checked_at
        }
        return verdict(self.monitor, counted, self.names)

    def _fold(self, location_id: int | None, seen: Seen) -> None:
        previous = self.latest.get(location_id)
        if previous is None or previous.checked_at <= seen.checked_at:
            self.latest[location_id] = seen


def window_of(monitor: Monitor) -> timedelta:
    seconds = monitor.confirm_window_seconds or 2 * monitor.interval_seconds + monitor.timeout_seconds
    return timedelta(seconds=seconds)


def needed(monitor: Monitor, counted: int) -> int:
    """K: how many of COUNTED locations must see MONITOR down (a majority unless it says)."""
    wanted = monitor.confirm_locations or counted // 2 + 1
    return max(1, min(wanted, counted))


def verdict(monitor: Monitor, counted: dict, names: dict) -> tuple[str, str]:
    """(state, reason) of MONITOR from COUNTED {location: Seen}, as the module docstring says."""
    down = sorted((loc for loc, seen in counted.items() if seen.state == "down"), key=lambda loc: names[loc])
    if down:
        where = ", ".join(names[loc] for loc in down)
        first = counted[down[0]].reason
        k = needed(monitor, len(counted))
        if len(down) >= k:
            return "down", f"down from {where} ({len(down)} of {len(counted)} locations): {first}"
        return "degraded", f"failing from {where} ({len(down)} of {len(counted)} locations, {k} needed): {first}"
    slow = sorted((loc for loc, seen in counted.items() if seen.state == "degraded"), key=lambda loc: names[loc])
    if slow:
        return "degraded", f"degraded from {', '.join(names[loc] for loc in slow)}: {counted[slow[0]].reason}"
    return "up", ""


def panels(monitors: Sequence[Monitor], since: datetime) -> dict[int, Panel]:
    """A Panel for each of MONITORS checked from more than one location, with the results stored
    from SINCE less its window on (three queries; one when no agent location is active)."""
    agents = dict(
        Location.objects.filter(is_central=False, revoked_at__isnull=True).values_list("pk", "name").order_by()
    )
    if not agents or not monitors:
        return {}
    names = {CENTRAL: "central", **agents}
    chosen = defaultdict(set)
    rows = Monitor.locations.through.objects.filter(monitor_id__in=[m.pk for m in monitors])
    for monitor_id, location_id, is_central in rows.values_list("monitor_id", "location_id", "location__is_central"):
        if is_central:
            chosen[monitor_id].add(CENTRAL)
        elif location_id in agents:
            chosen[monitor_id].add(location_id)
    everywhere = frozenset(names)
    found = {}
    for monitor in monitors:
        if monitor.is_heartbeat:
            continue
        locations = frozenset(chosen[monitor.pk]) if monitor.pk in chosen else everywhere
        if len(locations) > 1:
            found[monitor.pk] = Panel(monitor, locations, names)
    _fill(found, since)
    return found


def _fill(found: dict[int, Panel], since: datetime) -> None:
    """Each panel's stored results from SINCE less its window on, in time order: those up to SINCE
    folded in, the later ones kept for judge() to fold in when it reaches their time."""
    if not found:
        return
    oldest = since - max(panel.window for panel in found.values())
    rows = (
        CheckResult.objects.filter(monitor_id__in=list(found), checked_at__gte=oldest)
        .order_by("checked_at")
        .values_list("monitor_id", "location_id", "checked_at", "outcome", "reason")
    )
    for monitor_id, location_id, checked_at, outcome, reason in rows.iterator(chunk_size=5000):
        seen = Seen(checked_at, STATES[outcome], reason)
        panel = found[monitor_id]
        if checked_at < since:
            panel.latest[location_id] = seen
        else:
            panel.stored.append((location_id, seen))


def per_location(monitor: Monitor, now: datetime) -> list[dict]:
    """What each of MONITOR's locations sees now, for the monitor page and the API: its name,
    region, latest state and reason, latency, when, whether it still counts, and its share of
    good checks and average answered latency over the last 24 hours (from the raw results).
    Two queries, plus one per location for its latest result."""
    locations = list(monitor.locations.all()) or list(Location.objects.filter(revoked_at__isnull=True))
    if not locations:
        return []
    window = window_of(monitor)
    day = CheckResult.objects.filter(monitor=monitor, checked_at__gte=now - timedelta(hours=24)).order_by()
    figures = {
        row["location_id"]: row
        for row in day.values("location_id").annotate(
            total=Count("id"),
            good=Count("id", filter=~Q(outcome=CheckResult.Outcome.DOWN)),
            avg=Avg("latency_ms", filter=~Q(outcome=CheckResult.Outcome.DOWN)),
        )
    }
    rows = []
    for location in locations:
        key = CENTRAL if location.is_central else location.pk
        latest = CheckResult.objects.filter(monitor=monitor, location_id=key).order_by("-checked_at").first()
        day_figures = figures.get(key, {"total": 0, "good": 0, "avg": None})
        total = day_figures["total"]
        rows.append(
            {
                "location": location.name,
                "region": location.region,
                "central": location.is_central,
                "state": STATES[latest.outcome] if latest else "pending",
                "reason": latest.reason if latest else "",
                "latency_ms": latest.latency_ms if latest else None,
                "checked_at": latest.checked_at if latest else None,
                "counted": bool(latest and now - window < latest.checked_at),
                "uptime_24h": round(100 * day_figures["good"] / total, 3) if total else None,
                "avg_latency_ms_24h": round(day_figures["avg"], 1) if day_figures["avg"] is not None else None,
                "checks_24h": total,
            }
        )
    return rows
