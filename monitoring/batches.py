"""A probe batch, on a probe worker: probe the monitors the dispatcher handed out, record the outcomes.

The dispatcher (monitoring.dispatch) queues each batch as monitoring.tasks.run_checks, which
calls run_batch here.
"""

import logging
import time
from datetime import UTC, datetime

from django.conf import settings

from vigil_probes import ProbeConfigError, run_probes_sync

from .dispatch import LEASE
from .models import Monitor
from .recording import Observation, record_observations

logger = logging.getLogger(__name__)


def run_batch(payload: dict) -> int:
    """Probe one batch of monitors at once on asyncio and record the outcomes in bulk.

    PAYLOAD is {"dispatched_at": epoch seconds, "items": [[monitor_id, due_at epoch], ...]}, with
    "browser": true for a batch of browser checks (monitoring.tasks.run_browser_checks). A batch
    older than the dispatcher's lease is dropped: its monitors have been handed out again.
    """
    age = time.time() - payload["dispatched_at"]
    if age > LEASE.total_seconds():
        logger.warning("monitoring: dropped a probe batch that waited %.0f s", age)
        return 0
    due = {pk: datetime.fromtimestamp(ts, UTC) for pk, ts in payload["items"]}
    return len(record_observations(probe_monitors(due)))


def probe_monitors(due: dict[int, datetime]) -> list[Observation]:
    """Probe the monitors in DUE (id -> due time) that still exist and are not paused."""
    monitors = list(Monitor.objects.filter(pk__in=due).exclude(state=Monitor.State.PAUSED))
    observations, probes, probed = [], [], []
    for monitor in monitors:
        try:
            probe = monitor.probe()
        except ProbeConfigError as exc:  # settings broken since they were saved (e.g. by SQL)
            observations.append(
                Observation(
                    monitor.pk, "down", datetime.now(UTC), reason=f"invalid settings: {exc}", due_at=due[monitor.pk]
                )
            )
            continue
        if probe is not None:
            probes.append(probe)
            probed.append(monitor)
    results = (
        run_probes_sync(
            probes, concurrency=settings.VIGIL_PROBE_CONCURRENCY, browser_concurrency=settings.VIGIL_BROWSER_CONCURRENCY
        )
        if probes
        else []
    )
    for monitor, result in zip(probed, results, strict=True):
        observations.append(
            Observation(
                monitor_id=monitor.pk,
                state=str(result.state),
                checked_at=result.checked_at,
                latency_ms=result.latency_ms,
                status_code=result.status_code,
                reason=result.reason,
                due_at=due[monitor.pk],
                details=result.details if monitor.kind == Monitor.Kind.BROWSER else None,
            )
        )
    return observations
