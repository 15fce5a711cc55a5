"""The state machine of one monitor: what a new check outcome does to its state.

Pure logic on a Monitor instance (no queries), so it is cheap to run on a batch and easy to test:

- A failure is confirmed before the monitor goes down: `failure_threshold` consecutive failed
  checks, the later ones quick retries (`retry_interval_seconds` apart) rather than a full interval.
- A down monitor needs `recovery_threshold` consecutive good checks before it is up again.
- Flapping: when the recent outcomes change between good and failed too often (as Nagios measures
  it, over the last OUTCOME_MEMORY checks, with hysteresis), the monitor is marked flapping and
  both thresholds triple until it settles, so an unstable target opens one incident, not ten.
- Heartbeats need no confirmation: an overdue or a reported failure is already a fact.
- Paused monitors ignore outcomes. A monitor in maintenance keeps its counters but shows the
  maintenance state and opens nothing; when the window ends the next outcome decides.
"""

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from vigil.text import clean_line

from .models import OUTCOME_MEMORY, Monitor

State = Monitor.State
OUTCOME_CHARS = {"up": "u", "degraded": "d", "down": "x"}
FLAP_START = 0.35  # share of state changes among recent outcomes that starts flapping
FLAP_STOP = 0.15  # ... and the share under which it stops
FLAP_MIN_OUTCOMES = 10
FLAP_DAMPING = 3


@dataclass(frozen=True, slots=True)
class Transition:
    monitor_id: int
    from_state: str
    to_state: str
    reason: str
    at: datetime


def flap_ratio(outcomes: str) -> float:
    """Share of consecutive outcomes that differ in being failed or not (0 to 1)."""
    if len(outcomes) < 2:
        return 0.0
    failed = [c == "x" for c in outcomes]
    changes = sum(a != b for a, b in itertools.pairwise(failed))
    return changes / (len(outcomes) - 1)


def thresholds(monitor: Monitor) -> tuple[int, int]:
    """(failures to go down, successes to come back), damped while flapping."""
    if monitor.is_heartbeat:
        return 1, 1
    damping = FLAP_DAMPING if monitor.flapping else 1
    return monitor.failure_threshold * damping, monitor.recovery_threshold * damping


def apply(
    monitor: Monitor, state: str, reason: str, checked_at: datetime, *, in_maintenance: bool = False
) -> Transition | None:
    """Feed one outcome ("up", "degraded" or "down") to MONITOR; returns the transition, if any.

    Updates the monitor's counters, recent outcomes, flapping flag and state in memory; the caller
    saves them. Scheduling (next_check_at) is the caller's too: see needs_retry().
    """
    if monitor.state == State.PAUSED:
        return None
    failed = state == "down"
    monitor.recent_outcomes = (monitor.recent_outcomes + OUTCOME_CHARS[state])[-OUTCOME_MEMORY:]
    if failed:
        monitor.consecutive_failures += 1
        monitor.consecutive_successes = 0
        monitor.last_failure_at = checked_at
        # A server's words (a status reason, a banner) may hold control characters: dropped (vigil.text).
        monitor.last_failure_reason = clean_line(reason)[:300]
    else:
        monitor.consecutive_successes += 1
        monitor.consecutive_failures = 0
    _update_flapping(monitor)

    target = _target_state(monitor, state, in_maintenance)
    if target == monitor.state:
        if (target == State.DOWN and failed) or target == State.DEGRADED:
            monitor.state_reason = reason[:300]  # the latest reason while it stays down or degraded
        return None
    transition = Transition(monitor.pk, monitor.state, target, _reason(target, reason, in_maintenance), checked_at)
    monitor.state = target
    monitor.state_changed_at = checked_at
    monitor.state_reason = transition.reason[:300]
    return transition


def _update_flapping(monitor: Monitor) -> None:
    outcomes = monitor.recent_outcomes
    if len(outcomes) < FLAP_MIN_OUTCOMES:
        return
    ratio = flap_ratio(outcomes)
    if not monitor.flapping and ratio >= FLAP_START:
        monitor.flapping = True
    elif monitor.flapping and ratio <= FLAP_STOP:
        monitor.flapping = False


def _target_state(monitor: Monitor, state: str, in_maintenance: bool) -> str:
    if in_maintenance:
        return State.MAINTENANCE
    to_fail, to_recover = thresholds(monitor)
    if state == "down":
        if monitor.consecutive_failures >= to_fail:
            return State.DOWN
        # Unconfirmed: stay where we are (a maintenance that just ended counts as pending).
        return State.PENDING if monitor.state == State.MAINTENANCE else monitor.state
    if monitor.state == State.DOWN and monitor.consecutive_successes < to_recover:
        return State.DOWN
    return State.DEGRADED if state == "degraded" else State.UP


def _reason(target: str, reason: str, in_maintenance: bool) -> str:
    if target == State.MAINTENANCE:
        return "maintenance window" + (f"; last check: {reason}" if reason else "")
    if target in (State.UP,):
        return ""
    return reason


def needs_retry(monitor: Monitor, state: str) -> bool:
    """True when a failed check is not yet confirmed, so the next check should come soon."""
    if monitor.is_heartbeat or state != "down" or monitor.state in (State.DOWN, State.PAUSED):
        return False
    return monitor.consecutive_failures < thresholds(monitor)[0]


def next_probe_at(monitor: Monitor, state: str, due_at: datetime | None, now: datetime) -> datetime:
    """When a probe monitor is checked next: soon to confirm a failure, else on its cadence.

    The cadence is kept from the time the check was due (not when it ran), skipping any beats
    already missed, so a late check does not drift every later one. A retry is also counted from
    when the failed check was due, so a probe that took its whole timeout to fail is retried at
    once rather than a full retry interval later: a confirmed outage is seen sooner.
    """
    if needs_retry(monitor, state):
        return max(now, (due_at or now) + timedelta(seconds=monitor.retry_interval_seconds))
    interval = timedelta(seconds=monitor.interval_seconds)
    base = due_at or now
    following = base + interval
    if following <= now:
        missed = (now - base) // interval
        following = base + interval * (missed + 1)
    return following
