"""Celery tasks of the monitoring app: the dispatcher (beat, every second) and probe batches."""

import logging
import time
from datetime import UTC, datetime

from celery import shared_task
from django.conf import settings

from . import dispatch as dispatcher
from .models import Monitor
from .probes import ProbeConfigError, run_probes_sync
from .recording import Observation, record_observations

logger = logging.getLogger(__name__)


@shared_task(name="monitoring.tasks.dispatch", ignore_result=True, expires=5)
def dispatch() -> dict:
    """Hand out every due monitor. Beat runs this every second; two beats may run it at once."""
    report = dispatcher.dispatch()
    if report.max_lag_s > 5:
        logger.warning("monitoring: %d checks dispatched up to %.1f s late", report.probes, report.max_lag_s)
    return {"probes": report.probes, "heartbeats": report.heartbeats, "batches": report.batches}


def send_batch(payload: dict) -> None:
    run_checks.apply_async((payload,), queue=settings.VIGIL_PROBE_QUEUE, expires=dispatcher.LEASE.total_seconds())


@shared_task(name="monitoring.tasks.run_checks", ignore_result=True)
def run_checks(payload: dict) -> int:
    """Probe one batch of monitors at once on asyncio and record the outcomes in bulk.

    PAYLOAD is {"dispatched_at": epoch seconds, "items": [[monitor_id, due_at epoch], ...]}. A
    batch older than the dispatcher's lease is dropped: its monitors have been handed out again.
    """
    age = time.time() - payload["dispatched_at"]
    if age > dispatcher.LEASE.total_seconds():
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
    results = run_probes_sync(probes, concurrency=settings.VIGIL_PROBE_CONCURRENCY) if probes else []
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
            )
        )
    return observations
