"""Actions on monitors and maintenance windows. The dashboard, the API and the admin call these.

Each do_* function takes the Actor first, validates through the model (Monitor.clean, whose checks
are the probe engine's), writes only the fields it owns, so a probe batch recording a result at
the same moment keeps its state fields, and records the audit entry. Redundancy groups have their
own actions and reads, in monitoring.redundancy.

Below the actions: the reads the dashboard and the API share (sparklines, the response-time
chart's buckets).
"""

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from vigil import ratelimit
from vigil.audit import Actor, record
from vigil_probes import ProbeConfigError, ProbeResult, run_probes_sync

from . import heartbeat_schedule
from .locations import deciding_results
from .models import CheckResult, Location, MaintenanceWindow, Monitor, StateChange
from .redundancy import refresh_groups_after_commit

State = Monitor.State

# The settings a person edits; everything else on a Monitor is state, kept by monitoring.recording.
SETTINGS_FIELDS = [
    "name", "kind", "target", "team", "component", "redundancy_group", "interval_seconds", "retry_interval_seconds",
    "failure_threshold", "recovery_threshold", "timeout_seconds", "severity", "escalation_policy",
    "method", "headers", "body", "expected_status", "keyword", "keyword_absent", "degraded_after_ms",
    "follow_redirects", "verify_tls", "port", "warn_days", "fail_days", "check_hostname",
    "record_type", "expected_value", "resolver", "period_seconds", "grace_seconds", "cron", "cron_timezone",
    "confirm_locations", "confirm_window_seconds",
    "steps",
]  # fmt: skip
MAINTENANCE_FIELDS = ["monitor", "component", "starts_at", "ends_at", "reason"]
PAUSE_FIELDS = ["state", "state_changed_at", "state_reason", "next_check_at", "updated_at"]
RESUME_FIELDS = [*PAUSE_FIELDS, "consecutive_failures", "consecutive_successes", "recent_outcomes", "flapping"]


class ActionError(Exception):
    """The action is not allowed in the monitor's present state. The message says why."""


class TooManyTests(ActionError):
    """The person tested too often (VIGIL_MONITOR_TEST_RATE); WAIT is the seconds until they may again."""

    def __init__(self, wait: int):
        super().__init__(f"Too many tests: try again in {wait} s.")
        self.wait = wait


def _locked(monitor: Monitor) -> Monitor:
    return Monitor.objects.select_for_update().get(pk=monitor.pk)


def first_check_at(monitor: Monitor, now: datetime) -> datetime | None:
    """When a monitor that starts (or starts again) is first looked at: probes at once, heartbeats at their deadline."""
    if monitor.is_heartbeat:
        return heartbeat_schedule.next_deadline(monitor, now)
    return now


def check_parents(monitor: Monitor, parents: Iterable[Monitor]) -> None:
    """A monitor cannot depend on itself, directly or through its parents' parents."""
    frontier = {parent.pk for parent in parents}
    if monitor.pk is None or not frontier:
        return  # a new monitor has no children yet, so no cycle through it
    links = Monitor.parents.through.objects
    seen: set[int] = set()
    while frontier:
        if monitor.pk in frontier:
            raise ValidationError({"parents": "A monitor cannot depend on itself, directly or through its parents."})
        seen |= frontier
        frontier = set(links.filter(from_monitor_id__in=frontier).values_list("to_monitor_id", flat=True)) - seen


def _differs(monitor: Monitor, name: str, value) -> bool:
    field = Monitor._meta.get_field(name)
    if field.is_relation:
        return getattr(monitor, field.attname) != (value.pk if value is not None else None)
    return getattr(monitor, name) != value


def _check_settings(fields: dict) -> None:
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"not monitor settings: {', '.join(sorted(unknown))}")


@transaction.atomic
def do_create_monitor(
    actor: Actor, *, parents: Iterable[Monitor] = (), locations: Iterable[Location] = (), **settings
) -> Monitor:
    """Create a monitor from SETTINGS (see SETTINGS_FIELDS); ValidationError names the bad fields.

    A probe monitor is checked at once; a heartbeat waits for its first deadline. LOCATIONS are
    where it is checked from (none: every location; monitoring.locations).
    """
    _check_settings(settings)
    monitor = Monitor(**settings)
    monitor.full_clean()
    monitor.next_check_at = first_check_at(monitor, timezone.now())
    monitor.save()
    if parents:  # a new monitor has none to take out: no query when it gets none
        monitor.parents.set(parents)
    if locations:
        monitor.locations.set(locations)
    record(actor, "monitor.create", monitor, kind=monitor.kind)
    refresh_groups_after_commit(monitor.redundancy_group_id)
    return monitor


@transaction.atomic
def do_update_monitor(
    actor: Actor,
    monitor: Monitor,
    *,
    parents: Iterable[Monitor] | None = None,
    locations: Iterable[Location] | None = None,
    **settings,
) -> Monitor:
    """Change a monitor's settings; returns the monitor as saved.

    Only the changed settings are written: the state fields belong to the recorder, which may be
    saving a result right now. A monitor whose settings changed is checked again soon, with them.
    """
    _check_settings(settings)
    monitor = _locked(monitor)
    group_before = monitor.redundancy_group_id
    changed = [name for name, value in settings.items() if _differs(monitor, name, value)]
    for name in changed:
        setattr(monitor, name, settings[name])
    monitor.full_clean()
    if parents is not None:
        parents = list(parents)
        check_parents(monitor, parents)
        if {p.pk for p in parents} != set(monitor.parents.values_list("pk", flat=True)):
            monitor.parents.set(parents)
            changed.append("parents")
    if locations is not None:
        locations = list(locations)
        if {loc.pk for loc in locations} != set(monitor.locations.values_list("pk", flat=True)):
            monitor.locations.set(locations)
            changed.append("locations")
    if not changed:
        return monitor
    fields = [name for name in changed if name not in ("parents", "locations")]
    if fields and monitor.state != State.PAUSED:
        monitor.next_check_at = first_check_at(monitor, timezone.now())
        fields.append("next_check_at")
    monitor.save(update_fields=[*fields, "updated_at"])
    record(actor, "monitor.update", monitor, changed=changed)
    if "redundancy_group" in changed:
        refresh_groups_after_commit(group_before, monitor.redundancy_group_id)
    return monitor


def _change_state(monitor: Monitor, to_state: str, reason: str, now: datetime) -> StateChange:
    change = StateChange.objects.create(
        monitor=monitor, at=now, from_state=monitor.state, to_state=to_state, reason=reason[:300]
    )
    monitor.state = to_state
    monitor.state_changed_at = now
    monitor.state_reason = reason[:300]
    return change


@transaction.atomic
def do_pause(actor: Actor, monitor: Monitor) -> Monitor:
    """Stop checking a monitor: no probe, no alert, until it is resumed.

    An incident the monitor opened stays open: a person pausing during an outage decides its end.
    """
    monitor = _locked(monitor)
    if monitor.state == State.PAUSED:
        raise ActionError(f"{monitor.name} is paused already.")
    previous = monitor.state
    _change_state(monitor, State.PAUSED, f"paused by {actor.label}", timezone.now())
    monitor.next_check_at = None
    monitor.save(update_fields=PAUSE_FIELDS)
    record(actor, "monitor.pause", monitor, previous=previous)
    refresh_groups_after_commit(monitor.redundancy_group_id)  # a paused replica is not counted
    return monitor


@transaction.atomic
def do_rotate_ping_url(actor: Actor, monitor: Monitor) -> Monitor:
    """A heartbeat's new ping URL. The old one answers 404 from now on (the ping buffer forgets its token
    after commit; pings it buffered before are dropped at the next flush, as any unknown token's are)."""
    import uuid

    from .heartbeats import forget_token

    monitor = _locked(monitor)
    if not monitor.is_heartbeat:
        raise ActionError(f"{monitor.name} is not a heartbeat: it has no ping URL.")
    old = str(monitor.ping_token)
    monitor.ping_token = uuid.uuid4()
    monitor.save(update_fields=["ping_token", "updated_at"])
    record(actor, "monitor.rotate_ping_url", monitor)  # never the token itself
    transaction.on_commit(lambda: forget_token(old))
    return monitor


@transaction.atomic
def do_resume(actor: Actor, monitor: Monitor) -> Monitor:
    """Check a paused monitor again, from a clean slate: pending until its first outcomes."""
    monitor = _locked(monitor)
    if monitor.state != State.PAUSED:
        raise ActionError(f"{monitor.name} is not paused.")
    now = timezone.now()
    _change_state(monitor, State.PENDING, f"resumed by {actor.label}", now)
    monitor.consecutive_failures = monitor.consecutive_successes = 0
    monitor.recent_outcomes = ""
    monitor.flapping = False
    monitor.next_check_at = first_check_at(monitor, now)
    monitor.save(update_fields=RESUME_FIELDS)
    record(actor, "monitor.resume", monitor)
    refresh_groups_after_commit(monitor.redundancy_group_id)
    return monitor


@transaction.atomic
def do_delete(actor: Actor, monitor: Monitor) -> None:
    """Delete a monitor with its results and history. An incident it opened stays, for the record."""
    record(actor, "monitor.delete", monitor, kind=monitor.kind, watched=monitor.target)
    refresh_groups_after_commit(monitor.redundancy_group_id)
    monitor.delete()


def do_test_now(actor: Actor, monitor: Monitor) -> ProbeResult:
    """Run one probe of MONITOR now and return what it found: a saved monitor (*Test now*) or the
    settings of one not saved yet (*Test* on the monitor form, the API's monitors/test/).

    The probe is the scheduled checks' own: the same engine, limits and address rule
    (VIGIL_PROBE_ALLOWED_NETWORKS), so a test reaches nothing a monitor could not. A person may test
    VIGIL_MONITOR_TEST_RATE times (per user, or per address without one); TooManyTests past that.
    The result is shown, not recorded: the state machine and the uptime figures see only the
    scheduled checks, so a person testing cannot push a monitor down or up.
    """
    if monitor.is_heartbeat:
        raise ActionError("A heartbeat monitor has nothing to probe: it waits for pings.")
    try:
        probe = monitor.probe()
    except ProbeConfigError as exc:
        raise ActionError(f"The monitor's settings are invalid: {exc}") from exc
    _spend_a_test(actor)
    result = run_probes_sync([probe])[0]
    if "screenshot_png" in result.details:  # a browser check's picture is for its stored runs, not a test's page
        result = dataclasses.replace(result, details={k: v for k, v in result.details.items() if k != "screenshot_png"})
    details = {"state": str(result.state), "latency_ms": result.latency_ms}
    if monitor.pk is None:  # settings not saved: no target row, and no target either (it may hold a secret)
        record(actor, "monitor.test", None, kind=monitor.kind, unsaved=True, **details)
    else:
        record(actor, "monitor.test", monitor, **details)
    return result


def _spend_a_test(actor: Actor) -> None:
    """Count one test of ACTOR; TooManyTests when over VIGIL_MONITOR_TEST_RATE (vigil.ratelimit's
    counters in Django's cache: a cache that cannot count lets the test through, logged)."""
    rate = django_settings.VIGIL_MONITOR_TEST_RATE
    if not rate:
        return
    identity = f"user{actor.user.pk}" if actor.user is not None else f"ip{actor.ip}"
    wait = ratelimit.hit(None, "monitor-test", identity, rate)  # the identity is the key: no request needed
    if wait is not None:
        raise TooManyTests(wait)


@transaction.atomic
def do_add_maintenance(
    actor: Actor,
    *,
    starts_at: datetime,
    ends_at: datetime,
    monitor: Monitor | None = None,
    component=None,
    reason: str = "",
) -> MaintenanceWindow:
    """Plan a window in which MONITOR (or every monitor of COMPONENT) is checked but alerts nobody."""
    window = MaintenanceWindow(
        monitor=monitor, component=component, starts_at=starts_at, ends_at=ends_at, reason=reason, created_by=actor.user
    )
    window.full_clean()
    window.save()
    record(actor, "maintenance.add", window, starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat())
    return window


@transaction.atomic
def do_change_maintenance(actor: Actor, window: MaintenanceWindow, **fields) -> MaintenanceWindow:
    """Move or retarget a window (ending it early is setting ends_at to now)."""
    unknown = set(fields) - set(MAINTENANCE_FIELDS)
    if unknown:
        raise TypeError(f"not maintenance window fields: {', '.join(sorted(unknown))}")
    window = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
    for name, value in fields.items():
        setattr(window, name, value)
    window.full_clean()
    window.save(update_fields=list(fields))
    record(actor, "maintenance.change", window, changed=sorted(fields))
    return window


@transaction.atomic
def do_delete_maintenance(actor: Actor, window: MaintenanceWindow) -> None:
    record(actor, "maintenance.delete", window)
    window.delete()


# --------------------------------------------------------------------------- reads


class Check(NamedTuple):
    """One check as a sparkline draws it."""

    outcome: int
    latency_ms: float | None

    @property
    def ok(self) -> bool:
        return self.outcome != CheckResult.Outcome.DOWN


def latest_results(monitor_ids: Sequence[int], per_monitor: int) -> dict[int, list[Check]]:
    """The newest PER_MONITOR checks of each monitor, oldest first, in one query.

    A UNION ALL of one small query per monitor, each an index range read of its newest rows
    (result_monitor_time_idx), so the cost does not grow with the results kept. A window function
    would number every kept result of every monitor before keeping 30 of each. The subqueries sit
    in FROM clauses because SQLite allows no ORDER BY or LIMIT on a compound's own members.
    """
    if not monitor_ids:
        return {}
    quote = connection.ops.quote_name
    names = {
        "table": quote(CheckResult._meta.db_table),
        "chosen": quote(Monitor.locations.through._meta.db_table),
        "location": quote(Location._meta.db_table),
    }
    # The deciding location's checks only (monitoring.locations.deciding_results): central ones,
    # unless the monitor runs on agents only. The EXISTS tests name no column of the row, so the
    # database answers them once per monitor, not once per row.
    member = (
        "SELECT * FROM (SELECT monitor_id, checked_at, outcome, latency_ms FROM {table}"
        " WHERE monitor_id = %s AND (location_id IS NULL OR ("
        "EXISTS (SELECT 1 FROM {chosen} WHERE monitor_id = %s) AND NOT EXISTS (SELECT 1 FROM {chosen} c"
        " JOIN {location} l ON l.id = c.location_id WHERE c.monitor_id = %s AND l.is_central = %s)))"
        " ORDER BY checked_at DESC LIMIT %s) AS r{n}"
    )
    sql = " UNION ALL ".join(member.format(**names, n=n) for n in range(len(monitor_ids)))
    params = [value for pk in monitor_ids for value in (pk, pk, pk, True, per_monitor)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # checked_at is only a sort key: a datetime on PostgreSQL, on SQLite the stored text, whose
    # fixed layout sorts in time order. Raw rows, not models: a page draws 3,000 of them.
    rows.sort(key=lambda row: row[1])
    found: dict[int, list[Check]] = {pk: [] for pk in monitor_ids}
    for monitor_id, _checked_at, outcome, latency_ms in rows:
        found[monitor_id].append(Check(outcome, latency_ms))
    return found


@dataclass(frozen=True, slots=True)
class Bucket:
    """One slice of the response-time chart."""

    start: datetime
    end: datetime
    checks: int = 0
    failures: int = 0
    avg_ms: float | None = None
    max_ms: float | None = None


def response_times(monitor: Monitor, since: datetime, until: datetime, slices: int) -> list[Bucket]:
    """MONITOR's checks between SINCE and UNTIL cut into SLICES equal buckets.

    Latency figures count the checks that got an answer: a timed-out check's latency is the
    timeout, which would draw the limit instead of the service. Failures are counted apart.
    """
    width = (until - since) / slices
    rows = (
        CheckResult.objects.filter(deciding_results(), monitor=monitor, checked_at__gte=since, checked_at__lt=until)
        .order_by()
        .values_list("checked_at", "outcome", "latency_ms")
    )
    checks, failures, latencies = [0] * slices, [0] * slices, [[] for _ in range(slices)]
    for checked_at, outcome, latency in rows:
        n = min(int((checked_at - since) / width), slices - 1)
        checks[n] += 1
        if outcome == CheckResult.Outcome.DOWN:
            failures[n] += 1
        elif latency is not None:
            latencies[n].append(latency)
    return [
        Bucket(
            start=since + width * n,
            end=since + width * (n + 1),
            checks=checks[n],
            failures=failures[n],
            avg_ms=sum(latencies[n]) / len(latencies[n]) if latencies[n] else None,
            max_ms=max(latencies[n], default=None),
        )
        for n in range(slices)
    ]


def merge_buckets(buckets: Sequence[Bucket], size: int) -> list[Bucket]:
    """Groups of SIZE consecutive buckets as one each (the chart's table shows hours, not minutes)."""
    merged = []
    for n in range(0, len(buckets), size):
        group = buckets[n : n + size]
        answered = [(b.avg_ms, b.checks - b.failures) for b in group if b.avg_ms is not None]
        weight = sum(count for _, count in answered)
        merged.append(
            Bucket(
                start=group[0].start,
                end=group[-1].end,
                checks=sum(b.checks for b in group),
                failures=sum(b.failures for b in group),
                avg_ms=sum(avg * count for avg, count in answered) / weight if weight else None,
                max_ms=max((b.max_ms for b in group if b.max_ms is not None), default=None),
            )
        )
    return merged
