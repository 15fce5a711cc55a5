"""The dispatcher: finds due monitors and hands them out, with no beat entry per monitor.

Beat runs monitoring.tasks.dispatch every second. Each run claims the monitors whose
next_check_at has come, moving next_check_at forward by a lease so no other dispatcher takes them
(vigil.claims: SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so two beat processes run for
redundancy split the due monitors between them instead of waiting for or repeating each other;
the IMMEDIATE transaction's write lock on SQLite). Probe monitors go to monitoring.tasks.run_checks
in batches on the probe queue, browser checks to monitoring.tasks.run_browser_checks on the browser
queue (Chromium takes seconds a check: no probe batch waits behind it); due heartbeats (their
deadline passed) are judged here at once, as there is nothing to probe.

The lease also covers a lost batch: a monitor whose batch never reports is due again when the
lease runs out, and a batch that waited in the queue longer than the lease is dropped by the
worker (monitoring.tasks.run_checks), since by then its monitors were handed out again.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from vigil.claims import claim
from vigil.queue import enqueue

from .locations import agent_only_ids
from .models import Monitor

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)
SEPARATE = (Monitor.Kind.HEARTBEAT, Monitor.Kind.BROWSER)  # not in the probe queue's batches


def claim_due(now: datetime, limit: int) -> list[tuple[int, str, datetime]]:
    """Claim up to LIMIT due monitors: [(id, kind, due_at)], most overdue first (vigil.claims)."""
    due = Monitor.objects.filter(next_check_at__lte=now).exclude(state=Monitor.State.PAUSED)
    due = due.exclude(pk__in=agent_only_ids())  # probed by agents only (monitoring.locations)
    return claim(due.order_by("next_check_at"), limit, ("kind", "next_check_at"), next_check_at=now + LEASE)


def send_batch(payload: dict) -> None:
    """Queue one probe batch on the probe queue, or a browser batch on the browser queue (its route
    in CELERY_TASK_ROUTES); it expires with the lease (see the module docstring)."""
    if payload.get("browser"):
        enqueue("monitoring.tasks.run_browser_checks", payload, on_commit=False, expires=LEASE.total_seconds())
        return
    enqueue(
        "monitoring.tasks.run_checks",
        payload,
        on_commit=False,
        queue=settings.VIGIL_PROBE_QUEUE,
        expires=LEASE.total_seconds(),
    )


@dataclass
class DispatchReport:
    probes: int = 0
    heartbeats: int = 0
    batches: int = 0
    max_lag_s: float = 0.0
    lags_s: list[float] = field(default_factory=list)


def dispatch(now: datetime | None = None, *, send=None) -> DispatchReport:
    """Claim every due monitor and hand it out; returns what was done.

    SEND(payload) queues one probe batch; it defaults to monitoring.tasks.run_checks on the
    probe queue (send_batch). Claims are made in chunks, so a large backlog never makes one huge query.
    """
    from . import heartbeats

    now = now or timezone.now()
    send = send or send_batch
    batch_size = settings.VIGIL_PROBE_BATCH_SIZE
    report = DispatchReport()
    heartbeats.flush_pings()  # buffered pings move their monitors' deadlines before the claim
    while True:
        claimed = claim_due(now, limit=batch_size * 10)
        probes = [(pk, due) for pk, kind, due in claimed if kind not in SEPARATE]
        browsers = [(pk, due) for pk, kind, due in claimed if kind == Monitor.Kind.BROWSER]
        overdue = [pk for pk, kind, due in claimed if kind == Monitor.Kind.HEARTBEAT]
        report.batches += _send_batches(send, now, probes, batch_size)
        # A browser batch is as large as one worker runs at once, so it lasts about one check.
        report.batches += _send_batches(send, now, browsers, settings.VIGIL_BROWSER_CONCURRENCY, browser=True)
        if overdue:
            from .recording import record_observations

            record_observations(heartbeats.overdue_observations(overdue, now), now=now)
        report.probes += len(probes) + len(browsers)
        report.heartbeats += len(overdue)
        report.lags_s.extend(max(0.0, (now - due).total_seconds()) for _, _, due in claimed)
        if len(claimed) < batch_size * 10:
            break
    report.max_lag_s = max(report.lags_s, default=0.0)
    return report


def _send_batches(send, now: datetime, items: list, size: int, **extra) -> int:
    """SEND ITEMS ([(id, due)]) in batches of SIZE; returns how many batches."""
    for start in range(0, len(items), size):
        chunk = items[start : start + size]
        send({"dispatched_at": now.timestamp(), "items": [[pk, due.timestamp()] for pk, due in chunk], **extra})
    return -(-len(items) // size)


def run() -> dict:
    """What beat's monitoring.tasks.dispatch does: dispatch, warn when checks go out late, and summarise."""
    report = dispatch()
    if report.max_lag_s > 5:
        logger.warning("monitoring: %d checks dispatched up to %.1f s late", report.probes, report.max_lag_s)
    return {"probes": report.probes, "heartbeats": report.heartbeats, "batches": report.batches}
