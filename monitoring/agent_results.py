"""Results pushed by a probe agent (issue #21): checked, stored in bulk, and fed to the state
machine where this agent is the monitor's one location (monitoring.locations says why only there).

A batch may repeat one the agent sent before (its request timed out after Vigil had stored it, or
it replays its disk buffer): a result already stored for the same monitor, location and check
time is skipped, so a resend never doubles a check.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from . import browser_runs
from .locations import assigned_monitors, state_driven_by
from .models import CheckResult, Location
from .recording import OUTCOMES, Observation, record_observations


@dataclass(frozen=True, slots=True)
class AgentResult:
    monitor_id: int
    checked_at: datetime
    state: str  # "up", "degraded" or "down"
    latency_ms: float | None = None
    status_code: int | None = None
    reason: str = ""
    details: dict | None = None  # a browser check's steps, failing step, console errors (no screenshot)


NOT_ASSIGNED = "this monitor is not assigned to this location"


def record_agent_results(location: Location, results: list[AgentResult], version: str = "") -> list[str]:
    """Store RESULTS from LOCATION's agent; returns one error per result ("" when accepted).

    A result for a monitor not assigned to the location is refused and nothing of it is stored;
    the rest of the batch still lands. The location's last_seen_at and version are updated.
    """
    ids = sorted({result.monitor_id for result in results})
    assigned = set(assigned_monitors(location).filter(pk__in=ids).values_list("pk", flat=True))
    errors = ["" if result.monitor_id in assigned else NOT_ASSIGNED for result in results]
    accepted = _new_only(location, [r for r, error in zip(results, errors, strict=True) if not error])
    driving = state_driven_by(location, sorted({r.monitor_id for r in accepted}))
    with transaction.atomic():
        in_order = sorted(accepted, key=lambda r: r.checked_at)
        CheckResult.objects.bulk_create([_check_result(location, r) for r in in_order if r.monitor_id not in driving])
        browser_runs.store_runs([_observation(location, r) for r in in_order if r.monitor_id not in driving])
        record_observations([_observation(location, r) for r in accepted if r.monitor_id in driving])
        fields = {"last_seen_at": timezone.now()}
        if version:
            fields["version"] = version[:40]
        Location.objects.filter(pk=location.pk).update(**fields)
    return errors


def _new_only(location: Location, results: list[AgentResult]) -> list[AgentResult]:
    """RESULTS less those already stored (a resent batch), and less repeats within the batch."""
    if not results:
        return []
    stored = set(
        CheckResult.objects.filter(
            location=location,
            monitor_id__in={r.monitor_id for r in results},
            checked_at__gte=min(r.checked_at for r in results),
            checked_at__lte=max(r.checked_at for r in results),
        ).values_list("monitor_id", "checked_at")
    )
    fresh = []
    for result in results:
        key = (result.monitor_id, result.checked_at)
        if key not in stored:
            stored.add(key)
            fresh.append(result)
    return fresh


def _check_result(location: Location, result: AgentResult) -> CheckResult:
    return CheckResult(
        monitor_id=result.monitor_id,
        location=location,
        checked_at=result.checked_at,
        outcome=OUTCOMES[result.state],
        latency_ms=result.latency_ms,
        status_code=result.status_code,
        reason=result.reason[:300],
    )


def _observation(location: Location, result: AgentResult) -> Observation:
    return Observation(
        monitor_id=result.monitor_id,
        state=result.state,
        checked_at=result.checked_at,
        latency_ms=result.latency_ms,
        status_code=result.status_code,
        reason=result.reason,
        location_id=location.pk,
        details=result.details,
    )
