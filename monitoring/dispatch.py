"""The dispatcher: finds due monitors and hands them out, with no beat entry per monitor.

Beat runs monitoring.tasks.dispatch every second. Each run claims the monitors whose
next_check_at has come, moving next_check_at forward by a lease so no other dispatcher takes them;
on PostgreSQL the claim is SELECT ... FOR UPDATE SKIP LOCKED, so two beat processes (run for
redundancy) split the due monitors between them instead of waiting for or repeating each other.
On SQLite, whose writes are serialised anyway, the claim is a conditional UPDATE that only takes
rows still due. Probe monitors go to monitoring.tasks.run_checks in batches on the probe queue;
due heartbeats (their deadline passed) are judged here at once, as there is nothing to probe.

The lease also covers a lost batch: a monitor whose batch never reports is due again when the
lease runs out, and a batch that waited in the queue longer than the lease is dropped by the
worker (monitoring.tasks.run_checks), since by then its monitors were handed out again.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import Monitor

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)

_CLAIM_POSTGRESQL = """
WITH due AS (
    SELECT id, next_check_at FROM monitoring_monitor
    WHERE next_check_at <= %s AND NOT (state = 'paused')
    ORDER BY next_check_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED
)
UPDATE monitoring_monitor AS m SET next_check_at = %s
FROM due WHERE m.id = due.id
RETURNING m.id, m.kind, due.next_check_at
"""


def claim_due(now: datetime, limit: int) -> list[tuple[int, str, datetime]]:
    """Claim up to LIMIT due monitors: [(id, kind, due_at)], most overdue first."""
    lease_until = now + LEASE
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_CLAIM_POSTGRESQL, [now, limit, lease_until])
            rows = cursor.fetchall()
        return sorted(rows, key=lambda row: row[2])
    candidates = list(
        Monitor.objects.filter(next_check_at__lte=now)
        .exclude(state=Monitor.State.PAUSED)
        .order_by("next_check_at")
        .values_list("id", "kind", "next_check_at")[:limit]
    )
    if not candidates:
        return []
    ids = [row[0] for row in candidates]
    with transaction.atomic():  # SQLite holds its write lock from the UPDATE to the commit
        # Only rows still due are taken: one another dispatcher claimed meanwhile is not.
        Monitor.objects.filter(pk__in=ids, next_check_at__lte=now).update(next_check_at=lease_until)
        claimed = set(Monitor.objects.filter(pk__in=ids, next_check_at=lease_until).values_list("pk", flat=True))
    return [row for row in candidates if row[0] in claimed]


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
    probe queue. Claims are made in chunks, so a large backlog never makes one huge query.
    """
    from . import heartbeats, tasks

    now = now or timezone.now()
    send = send or tasks.send_batch
    batch_size = settings.VIGIL_PROBE_BATCH_SIZE
    report = DispatchReport()
    heartbeats.flush_pings()  # buffered pings move their monitors' deadlines before the claim
    while True:
        claimed = claim_due(now, limit=batch_size * 10)
        probes = [(pk, due) for pk, kind, due in claimed if kind != Monitor.Kind.HEARTBEAT]
        overdue = [pk for pk, kind, due in claimed if kind == Monitor.Kind.HEARTBEAT]
        for start in range(0, len(probes), batch_size):
            chunk = probes[start : start + batch_size]
            send({"dispatched_at": now.timestamp(), "items": [[pk, due.timestamp()] for pk, due in chunk]})
            report.batches += 1
        if overdue:
            from .recording import record_observations

            record_observations(heartbeats.overdue_observations(overdue, now), now=now)
        report.probes += len(probes)
        report.heartbeats += len(overdue)
        report.lags_s.extend(max(0.0, (now - due).total_seconds()) for _, _, due in claimed)
        if len(claimed) < batch_size * 10:
            break
    report.max_lag_s = max(report.lags_s, default=0.0)
    return report
