"""Monitoring's figures on /metrics: probes run and failed, probe latency, monitors by state, lag.

Probes run in many Celery worker processes, so their counts cannot live in prometheus_client
counters (one set per process, and a scrape reaches one web process). record_observations()
hands each batch to observe_checks(), which adds the batch's counts to vigil.metrics.SharedCounters
(Redis, or a file on a one-machine install) in one round trip; MonitoringCollector reads them back
at scrape time, with the monitors by state and the scheduling lag from the database.

Registered from MonitoringConfig.ready() with vigil.metrics.register(MonitoringCollector()).
"""

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Protocol

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from vigil.metrics import SharedCounters

from .models import Monitor

# Upper bounds (seconds) of the histogram buckets: probe latency up to the 60 s timeout, and how
# late a check ran after it was due.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
DELAY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
INF = "+Inf"
# Heartbeats are pushed to Vigil: they have no latency.
PROBE_KINDS = [kind for kind in Monitor.Kind.values if kind != Monitor.Kind.HEARTBEAT]

counters = SharedCounters("checks")


class Checked(Protocol):
    """What observe_checks() reads of an observation (monitoring.recording.Observation)."""

    monitor_id: int
    state: str
    checked_at: datetime
    latency_ms: float | None
    due_at: datetime | None


def observe_checks(observations: Iterable[Checked], kinds: Mapping[int, str]) -> None:
    """Count a batch of recorded checks; KINDS maps each recorded monitor to its kind (observations of
    monitors not in it, such as paused ones whose outcomes were dropped, are not counted).

    Latency counts every check that measured one (a failure's latency is how long the probe took);
    the delay is checked_at - due_at, for checks that were due at a known time.
    """
    counts: Counter[str] = Counter()
    for observation in observations:
        kind = kinds.get(observation.monitor_id)
        if kind is None:
            continue
        counts[f"probes:{kind}"] += 1
        if observation.state == "down":
            counts[f"failures:{kind}"] += 1
        if observation.latency_ms is not None:
            _count(counts, f"latency:{kind}", observation.latency_ms / 1000, LATENCY_BUCKETS)
        if observation.due_at is not None:
            delay = max(0.0, (observation.checked_at - observation.due_at).total_seconds())
            _count(counts, "delay", delay, DELAY_BUCKETS)
    counters.add(counts)


def _count(counts: Counter, name: str, seconds: float, bounds: tuple[float, ...]) -> None:
    """One observation of a histogram: its bucket (not cumulative; +Inf's total is the count) and its
    share of the sum, in whole microseconds so that the counters stay integers."""
    bucket = next((str(bound) for bound in bounds if seconds <= bound), INF)
    counts[f"{name}:le:{bucket}"] += 1
    counts[f"{name}:sum_us"] += round(seconds * 1_000_000)


class MonitoringCollector:
    def collect(self) -> Iterator[Metric]:
        counts = counters.read()
        if counts is not None:  # else leave the series out: the store is down, not the counts zero
            yield from self._probe_counters(counts)
            yield self._latency(counts)
            yield self._delay(counts)
        yield self._monitors_by_state()
        yield self._scheduling_lag()

    def _probe_counters(self, counts: dict[str, int]) -> Iterator[Metric]:
        kinds = Monitor.Kind.values
        probes = CounterMetricFamily("vigil_probes", "Checks recorded, by monitor kind.", labels=["kind"])
        failures = CounterMetricFamily("vigil_probe_failures", "Checks that failed, by monitor kind.", labels=["kind"])
        for kind in kinds:
            probes.add_metric([kind], counts.get(f"probes:{kind}", 0))
            failures.add_metric([kind], counts.get(f"failures:{kind}", 0))
        yield probes
        yield failures

    def _latency(self, counts: dict[str, int]) -> Metric:
        family = HistogramMetricFamily(
            "vigil_probe_latency_seconds", "How long probes took, by monitor kind.", labels=["kind"]
        )
        for kind in PROBE_KINDS:
            name = f"latency:{kind}"
            family.add_metric([kind], _cumulative(counts, name, LATENCY_BUCKETS), _sum_seconds(counts, name))
        return family

    def _delay(self, counts: dict[str, int]) -> Metric:
        return HistogramMetricFamily(
            "vigil_check_delay_seconds",
            "How late checks ran after they were due.",
            buckets=_cumulative(counts, "delay", DELAY_BUCKETS),
            sum_value=_sum_seconds(counts, "delay"),
        )

    def _monitors_by_state(self) -> Metric:
        by_state = dict(Monitor.objects.order_by().values_list("state").annotate(n=Count("id")))
        family = GaugeMetricFamily("vigil_monitors", "Monitors, by state.", labels=["state"])
        for state in Monitor.State.values:
            family.add_metric([state], by_state.get(state, 0))
        return family

    def _scheduling_lag(self) -> Metric:
        now = timezone.now()
        # The same condition as monitor_due_idx, so the dispatcher's index answers this too.
        oldest_due = (
            Monitor.objects.exclude(state=Monitor.State.PAUSED)
            .filter(next_check_at__lte=now)
            .aggregate(oldest=Min("next_check_at"))["oldest"]
        )
        lag = (now - oldest_due).total_seconds() if oldest_due else 0.0
        return GaugeMetricFamily(
            "vigil_scheduling_lag_seconds", "How long the most overdue monitor has been due, now.", value=lag
        )


def _cumulative(counts: Mapping[str, int], name: str, bounds: tuple[float, ...]) -> list[tuple[str, float]]:
    buckets, total = [], 0
    for bucket in [*(str(bound) for bound in bounds), INF]:
        total += counts.get(f"{name}:le:{bucket}", 0)
        buckets.append((bucket, total))
    return buckets


def _sum_seconds(counts: Mapping[str, int], name: str) -> float:
    return counts.get(f"{name}:sum_us", 0) / 1_000_000
