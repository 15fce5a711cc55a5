"""Results pushed by a probe agent (issue #21): checked, then recorded as the central probe
worker records its own (monitoring.recording), where a monitor checked from several locations
moves on its locations' verdict (monitoring.confirmation).

A batch may repeat one the agent sent before (its request timed out after Vigil had stored it, or
it replays its disk buffer): a result already stored for the same monitor, location and check
time is skipped, so a resend never doubles a check.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .locations import assigned_monitors
from .models import CheckResult, Location
from .recording import Observation, record_observations


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
    with transaction.atomic():
        record_observations([_observation(location, r) for r in accepted])
        _seen(location, version[:40])
    return errors


def seen_resolution() -> timedelta:
    """How stale a location's last_seen_at may get before a visit rewrites it: 15 s, or a quarter
    of the silence that opens an agent's incident (monitoring.agent_health) when that is shorter."""
    return timedelta(seconds=min(15.0, settings.VIGIL_AGENT_SILENT_AFTER_SECONDS / 4))


def _seen(location: Location, version: str) -> None:
    """Note the visit, at most every seen_resolution(): an agent pushing every few seconds does not
    rewrite its location's row each time."""
    now = timezone.now()
    stale = location.last_seen_at is None or location.last_seen_at < now - seen_resolution()
    if stale or (version and version != location.version):
        fields = {"last_seen_at": now, **({"version": version} if version else {})}
        Location.objects.filter(pk=location.pk).update(**fields)


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
