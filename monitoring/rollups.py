"""Hourly and daily rollups of each monitor's checks and state history, and the purge of raw results.

Raw CheckResult rows are kept for VIGIL_RESULT_RETENTION_DAYS; a Rollup row per monitor and hour,
and per monitor and day, keeps the figures for good (DESIGN.md), and uptime reads them.

An hourly row holds:
- checks, failures (outcome down) and degraded: counts of the hour's results;
- latency over the results that answered (up or degraded) with a latency; a failed check's
  latency measures the failure (often the timeout), not the service: max exactly, and a
  histogram {bucket: count} over fixed log-spaced buckets (four per doubling, so a bucket spans
  19%), from which p50 and p95 are read (linear within a bucket, as Prometheus'
  histogram_quantile does, and never above the max);
- monitored_seconds and downtime_seconds: from the state history, by monitoring.uptime.measure()
  (time with a verdict outside pause and maintenance, and the part of it spent down), so a
  10 s and a 5 min interval measure the same outage.
A daily row merges its hours: sums, the max, and percentiles from the summed histogram, which is
exact (the buckets are fixed), so a day's p95 is read the same way as an hour's.

Counting and bucketing run in the database (two GROUP BY queries an hour, on result_time_idx);
only per-monitor figures reach Python. Rows are upserted on the (monitor, period, start)
constraint, so rolling an hour again rewrites the same row.
"""

import math
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Max, Q, Value
from django.db.models.functions import Ceil, Greatest, Least, Ln
from django.utils import timezone

from .locations import deciding_results
from .models import BrowserRun, CheckResult, Rollup
from .uptime import DAY, HOUR, floor_day, floor_hour, measure

# Bucket i holds latencies in (2^((i-1)/4), 2^(i/4)] ms; bucket 0 everything up to 1 ms and the last
# everything above ~55 s (a probe times out at 60 s). Stored histograms are merged by index, so
# these never change.
BUCKETS_PER_DOUBLING = 4
LAST_BUCKET = 64
FIGURES = [
    "checks",
    "failures",
    "degraded",
    "monitored_seconds",
    "downtime_seconds",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_max_ms",
    "latency_histogram",
]
# roll_up() remembers where it got to, to roll every hour touched since, even after a pause of beat.
ROLLED_UNTIL_KEY = "monitoring:rollups:rolled-until"
ANSWERED = Q(latency_ms__isnull=False) & ~Q(outcome=CheckResult.Outcome.DOWN)


def retention() -> timedelta:
    return timedelta(days=settings.VIGIL_RESULT_RETENTION_DAYS)


# --- Latency histograms ---------------------------------------------------------------------------


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """The latencies (ms) bucket BUCKET holds: (low, high]."""
    low = 0.0 if bucket == 0 else 2 ** ((bucket - 1) / BUCKETS_PER_DOUBLING)
    return low, 2 ** (bucket / BUCKETS_PER_DOUBLING)


def percentile(histogram: Mapping[int, int], q: float, max_ms: float | None) -> float | None:
    """The Q-quantile (0 < q <= 1) of the latencies counted in HISTOGRAM, no higher than MAX_MS."""
    rank = q * sum(histogram.values())
    seen = 0
    for bucket in sorted(histogram):
        count = histogram[bucket]
        if count and seen + count >= rank:
            low, high = bucket_bounds(bucket)
            value = low + (high - low) * (rank - seen) / count
            return value if max_ms is None else min(value, max_ms)
        seen += count
    return None


def stored(histogram: Mapping[int, int]) -> dict[str, int]:
    """HISTOGRAM as a Rollup keeps it: sparse, keyed by bucket number (JSON keys are strings)."""
    return {str(bucket): count for bucket, count in sorted(histogram.items()) if count}


def loaded(value: Mapping[str, int] | list) -> dict[int, int]:
    return {int(bucket): count for bucket, count in (value or {}).items()}


def _bucket_expression():
    """The bucket of a result's latency, computed by the database: ceil(4 * log2(max(latency, 1)))."""
    log2 = Ln(Greatest(F("latency_ms"), Value(1.0))) / Value(math.log(2))
    return Least(Ceil(log2 * Value(float(BUCKETS_PER_DOUBLING))), Value(float(LAST_BUCKET)))


# --- Rolling ---------------------------------------------------------------------------------------


def roll_up(now: datetime | None = None, since: datetime | None = None) -> int:
    """Roll every hour touched since the last run (at least the previous and the current one),
    then the days those hours are in. SINCE overrides where to start. Returns the rows written.

    Never goes back past the retention window: its raw results are purged, and rolling such an
    hour again would overwrite good figures with empty ones.
    """
    now = now or timezone.now()
    if since is None:
        rolled_until = cache.get(ROLLED_UNTIL_KEY)
        since = min(rolled_until or now, now - HOUR)
    first = max(floor_hour(since), floor_hour(now - retention()) + HOUR)
    hours = []
    while first <= now:
        hours.append(first)
        first += HOUR
    written = sum(roll_hour(hour, now) for hour in hours)
    written += sum(roll_day(day) for day in sorted({floor_day(hour) for hour in hours}))
    cache.set(ROLLED_UNTIL_KEY, now, timeout=None)
    return written


def roll_hour(start: datetime, now: datetime) -> int:
    """Write the hourly rows of the hour starting at START (up to NOW, for the current hour)."""
    end = min(start + HOUR, now)
    counts = _check_counts(start, end)
    histograms = _histograms(start, end)
    seconds = {monitor_id: by_interval[(start, end)] for monitor_id, by_interval in measure([(start, end)]).items()}
    rows = []
    for monitor_id in sorted(set(counts) | {m for m, (monitored, down) in seconds.items() if monitored or down}):
        checks, failures, degraded, max_ms = counts.get(monitor_id, (0, 0, 0, None))
        histogram = histograms.get(monitor_id, {})
        monitored, down = seconds.get(monitor_id, (0.0, 0.0))
        totals = (checks, failures, degraded, monitored, down)
        rows.append(_rollup(monitor_id, Rollup.Period.HOUR, start, totals, histogram, max_ms))
    return _upsert(rows)


def _check_counts(start: datetime, end: datetime) -> dict[int, tuple]:
    """{monitor: (checks, failures, degraded, max latency)} of the results in [start, end)."""
    rows = (
        CheckResult.objects.filter(deciding_results(), checked_at__gte=start, checked_at__lt=end)
        .order_by()
        .values("monitor_id")
        .annotate(
            checks=Count("id"),
            failures=Count("id", filter=Q(outcome=CheckResult.Outcome.DOWN)),
            degraded=Count("id", filter=Q(outcome=CheckResult.Outcome.DEGRADED)),
            max_ms=Max("latency_ms", filter=ANSWERED),
        )
        .values_list("monitor_id", "checks", "failures", "degraded", "max_ms")
    )
    return {monitor_id: figures for monitor_id, *figures in rows.iterator(chunk_size=5000)}


def _histograms(start: datetime, end: datetime) -> dict[int, dict[int, int]]:
    """{monitor: {bucket: count}} of the answered results' latencies in [start, end)."""
    rows = (
        CheckResult.objects.filter(ANSWERED, deciding_results(), checked_at__gte=start, checked_at__lt=end)
        .order_by()
        .values("monitor_id", bucket=_bucket_expression())
        .annotate(count=Count("id"))
        .values_list("monitor_id", "bucket", "count")
    )
    histograms: dict[int, dict[int, int]] = defaultdict(dict)
    for monitor_id, bucket, count in rows.iterator(chunk_size=5000):
        histograms[monitor_id][int(bucket)] = count
    return histograms


def roll_day(day: datetime) -> int:
    """Write the daily rows of DAY (a UTC midnight), merged from its hourly rows."""
    hours = (
        Rollup.objects.filter(period=Rollup.Period.HOUR, start__gte=day, start__lt=day + DAY)
        .order_by("monitor_id")
        .values_list("monitor_id", *FIGURES)
    )
    rows = [_merged(monitor_id, day, rows) for monitor_id, rows in groupby(hours.iterator(2000), key=itemgetter(0))]
    return _upsert(rows)


def _merged(monitor_id: int, day: datetime, hours) -> Rollup:
    checks = failures = degraded = 0
    monitored = down = 0.0
    max_ms = None
    histogram: dict[int, int] = defaultdict(int)
    for _, h_checks, h_failures, h_degraded, h_monitored, h_down, _p50, _p95, h_max, h_histogram in hours:
        checks, failures, degraded = checks + h_checks, failures + h_failures, degraded + h_degraded
        monitored, down = monitored + h_monitored, down + h_down
        if h_max is not None:
            max_ms = h_max if max_ms is None else max(max_ms, h_max)
        for bucket, count in loaded(h_histogram).items():
            histogram[bucket] += count
    return _rollup(monitor_id, Rollup.Period.DAY, day, (checks, failures, degraded, monitored, down), histogram, max_ms)


def _rollup(monitor_id: int, period: str, start: datetime, counts: tuple, histogram, max_ms: float | None) -> Rollup:
    """A rollup row from its COUNTS (checks, failures, degraded, monitored and down seconds) and latencies."""
    checks, failures, degraded, monitored, down = counts
    return Rollup(
        monitor_id=monitor_id,
        period=period,
        start=start,
        checks=checks,
        failures=failures,
        degraded=degraded,
        monitored_seconds=monitored,
        downtime_seconds=down,
        latency_p50_ms=percentile(histogram, 0.5, max_ms),
        latency_p95_ms=percentile(histogram, 0.95, max_ms),
        latency_max_ms=max_ms,
        latency_histogram=stored(histogram),
    )


def _upsert(rows: list[Rollup]) -> int:
    # Rows in monitor order: two runs upserting the same hour wait for each other instead of deadlocking.
    with transaction.atomic():
        Rollup.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["monitor", "period", "start"],
            update_fields=FIGURES,
        )
    return len(rows)


# --- Purging ---------------------------------------------------------------------------------------


def purge(now: datetime | None = None, chunk_size: int = 20_000) -> int:
    """Delete the raw results older than the retention window, CHUNK_SIZE at a time (short locks),
    and the browser checks' runs (steps, screenshots) of the same age. Rollups are never touched.
    Returns how many results were deleted."""
    cutoff = (now or timezone.now()) - retention()
    _purge(BrowserRun, cutoff, chunk_size)
    return _purge(CheckResult, cutoff, chunk_size)


def _purge(model, cutoff: datetime, chunk_size: int) -> int:
    deleted = 0
    while True:
        batch = model.objects.filter(checked_at__lt=cutoff).order_by().values("pk")[:chunk_size]
        count, _ = model.objects.filter(pk__in=batch).delete()
        deleted += count
        if count < chunk_size:
            return deleted
