"""Where check outcomes land: results written in bulk, state machine run, incidents told.

Probe batches (monitoring.tasks.run_checks) and heartbeats (monitoring.heartbeats) both hand their
outcomes to record_observations as Observations; it is the one writer of monitor state.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from incidents.models import ComponentStatus
from vigil.db import bulk_insert, bulk_set

from . import alerting, browser_runs, confirmation, metrics, state
from .models import CheckResult, MaintenanceWindow, Monitor, StateChange
from .state import Transition

logger = logging.getLogger(__name__)

OUTCOMES = {"up": CheckResult.Outcome.UP, "degraded": CheckResult.Outcome.DEGRADED, "down": CheckResult.Outcome.DOWN}
RESULT_COLUMNS = ("monitor_id", "checked_at", "outcome", "latency_ms", "status_code", "reason", "location_id")
STATE_FIELDS = [
    "state",
    "state_changed_at",
    "state_reason",
    "flapping",
    "consecutive_failures",
    "consecutive_successes",
    "recent_outcomes",
    "next_check_at",
    "last_checked_at",
    "last_latency_ms",
    "last_failure_at",
    "last_failure_reason",
]


@dataclass(frozen=True, slots=True)
class Observation:
    """One outcome for one monitor: a probe's result, a heartbeat's ping or its absence."""

    monitor_id: int
    state: str  # "up", "degraded" or "down"
    checked_at: datetime
    latency_ms: float | None = None
    status_code: int | None = None
    reason: str = ""
    due_at: datetime | None = None  # when the check was due, for the cadence and the lag
    location_id: int | None = None  # the agent's location (monitoring.agent_results); None: central
    details: dict | None = None  # a browser probe's steps, console errors, screenshot (monitoring.browser_runs)


def in_maintenance(monitors: Sequence[Monitor], now: datetime) -> set[int]:
    """Ids of MONITORS in a maintenance window now, their own or their component's (one query)."""
    component_ids = {m.component_id for m in monitors if m.component_id}
    windows = MaintenanceWindow.objects.filter(starts_at__lte=now, ends_at__gt=now).filter(
        Q(monitor_id__in=[m.pk for m in monitors]) | Q(component_id__in=component_ids)
    )
    by_monitor, by_component = set(), set()
    for monitor_id, component_id in windows.values_list("monitor_id", "component_id"):
        by_monitor.add(monitor_id)
        by_component.add(component_id)
    return {
        m.pk
        for m in monitors
        if m.pk in by_monitor
        or (m.component_id and m.component_id in by_component)
        or (m.component_id and m.component.status == ComponentStatus.MAINTENANCE)
    }


def record_observations(observations: Sequence[Observation], *, now: datetime | None = None) -> list[Transition]:
    """Store OBSERVATIONS and move each monitor's state; returns the transitions made.

    One transaction: the monitors are locked (in id order, so two writers cannot deadlock),
    results and state changes are inserted in bulk and the monitors updated in bulk. Incidents
    are opened and resolved after commit, so a slow incident action never holds the locks.
    Outcomes for paused or deleted monitors are dropped.
    """
    if not observations:
        return []
    now = now or timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    ids = sorted({o.monitor_id for o in observations})
    transitions: list[Transition] = []
    with transaction.atomic():
        locked = list(
            Monitor.objects.select_for_update(of=("self",))
            .select_related("component")
            .filter(pk__in=ids)
            .exclude(state=Monitor.State.PAUSED)
            .order_by("pk")
        )
        monitors = {m.pk: m for m in locked}
        maintenance = in_maintenance(locked, now)
        in_order = sorted(observations, key=lambda o: o.checked_at)
        # Monitors checked from several locations are fed their locations' verdict (monitoring.confirmation).
        several = confirmation.panels(locked, since=in_order[0].checked_at)
        results, changes, touched = [], [], {}
        for observation in in_order:
            monitor = monitors.get(observation.monitor_id)
            if monitor is None:
                continue
            touched[monitor.pk] = monitor
            results.append(
                (
                    monitor.pk,
                    adapt(observation.checked_at),
                    OUTCOMES[observation.state].value,
                    observation.latency_ms,
                    observation.status_code,
                    observation.reason[:300],
                    observation.location_id,
                )
            )
            seen = _judged(several.get(monitor.pk), observation)
            transition = state.apply(
                monitor, seen.state, seen.reason, seen.checked_at, in_maintenance=monitor.pk in maintenance
            )
            if monitor.last_checked_at is None or observation.checked_at >= monitor.last_checked_at:
                monitor.last_checked_at = observation.checked_at
                monitor.last_latency_ms = observation.latency_ms
            if observation.location_id is None:  # an agent's result never moves the central schedule
                monitor.next_check_at = _next_check(monitor, seen, now)
            if transition:
                transitions.append(transition)
                changes.append(
                    StateChange(
                        monitor_id=monitor.pk,
                        at=transition.at,
                        from_state=transition.from_state,
                        to_state=transition.to_state,
                        reason=transition.reason[:300],
                    )
                )
        bulk_insert(CheckResult, RESULT_COLUMNS, results)  # plain values, not models: COPY on PostgreSQL
        browser_runs.store_runs([o for o in observations if o.monitor_id in touched])
        bulk_set(list(touched.values()), STATE_FIELDS)
        StateChange.objects.bulk_create(changes)
        alerting.handle_after_commit(transitions)
        kinds = {pk: monitor.kind for pk, monitor in touched.items()}
        transaction.on_commit(lambda: metrics.observe_checks(observations, kinds))
    return transitions


def _judged(panel: "confirmation.Panel | None", observation: Observation) -> Observation:
    """OBSERVATION as the state machine takes it: its locations' verdict where it has several."""
    if panel is None:
        return observation
    verdict, reason = panel.judge(
        observation.location_id, observation.state, observation.reason, observation.checked_at
    )
    return replace(observation, state=verdict, reason=reason)


def _next_check(monitor: Monitor, observation: Observation, now: datetime) -> datetime | None:
    if monitor.is_heartbeat:
        if observation.state == "down":
            return None  # nothing to wait for until the next ping
        from .heartbeat_schedule import next_deadline

        return next_deadline(monitor, now)
    return state.next_probe_at(monitor, observation.state, observation.due_at, now)
